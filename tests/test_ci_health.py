"""Health in the drift job: a failed or missed push is reported in the target's drift issue.

The plan job runs `ci drift` then `ci health`; the issues job `ci drift-issues` keeps
one issue per target: a health section rewritten in place, a comment only when the set
of unhealthy schedules changes, open while there is drift or an unhealthy schedule.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.ci.markers import parse
from tests.support.cli import applied, client_for, doc, run, write
from tests.support.github import FakeGitHub

DAILY = {
    "start": "2026-11-21 00:00:00",
    "end": "2027-06-01 00:00:00",
    "time_unit": "day",
    "zone_type": 1,
}


@pytest.fixture
def fake(fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
    return fake


def daily(name: str, time: str, to: Any = "all") -> dict[str, Any]:
    schedule = doc(name, trigger={"periodical": {**DAILY, "time": time}})
    schedule["push"]["to"] = to
    return schedule


def drift_run(monkeypatch: pytest.MonkeyPatch, now: str, *health: str) -> tuple[Any, Any, Any]:
    """The plan job (drift, then health), then the issues job, at `now`."""
    monkeypatch.setenv("RECONCILER_NOW", now)
    check = run("ci", "drift", "--target", "local", "--out", "drift")
    healthy = run("ci", "health", "--target", "local", "--out", "drift", *health)
    return check, healthy, run("ci", "drift-issues", "--dir", "drift")


def console_enable(repo: Path, name: str, enabled: bool) -> None:
    async def change() -> None:
        async with client_for(repo) as client:
            (remote,) = [r for r in await client.list_schedules() if r.name == name]
            await client.update_schedule(remote.schedule_id, {**remote.body(), "enabled": enabled})

    asyncio.run(change())


def the_issue(fake: FakeGitHub) -> dict[str, Any]:
    (issue,) = fake.issues.values()
    return issue


@pytest.fixture
def team(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """news (daily 09:00) and nobody (daily 10:00, to a tag no device has), applied on 11-20."""
    monkeypatch.setenv("RECONCILER_NOW", "2026-11-20T00:00:00+00:00")
    write(repo, daily("news", "09:00:00"), daily("nobody", "10:00:00", {"tag": []}))
    applied()
    return repo


def test_a_failed_push_without_drift_opens_the_issue_and_a_changed_set_comments(
    team: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    check, health, issues = drift_run(monkeypatch, "2026-11-21T12:00:00+00:00", "--since", "1d")
    assert (check.output.strip(), check.exit_code) == ("local: clean", 0)
    assert health.exit_code == 0, health.stderr
    assert health.output.startswith("local: health unhealthy: 2 schedules: 1 failed, 1 ok")
    assert issues.exit_code == 0, issues.stderr
    issue = the_issue(fake)
    number = issue["number"]
    assert issues.output.strip() == f"local: unhealthy, opened #{number}"
    assert issue["title"] == "Failed or missed pushes on target local"
    marker = parse(issue["body"])
    assert marker is not None
    assert (marker.target, marker.checksum) == ("local", "none")
    assert marker.health is not None
    assert marker.health.startswith("sha256:")
    body = issue["body"]
    assert "No drift: the app matches the files" in body
    assert "### Health of target `local`" in body
    assert "| `nobody` | failed | 0 / 1 | failed 1011 (cannot find sending target" in body
    assert fake.comments == []

    # The same set the next time: nothing new, nobody notified.
    *_, issues = drift_run(monkeypatch, "2026-11-21T12:00:00+00:00", "--since", "1d")
    assert issues.output.strip() == f"local: same health as #{number}"
    assert fake.comments == []

    # A day later the count grows, the set does not: the section is edited in place, silently.
    *_, issues = drift_run(monkeypatch, "2026-11-22T12:00:00+00:00", "--since", "2d")
    assert issues.output.strip() == f"local: same health as #{number} (edited in place)"
    assert "| `nobody` | failed | 0 / 2 |" in the_issue(fake)["body"]
    assert fake.comments == []

    # Someone disables news by hand: drift, and news misses its fire.
    console_enable(team, "news", False)
    *_, issues = drift_run(monkeypatch, "2026-11-23T12:00:00+00:00", "--since", "1d")
    assert issues.output.strip() == (
        f"local: the drift changed and the health changed, updated #{number}"
    )
    issue = the_issue(fake)
    assert issue["title"] == "Drift on target local"
    assert parse(issue["body"]).checksum.startswith("sha256:")  # type: ignore[union-attr]
    drift_comment, health_comment = fake.comments_on(number)
    assert drift_comment["body"].startswith("The drift on `local` changed:")
    assert health_comment["body"].startswith(
        "Pushes failed or were missed on `local`: `nobody (failed)`, `news (missed)`"
    )


def test_the_issue_closes_when_there_is_neither_drift_nor_a_failed_push(
    team: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    drift_run(monkeypatch, "2026-11-21T12:00:00+00:00", "--since", "1d")
    assert the_issue(fake)["state"] == "open"
    # The tag is fixed and applied; the next day's pushes go out.
    monkeypatch.setenv("RECONCILER_NOW", "2026-11-21T12:00:00+00:00")
    fixed = daily("nobody", "10:00:00", {"tag": ["everyone"]})
    write(team, daily("news", "09:00:00"), fixed, file="news")
    applied()
    *_, issues = drift_run(monkeypatch, "2026-11-22T12:00:00+00:00", "--since", "1d")
    issue = the_issue(fake)
    number = issue["number"]
    assert issues.output.strip() == (
        f"local: drift gone and every push due went out, closed #{number}"
    )
    assert issue["state"] == "closed"
    (comment,) = fake.comments_on(number)
    assert comment["body"].startswith(
        "No drift on `local` any more and every push due went out (Plan: 0 to create"
    )
    # Healthy and in sync again: nothing to say, no issue to open.
    *_, issues = drift_run(monkeypatch, "2026-11-23T12:00:00+00:00", "--since", "1d")
    assert issues.output.strip() == "local: no drift, every push due went out"
    assert len(fake.comments) == 1


def test_a_drift_issue_whose_pushes_recover_says_so_once(
    team: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    drift_run(monkeypatch, "2026-11-21T12:00:00+00:00", "--since", "1d")
    console_enable(team, "news", False)  # drift that stays
    monkeypatch.setenv("RECONCILER_NOW", "2026-11-21T12:00:00+00:00")
    drift_run(monkeypatch, "2026-11-21T12:00:00+00:00", "--since", "1d")
    assert len(fake.comments) == 1  # the drift; the health set is the same
    # The failed fire leaves the window (the last hour holds none): the set empties while
    # the drift stays, and a comment says so.
    *_, issues = drift_run(monkeypatch, "2026-11-21T12:00:00+00:00", "--since", "60m")
    assert "the health changed" in issues.output
    assert fake.comments[-1]["body"].startswith("Every push due on `local` went out again")
    assert the_issue(fake)["state"] == "open"


def test_a_failed_health_check_comments_and_fails_the_job(
    team: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    drift_run(monkeypatch, "2026-11-21T12:00:00+00:00", "--since", "1d")
    write(team, doc("broken", trigger={"single": {"time": "soon"}}))
    check, health, issues = drift_run(monkeypatch, "2026-11-21T12:00:00+00:00")
    assert (check.exit_code, health.exit_code, issues.exit_code) == (1, 1, 1)
    report = json.loads((team / "drift" / "health-local.json").read_text())
    assert report["state"] == "error"
    assert "1 error in the schedule files" in report["reason"]
    bodies = [c["body"] for c in fake.comments_on(the_issue(fake)["number"])]
    assert bodies[0].startswith("The drift check of `local` failed:")
    assert bodies[1].startswith("The health check of `local` failed:")


def test_a_health_report_that_lies_about_its_key_is_refused(
    team: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    drift_run(monkeypatch, "2026-11-21T12:00:00+00:00", "--since", "1d")
    path = team / "drift" / "health-local.json"
    report = json.loads(path.read_text())
    path.write_text(json.dumps({**report, "key": "x --> <!-- reconciler-drift"}))
    result = run("ci", "drift-issues", "--dir", "drift")
    assert result.exit_code == 1
    assert "not a health report (key" in result.stderr


def test_without_a_health_report_the_issue_is_the_drift_checks_alone(
    team: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older workflow (no health step): nothing health-related is said or decided."""
    monkeypatch.setenv("RECONCILER_NOW", "2026-11-21T12:00:00+00:00")
    run("ci", "drift", "--target", "local", "--out", "drift")
    result = run("ci", "drift-issues", "--dir", "drift")
    assert result.output.strip() == "local: no drift"
    assert fake.issues == {}


