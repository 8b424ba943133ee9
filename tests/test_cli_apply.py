"""End to end through the command line against the embedded emulator (`endpoint: local`).

Each test is a real repo in a temporary directory: reconciler.yaml, schedule
files, and the emulator's SQLite state in .reconciler/, driven by
`reconciler plan` and `reconciler apply` exactly as a user or CI would.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import (
    EXAMPLES,
    SAMPLES,
    applied,
    by_name,
    client_for,
    config,
    doc,
    remote,
    run,
    write,
)
from tests.support.plan import never_fires, periodical


def test_first_apply_of_the_samples_then_nothing_to_do(repo: Path) -> None:
    for sample in [*SAMPLES.glob("*.yaml"), *EXAMPLES.glob("*.yaml")]:
        (repo / "schedules.d" / sample.name).write_text(
            sample.read_text(encoding="utf-8"), encoding="utf-8"
        )
    result = applied()
    assert "Apply: 5 done, 0 failed (5 created)." in result.output
    assert "Verified: the app matches the files." in result.output
    assert set(by_name(repo)) == {
        "new_year_2027_greeting",
        "daily_streak_reminder",
        "weekly_digest",
        "月度账单提醒",
        "winback_smart_delivery",
    }
    again = applied()
    assert "Nothing to do." in again.output
    assert run("plan", "--detailed-exitcode").exit_code == 0


def test_apply_prints_a_line_per_change(repo: Path) -> None:
    write(repo, doc("a"))
    first = applied()
    assert f"created a id={by_name(repo)['a'].schedule_id}" in first.output


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"alert": "new words"}, "/push/body/notification/alert"),
        ({"platform": ["ios"]}, "/push/body/platform"),
        ({"enabled": False}, "/enabled"),
        (
            {"trigger": {"single": {"time": "2027-02-02 10:00:00", "zone_type": 1}}},
            "/trigger/single/time",
        ),
    ],
)
def test_a_change_to_a_field_is_an_update_in_place(
    repo: Path, change: dict[str, Any], path: str
) -> None:
    write(repo, doc("a"))
    applied()
    before = by_name(repo)["a"]
    write(repo, doc("a", **change))
    plan = run("plan", "--format", "json", "--detailed-exitcode")
    assert plan.exit_code == 2
    data = json.loads(plan.output)
    assert data["summary"]["update"] == 1
    assert [d["path"] for d in data["changes"][0]["diff"]] == [path]
    applied()
    after = by_name(repo)["a"]
    assert after.schedule_id == before.schedule_id
    assert run("plan", "--detailed-exitcode").exit_code == 0


def test_periodical_fields_update_in_place(repo: Path) -> None:
    weekly = periodical(
        "week", start="2026-11-22 00:00:00", end="2027-06-01 00:00:00", point=["MON"]
    )
    write(repo, doc("w", trigger=weekly))
    applied()
    weekly["periodical"].update(point=["mon", "fri"], end="2027-07-01 00:00:00", time="10:30:00")
    write(repo, doc("w", trigger=weekly))
    plan = json.loads(run("plan", "--format", "json").output)
    assert sorted(d["path"] for d in plan["changes"][0]["diff"]) == [
        "/trigger/periodical/end",
        "/trigger/periodical/point",
        "/trigger/periodical/time",
    ]
    applied()
    assert by_name(repo)["w"].trigger["periodical"]["point"] == ["MON", "FRI"]


def test_rename_via_previous_name_keeps_the_id(repo: Path) -> None:
    write(repo, doc("old_name"))
    applied()
    old_id = by_name(repo)["old_name"].schedule_id
    (repo / "schedules.d" / "old_name.yaml").unlink()
    write(repo, doc("new_name", previous_name="old_name", alert="hi old_name"))
    result = applied()
    assert "updated new_name" in result.output
    assert {n: s.schedule_id for n, s in by_name(repo).items()} == {"new_name": old_id}


def test_zone_type_change_replaces(repo: Path) -> None:
    write(repo, doc("z"))
    applied()
    old_id = by_name(repo)["z"].schedule_id
    write(repo, doc("z", trigger={"single": {"time": "2027-01-01 09:00:00", "zone_type": 2}}))
    plan = run("plan")
    assert "-/+ replace z" in plan.output
    assert "forces replacement: zone_type 1 -> 2" in plan.output
    result = applied()
    new = by_name(repo)["z"]
    assert new.schedule_id != old_id
    assert f"replaced z id={old_id} -> id={new.schedule_id}" in result.output


def test_file_removal_deletes(repo: Path) -> None:
    write(repo, doc("keep"))
    write(repo, doc("gone"))
    applied()
    (repo / "schedules.d" / "gone.yaml").unlink()
    result = applied()
    assert "deleted gone" in result.output
    assert set(by_name(repo)) == {"keep"}


def test_delete_guard_refuses_with_numbers_and_force_overrides(repo: Path) -> None:
    for i in range(10):
        write(repo, doc(f"s{i}"))
    applied()
    for i in range(4):
        (repo / "schedules.d" / f"s{i}.yaml").unlink()
    result = run("apply", "--auto-approve")
    assert result.exit_code == 1
    assert "- delete s0" in result.output  # the plan is shown before the refusal
    assert (
        "would delete 4 of 10 managed schedules (40.0% > max_delete_percent 30%)" in result.stderr
    )
    assert len(by_name(repo)) == 10
    applied("--force")
    assert len(by_name(repo)) == 6


def test_update_guard_refuses(repo: Path) -> None:
    for i in range(10):
        write(repo, doc(f"s{i}"))
    applied()
    for i in range(6):
        write(repo, doc(f"s{i}", alert="changed"))
    result = run("apply", "--auto-approve")
    assert result.exit_code == 1
    assert (
        "would update or replace 6 of 10 managed schedules (60.0% > max_update_percent 50%)"
        in result.stderr
    )
    assert run("plan").exit_code == 1


def test_empty_desired_set_is_refused(repo: Path) -> None:
    write(repo, doc("a"))
    applied()
    (repo / "schedules.d" / "a.yaml").write_text("# all gone\n", encoding="utf-8")
    result = run("apply", "--auto-approve")
    assert result.exit_code == 1
    assert "no desired schedules but 1 managed remote ones" in result.stderr
    assert set(by_name(repo)) == {"a"}


def test_quota_guard_refuses(repo: Path) -> None:
    config(repo, quota=2)
    for name in ("a", "b", "c"):
        write(repo, doc(name))
    result = run("apply", "--auto-approve")
    assert result.exit_code == 1
    assert "would leave 3 active schedules in the app, above the quota of 2" in result.stderr
    assert remote(repo) == []


def test_saved_plan_is_applied_and_a_stale_one_refused(repo: Path) -> None:
    write(repo, doc("a"))
    assert run("plan", "--out", "plan.json").exit_code == 0
    result = run("apply", "plan.json")
    assert result.exit_code == 0, result.stderr
    assert "created a" in result.output
    # The plan was made against an empty app: it no longer holds.
    write(repo, doc("b"))
    stale = run("apply", "plan.json")
    assert stale.exit_code == 1
    assert "the plan no longer holds" in stale.stderr
    assert "create 1 -> 1" not in stale.stderr
    assert set(by_name(repo)) == {"a"}


def test_stale_plan_is_refused_even_with_force(repo: Path) -> None:
    write(repo, doc("a"))
    run("plan", "--out", "plan.json")
    write(repo, doc("a", alert="edited after review"))
    result = run("apply", "plan.json", "--force")
    assert result.exit_code == 1
    assert "the plan no longer holds" in result.stderr
    assert remote(repo) == []


def test_checksum_is_checked(repo: Path) -> None:
    write(repo, doc("a"))
    checksum = json.loads(run("plan", "--format", "json").output)["checksum"]
    wrong = run("apply", "--checksum", "sha256:" + "0" * 64)
    assert wrong.exit_code == 1
    assert "the plan no longer holds" in wrong.stderr
    assert remote(repo) == []
    assert run("apply", "--checksum", checksum).exit_code == 0
    assert set(by_name(repo)) == {"a"}


def test_apply_without_a_terminal_refuses_unless_auto_approved(repo: Path) -> None:
    write(repo, doc("a"))
    result = run("apply")
    assert result.exit_code == 1
    assert "no terminal to confirm on: pass --auto-approve" in result.stderr
    assert remote(repo) == []


def _make_duplicates(repo: Path) -> list[str]:
    async def create() -> list[str]:
        async with client_for(repo) as client:
            first = await client.create_schedule(doc("dup"))
            second = await client.create_schedule(doc("dup"))
            return [first, second]

    return asyncio.run(create())


def test_conflict_is_refused_then_resolved_with_keep_oldest(repo: Path) -> None:
    write(repo, doc("dup"))
    applied()
    (repo / ".reconciler").mkdir(exist_ok=True)
    oldest = by_name(repo)["dup"].schedule_id
    _make_duplicates(repo)
    plan = run("plan", "--detailed-exitcode")
    assert plan.exit_code == 2
    assert "! conflict dup" in plan.output
    assert f"{oldest} (#1 by creation)" in plan.output
    refused = run("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert "--resolve-duplicates keep-oldest" in refused.stderr
    assert len(remote(repo)) == 3
    applied("--resolve-duplicates", "keep-oldest")
    assert {s.name: s.schedule_id for s in remote(repo)} == {"dup": oldest}


def test_a_failed_change_does_not_stop_the_others_and_exit_is_1(repo: Path) -> None:
    write(repo, doc("good"))
    write(repo, doc("never", trigger=never_fires()))
    result = run("apply", "--auto-approve")
    assert result.exit_code == 1
    assert "created good id=" in result.output
    assert "failed create never: " in result.output
    assert "28105" in result.output
    assert "Apply: 1 done, 1 failed (1 created)." in result.output
    assert "run apply again" in result.stderr
    assert set(by_name(repo)) == {"good"}


def test_the_embedded_emulator_follows_the_planners_clock(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A run with RECONCILER_NOW far ahead leaves that clock in .reconciler/local.db;
    # a later run on the wall clock must not meet it (the create would be refused
    # as past by a stale emulator clock while the planner thinks it is future).
    wall = datetime.now(UTC)
    later = (wall + timedelta(days=250)).strftime("%Y-%m-%d %H:%M:%S")
    write(repo, doc("later", trigger={"single": {"time": later, "zone_type": 1}}))
    monkeypatch.setenv("RECONCILER_NOW", (wall + timedelta(days=200)).isoformat())
    assert run("plan").exit_code == 0  # the state file now holds that clock
    monkeypatch.delenv("RECONCILER_NOW")
    soon = (wall + timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S")
    write(repo, doc("soon", trigger={"single": {"time": soon, "zone_type": 1}}))
    result = applied()
    assert "created soon" in result.output
