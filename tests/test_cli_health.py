"""`reconciler health`: the command on the embedded emulator, a served one and lying servers.

The embedded emulator's clock is the command's (RECONCILER_NOW): apply at one time,
run `health` days later, and it records the runs in between. A push to nobody records
1011 "Cannot find sending target" on its own; a served emulator takes run faults.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.emulator import DEMO_APP, Settings
from reconciler.emulator.server import serve_in_thread
from tests.support.cli import applied, by_name, client_for, config, doc, run, write
from tests.support.hostile import assert_one_line_error, json_server, run_capped, write_repo

LATER = "2026-11-25T12:00:00+00:00"
DAILY = {
    "periodical": {
        "start": "2026-11-21 00:00:00",
        "end": "2027-06-01 00:00:00",
        "time": "09:00:00",
        "time_unit": "day",
        "zone_type": 1,
    }
}


def daily(name: str, **over: Any) -> dict[str, Any]:
    return doc(name, trigger=over.pop("trigger", DAILY), **over)


def to_nobody(name: str, zone_type: int = 1) -> dict[str, Any]:
    trigger = {"periodical": {**DAILY["periodical"], "time": "10:00:00", "zone_type": zone_type}}
    schedule = doc(name, trigger=trigger)
    schedule["push"]["to"] = {"tag": []}  # matches no device: every run is 1011
    return schedule


def disable_in_the_console(repo: Path, name: str) -> None:
    import asyncio

    async def change() -> None:
        async with client_for(repo) as client:
            (remote,) = [r for r in await client.list_schedules() if r.name == name]
            await client.update_schedule(remote.schedule_id, {**remote.body(), "enabled": False})

    asyncio.run(change())


@pytest.fixture
def troubled(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """ok (daily), failed (a push to nobody, zone_type 2), missed (disabled by hand), quiet;
    applied the day before their first fire, checked days later."""
    monkeypatch.setenv("RECONCILER_NOW", "2026-11-20T00:00:00+00:00")
    write(repo, daily("news"), to_nobody("nobody", zone_type=2), daily("silenced"), doc("later"))
    applied()
    disable_in_the_console(repo, "silenced")
    monkeypatch.setenv("RECONCILER_NOW", LATER)
    return repo


def test_text_shows_each_schedule_with_a_problem_and_a_summary(troubled: Path) -> None:
    result = run("health")
    assert result.exit_code == 0, result.stderr
    lines = result.output.splitlines()
    assert lines[0] == (
        "health of target local: fires due from 2026-11-18 12:00 to 2026-11-25 12:00 (UTC)"
    )
    assert lines[1] == "triggers in force: today's triggers (not a git repository)"
    assert lines[2] == (
        "  failed      nobody: failed 1011 (cannot find sending target: no device matched the "
        "audience) on 4 of 4 fires, last 2026-11-24 10:00 device-local"
    )
    assert lines[3] == (
        "  missed      silenced: missed 5 of 5 fires: 2026-11-21 09:00 UTC, "
        "2026-11-22 09:00 UTC, 2026-11-23 09:00 UTC and 2 more"
    )
    assert lines[4] == "4 schedules: 1 failed, 1 missed, 1 ok, 1 quiet"
    assert len(lines) == 5


def test_detailed_exitcode(troubled: Path) -> None:
    assert run("health", "--detailed-exitcode").exit_code == 2
    assert run("health").exit_code == 0


def test_detailed_exitcode_zero_when_every_push_went_out(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(repo, daily("news"), doc("later"))
    applied()
    monkeypatch.setenv("RECONCILER_NOW", LATER)
    result = run("health", "--detailed-exitcode")
    assert result.exit_code == 0, result.output + result.stderr
    assert result.output.splitlines()[-1] == "2 schedules: 1 ok, 1 quiet"


def test_markdown_is_a_table_of_the_problems(troubled: Path) -> None:
    result = run("health", "--format", "markdown", "--since", "36h")
    assert result.exit_code == 0, result.stderr
    text = result.output
    assert text.startswith("### Health of target `local`\n")
    assert "fires due from 2026-11-24 00:00 to 2026-11-25 12:00 (UTC)" in text
    assert "| schedule | class | fires sent / due | what happened | last fire |" in text
    assert "| `nobody` | failed | 0 / 1 |" in text
    assert "| `silenced` | missed | 0 / 2 |" in text
    assert "`news`" not in text


def test_json_has_every_schedule_with_its_fires_and_runs(troubled: Path) -> None:
    result = run("health", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.output)
    assert (data["target"], data["from"], data["to"]) == (
        "local",
        "2026-11-18T12:00:00+00:00",
        "2026-11-25T12:00:00+00:00",
    )
    assert data["counts"] == {
        "failed": 1, "missed": 1, "unexpected": 0, "unchecked": 0, "ok": 1, "quiet": 1,
    }  # fmt: skip
    assert data["unhealthy"] == ["nobody", "silenced"]
    schedules = {s["name"]: s for s in data["schedules"]}
    assert set(schedules) == {"later", "news", "nobody", "silenced"}
    news = schedules["news"]
    assert news["class"] == "ok"
    assert news["schedule_ids"] == [by_name(troubled)["news"].schedule_id]
    fire = news["fires"][0]
    assert {k: fire[k] for k in ("wall", "zone_type", "state", "first", "deadline")} == {
        "wall": "2026-11-21T09:00:00",
        "zone_type": 1,
        "state": "sent",
        "first": "2026-11-21T09:00:00+00:00",
        "deadline": "2026-11-21T09:30:00+00:00",
    }
    assert fire["runs"][0]["error_code"] == 0
    assert fire["runs"][0]["time"] == "2026-11-21T09:00:00+00:00"
    nobody = schedules["nobody"]
    assert nobody["zone"] == "device-local (UTC+14 to UTC-12)"
    # 10:00 on 11-21 as UTC+14 reached it; its deadline is when UTC-12 has too, plus 30 min.
    assert nobody["fires"][0]["runs"][0]["time"] == "2026-11-20T20:00:00+00:00"
    assert nobody["fires"][0]["deadline"] == "2026-11-21T22:30:00+00:00"
    assert {f["state"] for f in nobody["fires"]} == {"failed", "pending"}
    assert nobody["fires"][0]["runs"][0]["error_code"] == 1011


def test_several_targets_are_checked_each_under_its_name(
    troubled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config(troubled, targets={"local": {"endpoint": "local"}, "other": {"endpoint": "local"}})
    monkeypatch.setenv("RECONCILER_NOW", "2026-11-20T00:00:00+00:00")
    assert run("--target", "other", "apply", "--auto-approve").exit_code == 0
    monkeypatch.setenv("RECONCILER_NOW", LATER)
    result = run("--all-targets", "health", "--detailed-exitcode")
    assert result.exit_code == 2
    heads = [line for line in result.output.splitlines() if line.startswith("health of target")]
    assert [h.split(":")[0] for h in heads] == ["health of target local", "health of target other"]
    data = json.loads(run("--all-targets", "health", "--format", "json").output)
    assert [d["target"] for d in data] == ["local", "other"]
    assert [d["counts"]["missed"] for d in data] == [1, 0]


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("40d", "error: --since: '40d' reaches further back than 31d"),
        ("soon", "error: --since: 'soon' is not a duration such as 7d, 36h or 90m"),
    ],
)
def test_a_bad_since_is_one_line_and_exit_1(repo: Path, since: str, message: str) -> None:
    write(repo, daily("news"))
    result = run("health", "--since", since, "--detailed-exitcode")
    assert result.exit_code == 1
    assert result.stderr.startswith(message)


def test_files_with_errors_cannot_be_checked(repo: Path) -> None:
    write(repo, doc("a", trigger={"single": {"time": "soon"}}))
    result = run("health", "--detailed-exitcode")
    assert result.exit_code == 1
    assert "1 error in the schedule files; run `reconciler validate`" in result.stderr


# --- a served emulator: run faults over HTTP -----------------------------------------------------


def test_against_a_served_emulator_with_run_faults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ENGAGELAB_APP_KEY", DEMO_APP.key)
    monkeypatch.setenv("ENGAGELAB_MASTER_SECRET", DEMO_APP.secret)
    faults = ("run-error=news:1011:2", "run-drop=digest")
    settings = Settings(now=datetime(2026, 11, 21, tzinfo=UTC), faults=faults)
    with serve_in_thread(settings) as url:
        (tmp_path / "schedules.d").mkdir()
        write(tmp_path, daily("news"), daily("digest"))
        config(tmp_path, default_target="prod", targets={"prod": {"endpoint": url}})
        monkeypatch.setenv("RECONCILER_NOW", "2026-11-21T00:00:00+00:00")
        applied()
        import httpx

        httpx.put(f"{url}/_emulator/clock", json={"now": LATER}).raise_for_status()
        monkeypatch.setenv("RECONCILER_NOW", LATER)
        result = run("health", "--detailed-exitcode", "--format", "json")
    assert result.exit_code == 2, result.stderr
    schedules = {s["name"]: s for s in json.loads(result.output)["schedules"]}
    assert schedules["news"]["class"] == "failed"
    assert schedules["news"]["problem"].startswith(
        "failed 1011 (cannot find sending target: no device matched the audience) on 2 of 5"
    )
    assert schedules["digest"]["class"] == "missed"
    assert [f["wall"] for f in schedules["digest"]["fires"] if f["state"] == "missed"] == [
        "2026-11-21T09:00:00"
    ]


# --- lying servers: the real CLI under a memory cap ---------------------------------------------


def lying(msg_ids: Any) -> Any:
    listed = {
        "total_count": 1,
        "total_pages": 1,
        "page": 1,
        "schedules": [{"schedule_id": "id-1", **daily("news")}],
    }
    return lambda path: msg_ids if "msg-ids" in path else listed


def test_a_msg_ids_answer_nested_two_hundred_thousand_deep_is_one_line(tmp_path: Path) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    with json_server(lying(deep)) as url:
        write_repo(tmp_path, {"default_target": "far", "targets": {"far": {"endpoint": url}}}, [])
        (tmp_path / "schedules.d" / "all.yaml").write_text(yaml.safe_dump(daily("news")))
        outcome = run_capped(tmp_path, "health", timeout=30, env={"RECONCILER_NOW": LATER})
    assert_one_line_error(outcome, "reading the runs of news (id-1)", "msg-ids")


def test_fifty_thousand_stray_runs_are_counted_not_listed(tmp_path: Path) -> None:
    stray = [
        # 03:00 on 11-24, a millisecond apart: no fire of a daily 09:00 explains them.
        json.dumps({"msg_id": str(i), "error": {"code": 0}, "ts": 1_795_489_200_000 + i})
        for i in range(50_000)
    ]
    with json_server(lying({"count": len(stray), "MsgIds": stray})) as url:
        write_repo(tmp_path, {"default_target": "far", "targets": {"far": {"endpoint": url}}}, [])
        (tmp_path / "schedules.d" / "all.yaml").write_text(yaml.safe_dump(daily("news")))
        outcome = run_capped(tmp_path, "health", timeout=60, env={"RECONCILER_NOW": LATER})
    assert outcome.code == 0, outcome.stderr[-2000:]
    line = next(x for x in outcome.stdout.splitlines() if "unexpected runs" in x)
    assert "50000 unexpected runs" in line
    assert "and 49997 more" in line
    assert len(outcome.stdout) < 2000


def one_off(name: str, to_nobody: bool = False) -> dict[str, Any]:
    schedule = doc(name, trigger={"single": {"time": "2026-11-22 09:00:00", "zone_type": 1}})
    if to_nobody:
        schedule["push"]["to"] = {"tag": []}
    return schedule


def test_a_one_off_push_that_fired_and_left_the_list_is_checked_by_the_id_apply_remembered(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2026-11-20T00:00:00+00:00")
    write(repo, one_off("launch"), one_off("launch_to_nobody", to_nobody=True))
    applied()
    ids = {name: r.schedule_id for name, r in by_name(repo).items()}
    remembered = json.loads((repo / ".reconciler" / "seen-local.json").read_text("utf-8"))
    assert {i: s["name"] for i, s in remembered["schedules"].items()} == {
        ids["launch"]: "launch",
        ids["launch_to_nobody"]: "launch_to_nobody",
    }
    # Both fired on 11-22 and expired: the app lists neither any more.
    monkeypatch.setenv("RECONCILER_NOW", LATER)
    assert by_name(repo) == {}
    result = run("health", "--format", "json")
    assert result.exit_code == 0, result.stderr
    schedules = {s["name"]: s for s in json.loads(result.output)["schedules"]}
    assert {n: s["class"] for n, s in schedules.items()} == {
        "launch": "ok",
        "launch_to_nobody": "failed",
    }
    assert schedules["launch"]["schedule_ids"] == [ids["launch"]]
    assert schedules["launch"]["notes"][-1].startswith(
        "not listed (expired, or deleted): its runs read by the id remembered"
    )
    assert schedules["launch_to_nobody"]["fires"][0]["runs"][0]["error_code"] == 1011


def test_without_a_remembered_id_a_one_off_that_left_the_list_is_unchecked(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2026-11-20T00:00:00+00:00")
    write(repo, one_off("launch"))
    applied()
    (repo / ".reconciler" / "seen-local.json").unlink()
    monkeypatch.setenv("RECONCILER_NOW", LATER)
    result = run("health", "--format", "json")
    (launch,) = json.loads(result.output)["schedules"]
    assert launch["class"] == "unchecked"
    assert "before its id was remembered" in launch["notes"][-1]


def test_health_remembers_what_it_lists(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2026-11-20T00:00:00+00:00")
    write(repo, one_off("launch"))
    applied()
    (repo / ".reconciler" / "seen-local.json").unlink()
    assert run("health").exit_code == 0  # the day before it fires: it is listed
    monkeypatch.setenv("RECONCILER_NOW", LATER)
    result = run("health", "--format", "json")
    (launch,) = json.loads(result.output)["schedules"]
    assert launch["class"] == "ok"
