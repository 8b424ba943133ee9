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
from tests.support.plan import (
    body,
    desired,
    parked_remote,
    periodical,
    plan_of,
    remote,
    target,
)


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


# --- parked copies interrupted applies left (reconciler/core/parked.py) ----------------


def test_a_parked_copy_of_a_desired_name_is_completed_never_updated() -> None:
    copy = parked_remote("a")
    change = only(plan_of([desired("a")], [copy]), "a")
    assert change.action == "complete"
    assert change.reason == "parked by an interrupted apply on 2026-11-21 00:00 UTC"
    assert (change.schedule_id, change.before, change.after) == (
        "parked-a-0",
        copy.body(),
        body("a"),
    )
    assert change.diff == ()
    assert change.next_runs == ("2026-12-21 10:00:00 UTC",)


def test_a_parked_copy_beside_the_schedule_that_won_is_withdrawn() -> None:
    plan = plan_of([desired("a")], [remote("a", 0), parked_remote("a", 1)])
    assert [(c.action, c.schedule_id) for c in plan.changes] == [
        ("withdraw", "parked-a-1"),
        ("noop", "id-a-0"),
    ]
    assert plan.changes[0].reason.endswith("; id-a-0 holds the name")


def test_of_several_parked_copies_the_oldest_is_completed() -> None:
    plan = plan_of([desired("a")], [parked_remote("a", 3), parked_remote("a", 1)])
    assert sorted((c.action, c.schedule_id) for c in plan.changes) == [
        ("complete", "parked-a-1"),
        ("withdraw", "parked-a-3"),
    ]


@pytest.mark.parametrize(
    "rules",
    [{"prune": False}, {"protect": ("*",)}, {"manage_prefix": "team_"}, {}],
    ids=["prune off", "protected", "unmanaged", "defaults"],
)
def test_a_parked_copy_no_one_wants_is_withdrawn_whatever_the_rules(rules: Any) -> None:
    plan = plan_of([], [parked_remote("gone")], **rules)
    (change,) = plan.changes
    assert (change.action, change.schedule_id) == ("withdraw", "parked-gone-0")
    assert (
        change.reason == "parked by an interrupted apply on 2026-11-21 00:00 UTC; not in the repo"
    )
    assert plan.problems == ()  # not a user's schedule: no guard counts it


def test_a_parked_copy_that_cannot_become_the_schedule_is_withdrawn_and_it_is_planned_afresh() -> (
    None
):
    week = periodical("week", point=["MON"])
    plan = plan_of(
        [desired("off", enabled=False), desired("kind", trigger=week)],
        [parked_remote("off", 0), parked_remote("kind", 1)],
    )
    assert [(c.action, c.name) for c in plan.changes] == [
        ("withdraw", "kind"),
        ("withdraw", "off"),
        ("create", "kind"),
        ("skip", "off"),
    ]
    assert "the schedule is disabled now" in only_action(plan, "withdraw", "off").reason
    assert "trigger single -> periodical" in only_action(plan, "withdraw", "kind").reason


def only_action(plan: Plan, action: str, name: str) -> Any:
    (found,) = [c for c in plan.changes if c.action == action and c.name == name]
    return found


def test_completions_count_as_the_creates_they_are_not_as_updates() -> None:
    # An apply of 200 creates killed after 69: 131 parked copies. Before, their
    # completion counted as 131 updates of 200 (65.5% > 50%) and the rerun was refused.
    real = [remote(f"s{i:03d}", i) for i in range(69)]
    copies = [parked_remote(f"s{i:03d}", i) for i in range(69, 200)]
    plan = plan_of([desired(f"s{i:03d}") for i in range(200)], real + copies)
    assert (plan.count("complete"), plan.count("noop"), plan.count("update")) == (131, 69, 0)
    assert plan.managed_remote == 69  # parked copies are not a user's schedules
    assert plan.problems == ()


def test_withdrawals_free_quota_and_completions_take_none() -> None:
    remote_side = [remote("a", 0), remote("b", 1), parked_remote("c", 2), parked_remote("x", 3)]
    plan = plan_of([desired("a"), desired("b"), desired("c")], remote_side, quota=3)
    assert plan.summary["complete"] == plan.summary["withdraw"] == 1
    assert plan.problems == ()  # 4 active - 1 withdrawn = exactly the quota