def test_the_drift_marker_carries_the_health_key() -> None:
    key = "sha256:" + "ab" * 32
    body = f"<!-- reconciler-drift target=prod checksum=none health={key} -->\ntext"
    marker = parse(body)
    assert marker is not None
    assert (marker.checksum, marker.health) == ("none", key)
    assert marker.line() == body.split("\n")[0]
    assert parse("<!-- reconciler-drift target=prod checksum=none health=nope -->") is None
    assert parse("<!-- reconciler-drift target=prod checksum=none -->").health is None  # type: ignore[union-attr]


def test_the_drift_workflow_checks_health_in_the_plan_job_after_the_drift_check() -> None:
    import yaml

    from reconciler.repo.scaffold import files
    from tests.support.clock import NOW

    made = files(NOW, "acme/reconciler@" + "0" * 40)
    (text,) = [t for p, t in made.items() if p.name == "reconciler-drift.yml"]
    jobs = yaml.safe_load(text)["jobs"]
    steps = jobs["plan"]["steps"]
    names = [s.get("name") for s in steps]
    assert names.index("Health") == names.index("Plan") + 1
    health = steps[names.index("Health")]
    assert health["run"] == 'reconciler ci health --target "$TARGET" --out drift'
    assert health["if"] == "${{ !cancelled() }}"  # after a drift check that failed, too
    assert steps[0]["with"]["fetch-depth"] == 0  # the history of the triggers
    assert jobs["issues"]["steps"][-1]["run"] == "reconciler ci drift-issues --dir drift"
    assert "secrets" not in yaml.safe_dump(jobs["issues"])
