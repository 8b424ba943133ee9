"""The classifier on hand-written desired x remote pairs: each action, each skip reason, each guard."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from reconciler.errors import PlanRefused
from reconciler.plan.changes import ABSENT, Plan
from reconciler.plan.planner import make_plan
from reconciler.remote.engagelab import RemoteSchedule
from tests.support.clock import NOW
from tests.support.plan import body, desired, periodical, plan_of, remote, target


def only(plan: Plan, name: str) -> Any:
    found = [c for c in plan.changes if c.name == name]
    assert len(found) == 1, found
    return found[0]


def test_create_when_absent_remotely() -> None:
    change = only(plan_of([desired("a")], []), "a")
    assert change.action == "create"
    assert change.after["name"] == "a"
    assert change.next_runs == ("2026-12-21 10:00:00 UTC",)


def test_noop_when_equal() -> None:
    assert only(plan_of([desired("a")], [remote("a")]), "a").action == "noop"


def test_noop_whatever_the_spelling_of_the_remote() -> None:
    week = periodical("week", point=["THU", "MON"])
    shouted = copy.deepcopy(week)
    shouted["periodical"].update(time_unit="WEEK", point=["mon", "thu", "MON"])
    plan = plan_of([desired("a", trigger=week)], [remote("a", trigger=shouted)])
    assert only(plan, "a").action == "noop"


def test_day_point_empty_list_equals_absent() -> None:
    day = periodical("day")
    with_empty = copy.deepcopy(day)
    with_empty["periodical"]["point"] = []
    assert (
        only(plan_of([desired("a", trigger=day)], [remote("a", trigger=with_empty)]), "a").action
        == "noop"
    )


def test_update_lists_changed_fields_old_to_new() -> None:
    new_push = {"to": "all", "body": {"platform": "all", "notification": {"alert": "new text"}}}
    change = only(plan_of([desired("a", push=new_push)], [remote("a")]), "a")
    assert change.action == "update"
    assert [(d.path, d.before, d.after) for d in change.diff] == [
        ("/push/body/notification/alert", "hi a", "new text")
    ]
    assert change.schedule_id == "id-a-0"
    assert change.next_runs


def test_update_shows_a_changed_list_whole() -> None:
    def week(points: list[str]) -> dict[str, Any]:
        return periodical("week", point=points)

    change = only(
        plan_of([desired("a", trigger=week(["MON", "THU"]))], [remote("a", trigger=week(["MON"]))]),
        "a",
    )
    assert [(d.path, d.before, d.after) for d in change.diff] == [
        ("/trigger/periodical/point", ["MON"], ["MON", "THU"])
    ]
    assert len(change.next_runs) == 3


def test_added_and_removed_fields_show_absent() -> None:
    with_options = {
        "to": "all",
        "body": {
            "platform": "all",
            "notification": {"alert": "hi a"},
            "options": {"time_to_live": 60},
        },
    }
    change = only(plan_of([desired("a", push=with_options)], [remote("a")]), "a")
    assert [(d.path, d.before) for d in change.diff] == [("/push/body/options", ABSENT)]
    change = only(plan_of([desired("a")], [remote("a", push=with_options)]), "a")
    assert [(d.path, d.after) for d in change.diff] == [("/push/body/options", ABSENT)]


def test_disabling_a_present_schedule_is_an_update() -> None:
    change = only(plan_of([desired("a", enabled=False)], [remote("a")]), "a")
    assert change.action == "update"
    assert [(d.path, d.before, d.after) for d in change.diff] == [("/enabled", True, False)]


def test_zone_type_change_forces_replacement() -> None:
    zone2 = {"single": {"time": "2026-12-21 10:00:00", "zone_type": 2}}
    change = only(plan_of([desired("a", trigger=zone2)], [remote("a")]), "a")
    assert change.action == "replace"
    assert change.reason == "forces replacement: zone_type 1 -> 2"
    assert change.next_runs == ("2026-12-21 10:00:00 device-local",)


def test_trigger_kind_change_forces_replacement() -> None:
    daily = periodical("day")
    change = only(plan_of([desired("a", trigger=daily)], [remote("a")]), "a")
    assert (change.action, change.reason) == (
        "replace",
        "forces replacement: trigger single -> periodical",
    )


def test_delete_when_absent_from_repo_with_prune() -> None:
    change = only(plan_of([desired("a")], [remote("a"), remote("gone", 1)]), "gone")
    assert (change.action, change.reason) == ("delete", "not in the repo")


def test_skip_when_prune_is_off() -> None:
    change = only(plan_of([desired("a")], [remote("a"), remote("gone", 1)], prune=False), "gone")
    assert (change.action, change.reason) == ("skip", "not in the repo; prune is off")


def test_protected_globs_are_never_deleted() -> None:
    change = only(
        plan_of([desired("a")], [remote("a"), remote("vip_x", 1)], protect=("vip_*",)), "vip_x"
    )
    assert (change.action, change.reason) == ("skip", "protected: never deleted")


def test_unmanaged_names_are_skipped_and_not_counted() -> None:
    plan = plan_of(
        [desired("team_a")], [remote("team_a"), remote("other", 1)], manage_prefix="team_"
    )
    change = only(plan, "other")
    assert change.action == "skip"
    assert change.reason.startswith("unmanaged")
    assert plan.managed_remote == 1


def test_expired_desired_absent_remotely_is_a_skip_with_a_warning() -> None:
    past = {"single": {"time": "2026-10-21 10:00:00", "zone_type": 1}}
    plan = plan_of([desired("old", trigger=past)], [])
    change = only(plan, "old")
    assert (change.action, change.reason) == ("skip", "expired; delete the file")
    assert any("delete the file" in w for w in plan.warnings)


def test_zone_type_2_expires_only_when_the_last_zone_passes() -> None:
    # 2026-11-20 20:00 is past in UTC on 2026-11-21 00:00, but not yet in UTC-12 (it is 12:00 there).
    late = {"single": {"time": "2026-11-20 20:00:00", "zone_type": 2}}
    assert only(plan_of([desired("late", trigger=late)], []), "late").action == "create"
    early = {"single": {"time": "2026-11-20 20:00:00", "zone_type": 1}}
    assert only(plan_of([desired("early", trigger=early)], []), "early").action == "skip"


def test_expired_remote_is_never_updated() -> None:
    past = {"single": {"time": "2026-10-21 10:00:00", "zone_type": 1}}
    new_push = {"to": "all", "body": {"platform": "all", "notification": {"alert": "changed"}}}
    change = only(
        plan_of([desired("a", trigger=past, push=new_push)], [remote("a", trigger=past)]), "a"
    )
    assert change.action == "skip"
    assert "expired" in change.reason


def test_disabled_and_absent_remotely_is_a_skip() -> None:
    change = only(plan_of([desired("off", enabled=False)], []), "off")
    assert change.action == "skip"
    assert "cannot create a disabled schedule" in change.reason


def test_duplicate_remote_names_are_a_conflict_in_creation_order() -> None:
    plan = plan_of([desired("dup")], [remote("dup", 5, "newer"), remote("dup", 2, "older")])
    change = only(plan, "dup")
    assert change.action == "conflict"
    assert change.remote_ids == ("older", "newer")
    assert "older (#1 by creation), newer (#2 by creation)" in change.reason


def test_keep_oldest_deletes_the_newer_duplicates() -> None:
    plan = plan_of(
        [desired("dup")],
        [remote("dup", 5, "newer"), remote("dup", 2, "older")],
        resolve_duplicates="keep-oldest",
    )
    actions = sorted((c.action, c.schedule_id) for c in plan.changes)
    assert actions == [("delete", "newer"), ("noop", "older")]


def test_rename_via_previous_name_updates_in_place() -> None:
    plan = plan_of(
        [desired("new_name", previous_name="old_name")],
        [remote("old_name", push=body("new_name")["push"])],
    )
    change = only(plan, "new_name")
    assert change.action == "update"
    assert change.schedule_id == "id-old_name-0"
    assert [(d.path, d.before, d.after) for d in change.diff] == [("/name", "old_name", "new_name")]
    assert change.reason == "renamed from old_name"
    assert plan.count("delete") == 0


def test_ignore_fields_are_never_compared() -> None:
    push = {
        "to": "all",
        "body": {"platform": "all", "notification": {"alert": "hi a"}},
        "request_id": "1",
    }
    other = {**push, "request_id": "2"}
    plan = plan_of(
        [desired("a", push=push)], [remote("a", push=other)], ignore_fields=("/push/request_id",)
    )
    assert only(plan, "a").action == "noop"


def _many(n: int) -> list[RemoteSchedule]:
    return [remote(f"s{i}", i) for i in range(n)]


def test_delete_guard_trips_above_the_percentage_with_the_numbers() -> None:
    plan = plan_of([desired(f"s{i}") for i in range(6)], _many(10))
    assert plan.count("delete") == 4
    assert plan.problems == (
        "would delete 4 of 10 managed schedules (40.0% > max_delete_percent 30%)",
    )
    with pytest.raises(PlanRefused, match="would delete 4 of 10"):
        plan.raise_if_unsafe()
    plan.raise_if_unsafe(force=True)


def test_guards_sleep_below_min_existing() -> None:
    plan = plan_of([desired("s0")], _many(5))
    assert plan.count("delete") == 4
    assert plan.problems == ()


def test_update_guard_counts_updates_and_replaces() -> None:
    new_push = {"to": "all", "body": {"platform": "all", "notification": {"alert": "new"}}}
    plan = plan_of([desired(f"s{i}", push=new_push) for i in range(10)], _many(10))
    assert plan.count("update") == 10
    assert plan.problems == (
        "would update or replace 10 of 10 managed schedules (100.0% > max_update_percent 50%)",
    )


def test_empty_desired_set_against_managed_remote_is_refused() -> None:
    plan = plan_of([], _many(2))
    assert any("no desired schedules but 2 managed remote ones" in p for p in plan.problems)


def test_quota_counts_every_schedule_of_the_app() -> None:
    plan = plan_of(
        [desired("team_new")],
        [remote("other", 0), remote("other2", 1)],
        manage_prefix="team_",
        quota=2,
    )
    assert plan.problems == ("would leave 3 active schedules in the app, above the quota of 2",)


def test_checksum_is_stable_and_moves_with_the_remote() -> None:
    d, r = [desired("a")], [remote("a")]
    assert plan_of(d, r).checksum == plan_of(d, r).checksum
    assert plan_of(d, r).checksum != plan_of(d, [remote("a", schedule_id="other-id")]).checksum
    assert plan_of(d, r).checksum.startswith("sha256:")


def test_checksum_ignores_the_clock_dependent_next_runs() -> None:
    daily = periodical("day", start="2026-06-23 00:00:00")
    d = [desired("a", trigger=daily)]
    later = make_plan(d, [], target(), NOW + timedelta(days=4))
    assert later.checksum == plan_of(d, []).checksum
    assert later.changes[0].next_runs != plan_of(d, []).changes[0].next_runs


def test_month_points_skip_days_a_month_lacks() -> None:
    monthly = periodical("month", end="2027-06-22 00:00:00", time="08:00:00", point=["31"])
    change = only(plan_of([desired("m", trigger=monthly)], []), "m")
    assert change.next_runs == (
        "2026-12-31 08:00:00 UTC",
        "2027-01-31 08:00:00 UTC",
        "2027-03-31 08:00:00 UTC",
    )


def test_changes_are_ordered_for_apply() -> None:
    new_push = {"to": "all", "body": {"platform": "all", "notification": {"alert": "new"}}}
    zone2 = {"single": {"time": "2026-12-21 10:00:00", "zone_type": 2}}
    plan = plan_of(
        [desired("c"), desired("u", push=new_push), desired("r", trigger=zone2), desired("n")],
        [remote("u", 0), remote("r", 1), remote("n", 2), remote("d", 3)],
    )
    assert [c.action for c in plan.changes] == ["delete", "replace", "update", "create", "noop"]
