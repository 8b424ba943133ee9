"""Drift issues: one per target by its exact marker; comment on change; close when gone; errors loud.
And `ci targets`: the matrix, or its own error."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconciler.ci.markers import parse
from reconciler.remote.engagelab._claim import park
from tests.support.cli import applied, client_for, config, doc, run, write
from tests.support.clock import NOW
from tests.support.github import HUMAN, FakeGitHub


@pytest.fixture
def fake(fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    """The shared fake GitHub, its run's environment set."""
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
    return fake


def by_hand(repo: Path, *names: str, delete: bool = False) -> None:
    """Someone changes the app outside git."""

    async def change() -> None:
        async with client_for(repo) as client:
            if delete:
                for remote in await client.list_schedules():
                    if remote.name in names:
                        await client.delete_schedule(remote.schedule_id)
                return
            for name in names:
                await client.create_schedule(doc(name))

    asyncio.run(change())


def drift_run() -> tuple[Any, Any]:
    """The plan job, then the issues job, as the drift workflow runs them."""
    check = run("ci", "drift", "--target", "local", "--out", "drift")
    return check, run("ci", "drift-issues", "--dir", "drift")


def the_issue(fake: FakeGitHub) -> dict[str, Any]:
    (issue,) = fake.issues.values()
    return issue


def test_drift_opens_then_comments_on_change_then_closes(repo: Path, fake: FakeGitHub) -> None:
    write(repo, doc("a"))
    applied()
    check, issues = drift_run()
    assert (check.exit_code, issues.exit_code) == (0, 0)
    assert issues.output.strip() == "local: no drift"
    assert fake.issues == {}

    by_hand(repo, "x")
    check, issues = drift_run()
    assert check.output.strip() == "local: drift"
    issue = the_issue(fake)
    marker = parse(issue["body"])
    assert marker is not None
    assert marker.target == "local"
    assert "<b>x</b>" in issue["body"]
    assert issue["labels"][0]["name"] == "drift"
    assert fake.comments == []

    check, issues = drift_run()  # the same drift: nothing new
    assert issues.output.strip() == f"local: same drift as #{issue['number']}"
    assert fake.comments == []

    by_hand(repo, "y")
    check, issues = drift_run()
    assert "the drift changed" in issues.output
    assert parse(the_issue(fake)["body"]).checksum != marker.checksum  # type: ignore[union-attr]
    (comment,) = fake.comments_on(issue["number"])
    assert comment["body"].startswith("The drift on `local` changed:")

    by_hand(repo, "x", "y", delete=True)
    check, issues = drift_run()
    assert f"drift gone, closed #{issue['number']}" in issues.output
    assert the_issue(fake)["state"] == "closed"
    assert fake.comments_on(issue["number"])[-1]["body"].startswith("No drift on `local` any more")

    by_hand(repo, "z")  # drift again: the same issue is reopened, not a new one
    drift_run()
    assert the_issue(fake)["state"] == "open"
    assert len(fake.issues) == 1


def test_a_drift_that_trips_a_guard_still_opens_the_issue(repo: Path, fake: FakeGitHub) -> None:
    config(repo, safety={"max_delete_percent": 10, "min_existing": 1})
    write(repo, doc("a"))
    applied()
    by_hand(repo, "x", "y")
    check, _issues = drift_run()
    assert check.exit_code == 0
    assert check.output.startswith("local: refused: would delete 2 of 3")
    body = the_issue(fake)["body"]
    assert "Applying this would be refused: would delete 2 of 3" in body
    assert "<b>x</b>" in body


def left_parked(repo: Path, name: str, parked_at: datetime) -> None:
    """What an apply killed at `parked_at` between a POST and its promotion leaves."""

    async def post() -> None:
        async with client_for(repo) as client:
            await client.create_schedule(park(doc(name), parked_at, "killed"))

    asyncio.run(post())


def test_drift_reports_leftovers_and_flags_those_older_than_a_day(
    repo: Path, fake: FakeGitHub
) -> None:
    write(repo, doc("a"), doc("b"), file="all")
    applied()
    left_parked(repo, "fresh", NOW)  # an apply may be settling it right now
    check, _ = drift_run()
    assert check.output.strip() == "local: drift"
    body = the_issue(fake)["body"]
    assert "(-) withdraw</code> <b>fresh</b>" in body
    assert "[!WARNING]" not in body

    left_parked(repo, "old", NOW - timedelta(days=2))
    check, _ = drift_run()
    body = the_issue(fake)["body"]
    assert (
        "> [!WARNING]\n> 1 parked copy (old) left by an interrupted apply waited longer than "
        "a day: no apply has run since." in body
    )
    applied()  # no --force: the leftovers are withdrawn
    check, issues = drift_run()
    assert "drift gone" in issues.output


