"""`reconciler import` round trips and `reconciler history` after the emulator's clock passes fire times."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.core.model import canonical
from reconciler.remote.engagelab._claim import park
from tests.support.cli import applied, by_name, client_for, doc, remote, run, write
from tests.support.clock import NOW

EVERY_KIND: list[dict[str, Any]] = [
    doc("单次推送_once"),
    doc("zone2_once", trigger={"single": {"time": "2027-01-01 09:00:00", "zone_type": 2}}),
    doc(
        "每日提醒",
        trigger={
            "periodical": {
                "start": "2026-11-22 00:00:00",
                "end": "2027-06-01 00:00:00",
                "time": "19:30:00",
                "time_unit": "day",
                "zone_type": 2,
            }
        },
    ),
    doc(
        "weekly",
        trigger={
            "periodical": {
                "start": "2026-11-22 00:00:00",
                "end": "2027-06-01 00:00:00",
                "time": "09:00:00",
                "time_unit": "WEEK",
                "point": ["thu", "MON"],
                "zone_type": 1,
            }
        },
    ),
    doc(
        "monthly",
        trigger={
            "periodical": {
                "start": "2026-11-22 00:00:00",
                "end": "2027-06-01 00:00:00",
                "time": "10:00:00",
                "time_unit": "month",
                "point": ["15", "01"],
                "frequency": 2,
                "zone_type": 1,
            }
        },
    ),
    doc("smart", trigger={"intelligent": {"backup_time": "2027-03-01 12:00:00"}}),
]


def test_import_into_an_empty_directory_then_plan_is_all_noop(repo: Path) -> None:
    write(repo, *EVERY_KIND, file="all")
    applied()
    remote_bodies = {n: canonical(s.body()) for n, s in by_name(repo).items()}
    (repo / "schedules.d" / "all.yaml").unlink()

    result = run("import")
    assert result.exit_code == 0, result.stderr
    assert "Imported 6 schedules into schedules.d." in result.output
    files = sorted(p.name for p in (repo / "schedules.d").glob("*.yaml"))
    assert files == sorted(f"{d['name']}.yaml" for d in EVERY_KIND)

    text = (repo / "schedules.d" / "weekly.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schemas/schedule.schema.json\n")
    assert 'start: "2026-11-22 00:00:00"' in text
    assert 'time: "09:00:00"' in text
    assert "point: [MON, THU]" in text
    assert (repo / "schemas" / "schedule.schema.json").is_file()
    cjk = yaml.safe_load((repo / "schedules.d" / "每日提醒.yaml").read_text(encoding="utf-8"))
    assert canonical(cjk) == remote_bodies["每日提醒"]

    assert run("validate").exit_code == 0
    plan = run("plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "Plan: 0 to create, 0 to update, 0 to replace, 0 to delete; 6 unchanged." in plan.output


def test_import_refuses_to_overwrite_unless_asked(repo: Path) -> None:
    write(repo, doc("a"))
    applied()
    before = (repo / "schedules.d" / "a.yaml").read_text(encoding="utf-8")
    refused = run("import")
    assert refused.exit_code == 1
    assert "refusing to overwrite schedules.d/a.yaml; pass --overwrite" in refused.stderr
    assert (repo / "schedules.d" / "a.yaml").read_text(encoding="utf-8") == before
    assert run("import", "--overwrite").exit_code == 0
    assert (repo / "schedules.d" / "a.yaml").read_text(encoding="utf-8") != before
    assert run("plan", "--detailed-exitcode").exit_code == 0


def test_import_honours_manage_prefix_and_dir(repo: Path) -> None:
    write(repo, doc("team_a"), doc("other"), file="both")
    applied()
    (repo / "reconciler.yaml").write_text("manage_prefix: team_\n", encoding="utf-8")
    result = run("import", "--dir", "imported")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (repo / "imported").glob("*.yaml")) == ["team_a.yaml"]


def test_import_never_writes_a_parked_copy_as_a_schedule(repo: Path) -> None:
    write(repo, doc("kept"))
    applied()
    (repo / "schedules.d" / "kept.yaml").unlink()

    async def leave_parked() -> None:  # an apply killed before it promoted "half"
        async with client_for(repo) as client:
            await client.create_schedule(park(doc("half"), NOW, "killed"))

    asyncio.run(leave_parked())
    result = run("import")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (repo / "schedules.d").glob("*.yaml")) == ["kept.yaml"]
    assert "warning: half (id " in result.stderr
    assert (
        "it is a copy parked by an interrupted apply on 2026-11-21 00:00 UTC, not a schedule; "
        "apply completes or withdraws it" in result.stderr
    )


def test_history_of_a_name_means_the_schedule_not_a_parked_copy_beside_it(repo: Path) -> None:
    write(repo, doc("kept"))
    applied()

    async def leave_parked() -> None:  # another writer's copy of "kept", interrupted
        async with client_for(repo) as client:
            await client.create_schedule(park(doc("kept"), NOW, "killed"))

    asyncio.run(leave_parked())
    result = run("history", "kept")
    assert result.exit_code == 0, result.stderr
    assert result.output.startswith(f"kept (id {by_name_kept(repo)}): ")


def by_name_kept(repo: Path) -> str:
    """The id of the schedule "kept" that is not a parked copy."""
    (found,) = [r for r in remote(repo) if r.name == "kept" and "parked" not in str(r.push)]
    return found.schedule_id


def test_history_lists_runs_newest_first_after_the_clock_passes(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    daily = doc(
        "daily",
        trigger={
            "periodical": {
                "start": "2026-11-22 00:00:00",
                "end": "2027-06-01 00:00:00",
                "time": "08:00:00",
                "time_unit": "day",
                "zone_type": 1,
            }
        },
    )
    write(repo, daily)
    applied()
    monkeypatch.setenv("RECONCILER_NOW", "2026-11-25T12:00:00+00:00")
    result = run("history", "daily")
    assert result.exit_code == 0, result.stderr
    lines = result.output.splitlines()
    assert lines[0].startswith("daily (id ")
    assert lines[0].endswith("): 4 runs")
    assert [line.split("  ")[1] for line in lines[1:]] == [
        "2026-11-25 08:00:00 UTC",
        "2026-11-24 08:00:00 UTC",
        "2026-11-23 08:00:00 UTC",
        "2026-11-22 08:00:00 UTC",
    ]
    assert all(line.endswith("sent") for line in lines[1:])
    data = json.loads(run("history", "daily", "--format", "json").output)
    assert next(r["time"] for r in data["runs"]) == "2026-11-25T08:00:00+00:00"
    assert len({r["msg_id"] for r in data["runs"]}) == 4


def test_history_shows_a_failed_run_with_its_meaning_and_reads_expired_by_id(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nobody = doc("nobody", trigger={"single": {"time": "2026-12-01 10:00:00", "zone_type": 1}})
    nobody["push"]["to"] = {"tag": []}
    write(repo, nobody)
    applied()
    schedule_id = by_name(repo)["nobody"].schedule_id
    monkeypatch.setenv("RECONCILER_NOW", "2026-12-02T00:00:00+00:00")
    gone = run("history", "nobody")
    assert gone.exit_code == 1
    assert "expired one leaves the list, so pass its schedule id" in gone.stderr
    result = run("history", schedule_id)
    assert result.exit_code == 0, result.stderr
    assert (
        "2026-12-01 10:00:00 UTC  msg_id=0  failed 1011 cannot find sending target" in result.output
    )
    data = json.loads(run("history", schedule_id, "--format", "json").output)
    assert data["runs"][0]["error_code"] == 1011


def test_history_of_an_unknown_name_is_one_clear_line(repo: Path) -> None:
    write(repo, doc("a"))
    applied()
    result = run("history", "missing")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no active remote schedule is named 'missing'")