def test_the_checksum_covers_what_a_completion_puts() -> None:
    copies = [parked_remote("a")]
    one = plan_of([desired("a")], copies)
    other = plan_of([desired("a", push={"to": "all", "body": {"platform": "all"}})], copies)
    assert one.checksum != other.checksum
    assert one.checksum == plan_of([desired("a")], copies).checksum


def test_a_leftover_parked_more_than_a_day_ago_is_stale_with_a_warning() -> None:
    old = parked_remote("old", 0, parked_at=NOW - timedelta(days=2))
    plan = plan_of([desired("old")], [old, parked_remote("new", 1)])
    assert [c.name for c in plan.stale_leftovers()] == ["old"]
    assert plan.warnings == (
        "1 parked copy waited longer than 1 day: old (id parked-old-0, 2026-11-19 00:00 "
        "UTC): an apply was interrupted and not run again; apply completes or withdraws it",
    )


# --- the guards at their exact boundaries: "more than" trips, "as many as" passes ---------


def test_deletes_at_exactly_max_delete_percent_pass_and_one_more_trips() -> None:
    at_limit = plan_of([desired(f"s{i}") for i in range(7)], _many(10))
    assert (at_limit.count("delete"), at_limit.problems) == (3, ())  # 30% of 10, not more
    assert plan_of([desired(f"s{i}") for i in range(6)], _many(10)).problems != ()


def test_updates_at_exactly_max_update_percent_pass_and_one_more_trips() -> None:
    new_push = {"to": "all", "body": {"platform": "all", "notification": {"alert": "new"}}}

    def updating(n: int) -> Plan:
        wanted = [desired(f"s{i}", push=new_push) for i in range(n)]
        return plan_of(wanted + [desired(f"s{i}") for i in range(n, 10)], _many(10))

    assert (updating(5).count("update"), updating(5).problems) == (5, ())  # 50% of 10
    assert updating(6).problems == (
        "would update or replace 6 of 10 managed schedules (60.0% > max_update_percent 50%)",
    )


def test_a_result_of_exactly_quota_active_schedules_passes_and_one_more_trips() -> None:
    existing = [remote("a", 0), remote("b", 1)]
    assert plan_of([desired("a"), desired("b"), desired("c")], existing, quota=3).problems == ()
    over = plan_of([desired(n) for n in "abcd"], existing, quota=3)
    assert over.problems == ("would leave 4 active schedules in the app, above the quota of 3",)


# --- the checksum: each input moves it on its own ------------------------------------------

_IGNORED = ("/push/body/notification/alert",)


def test_the_remote_snapshot_alone_moves_the_checksum() -> None:
    """Remote schedules that differ only in an ignored field: the same changes (noop), the
    same desired set and settings; only the snapshot tells them apart."""
    d = [desired("a")]
    one_ = plan_of(d, [remote("a", push=_push("x"))], ignore_fields=_IGNORED)
    other = plan_of(d, [remote("a", push=_push("y"))], ignore_fields=_IGNORED)
    assert [c.identity() for c in one_.changes] == [c.identity() for c in other.changes]
    assert one_.checksum != other.checksum


def test_the_desired_set_alone_moves_the_checksum() -> None:
    r = [remote("a", push=_push("x"))]
    one_ = plan_of([desired("a", push=_push("p"))], r, ignore_fields=_IGNORED)
    other = plan_of([desired("a", push=_push("q"))], r, ignore_fields=_IGNORED)
    assert [c.identity() for c in one_.changes] == [c.identity() for c in other.changes]
    assert one_.checksum != other.checksum


def test_the_changes_alone_move_the_checksum() -> None:
    """The same files, app and settings, planned with and without keep-oldest."""
    d, r = [desired("a")], [remote("a", 1), remote("a", 2)]
    assert plan_of(d, r).checksum != plan_of(d, r, resolve_duplicates="keep-oldest").checksum


def test_the_settings_alone_move_the_checksum() -> None:
    d, r = [desired("a")], [remote("a")]
    assert plan_of(d, r, quota=1000).checksum != plan_of(d, r, quota=999).checksum
    assert plan_of(d, r, quota=1000).changes == plan_of(d, r, quota=999).changes


def _push(alert: str) -> dict[str, Any]:
    return {"to": "all", "body": {"platform": "all", "notification": {"alert": alert}}}