def test_another_targets_issue_and_a_forged_one_are_left_alone(
    repo: Path, fake: FakeGitHub
) -> None:
    write(repo, doc("a"))
    applied()
    other = fake.add_issue("<!-- reconciler-drift target=local-eu checksum=none -->\nnot ours")
    forged = fake.add_issue(
        "<!-- reconciler-drift target=local checksum=none -->\nforged", user=HUMAN
    )
    by_hand(repo, "x")
    drift_run()
    assert len(fake.issues) == 3  # a new, bot-written issue for `local`
    assert other["state"] == "open"
    assert forged["body"].endswith("forged")


def test_the_issue_is_the_newest_open_one_and_a_second_open_one_is_closed(
    repo: Path, fake: FakeGitHub
) -> None:
    """Two open issues carry the target's marker (a race, a hand-made copy of the bot's), and
    a newer one is closed: the newest open one is kept, the other open one closed with a link
    to it, the closed one left alone. (GitHub lists issues newest first.)"""
    write(repo, doc("a"))
    applied()
    marker = "<!-- reconciler-drift target=local checksum=none -->\n"
    older = fake.add_issue(marker + "older")
    newer = fake.add_issue(marker + "newer")
    closed = fake.add_issue(marker + "closed since", state="closed")
    by_hand(repo, "x")
    _, issues = drift_run()
    assert issues.exit_code == 0, issues.output
    lines = issues.output.strip().splitlines()
    assert lines == [
        f"local: closed #{older['number']}, a second issue for it (kept #{newer['number']})",
        f"local: the drift changed, updated #{newer['number']}",
    ]
    assert "<b>x</b>" in newer["body"]
    assert (older["state"], older["state_reason"]) == ("closed", "not_planned")
    assert older["body"].endswith("older")
    (link,) = fake.comments_on(older["number"])
    assert link["body"] == (
        f"Closed in favour of #{newer['number']}: reconciler keeps one issue per target."
    )
    assert closed["body"].endswith("closed since")
    assert fake.comments_on(closed["number"]) == []
    assert len(fake.issues) == 3


def test_with_no_open_issue_the_newest_closed_one_is_reopened(repo: Path, fake: FakeGitHub) -> None:
    write(repo, doc("a"))
    applied()
    marker = "<!-- reconciler-drift target=local checksum=none -->\n"
    oldest = fake.add_issue(marker + "long ago", state="closed")
    latest = fake.add_issue(marker + "last time", state="closed")
    by_hand(repo, "x")
    drift_run()
    assert latest["state"] == "open"
    assert "<b>x</b>" in latest["body"]
    assert (oldest["state"], oldest["body"]) == ("closed", marker + "long ago")
    assert len(fake.issues) == 2


def test_a_failing_check_comments_and_fails(repo: Path, fake: FakeGitHub) -> None:
    write(repo, doc("a"))
    applied()
    by_hand(repo, "x")
    drift_run()
    write(repo, doc("a", trigger={"single": {"time": "soon"}}))
    check, issues = drift_run()
    assert check.exit_code == 1
    assert issues.exit_code == 1
    number = the_issue(fake)["number"]
    assert fake.comments_on(number)[-1]["body"].startswith("The drift check of `local` failed:")
    assert json.loads((repo / "drift" / "drift-local.json").read_text())["state"] == "error"


def test_a_target_without_a_report_counts_as_a_failed_check(repo: Path, fake: FakeGitHub) -> None:
    (repo / "drift").mkdir()
    result = run("ci", "drift-issues", "--dir", "drift")
    assert result.exit_code == 1
    assert "The drift check failed: `the drift check wrote no report" in the_issue(fake)["body"]


def test_targets_writes_the_matrix(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config(repo, targets={"local": {"endpoint": "local"}, "prod": {"region": "sgp"}})
    out = repo / "out.txt"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    assert run("ci", "targets").exit_code == 0
    assert (
        out.read_text() == 'matrix=[{"name":"local","local":true},{"name":"prod","local":false}]\n'
    )
    monkeypatch.setenv("RECONCILER_ONLY_TARGET", "prod")
    assert run("ci", "targets").exit_code == 0
    assert out.read_text().splitlines()[-1] == 'matrix=[{"name":"prod","local":false}]'


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"targets": {"prod": {}}}, "target 'prod' needs `endpoint:`"),
        ({"targets": {"prod eu": {"region": "sgp"}}}, "target name 'prod eu': in CI, target names"),
    ],
)
def test_targets_fails_with_its_own_error_and_no_matrix(
    repo: Path, monkeypatch: pytest.MonkeyPatch, settings: dict[str, Any], message: str
) -> None:
    config(repo, **settings)
    out = repo / "out.txt"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    result = run("ci", "targets")
    assert result.exit_code == 1
    # Said once: `reconciler.yaml:2:3: error: …` (a diagnostic) or `error: …`, never both.
    assert result.stderr.count("error: ") == 1, result.stderr
    assert message in result.stderr
    assert not out.exists()


def test_an_unknown_target_to_dispatch_fails(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_ONLY_TARGET", "nope")
    monkeypatch.setenv("GITHUB_OUTPUT", str(repo / "out.txt"))
    result = run("ci", "targets")
    assert result.exit_code == 1
    assert "unknown target 'nope'" in result.stderr
