"""Apply on merge: only main's head, only the reviewed plan; refusals posted where the team sees them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.support.ci import apply_job, committed, push, refusal, review, use
from tests.support.cli import by_name, client_for, doc, run
from tests.support.github import HUMAN, FakeGitHub, event_env, sha


def dispatch(
    repo: Path,
    fake: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    ref: str,
    checksum: str,
    **inputs: str,
) -> None:
    """The apply job's environment for Run workflow on `ref`; the inputs arrive through env."""
    env = event_env(
        fake,
        repo / "events",
        "workflow_dispatch",
        {"inputs": {}},
        GITHUB_REF=ref,
        RECONCILER_CHECKSUM=checksum,
        RECONCILER_RESOLVE_DUPLICATES="none",
        **inputs,
    )
    use(monkeypatch, env)


def test_the_reviewed_plan_is_applied(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    review(main, fake, monkeypatch, 12, doc("b"))
    fake.merge(12, sha(2))
    push(main, fake, monkeypatch, sha(2), doc("b"))
    result = apply_job()
    assert result.exit_code == 0, result.output + result.stderr
    assert "created b" in result.output
    assert "Verified" in result.output
    assert set(by_name(main)) == {"a", "b"}
    assert not (main / "refused").exists()


def test_a_remote_change_since_review_is_refused_and_reported_on_the_pull_request(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    reviewed = review(main, fake, monkeypatch, 12, doc("b")).checksum

    async def someone_edits_the_app() -> None:
        async with client_for(main) as client:
            await client.create_schedule(doc("made_by_hand"))

    asyncio.run(someone_edits_the_app())
    fake.merge(12, sha(2))
    push(main, fake, monkeypatch, sha(2), doc("b"))
    result = apply_job()
    assert result.exit_code == 1
    assert "local: refused: the plan no longer holds" in result.stderr
    assert set(by_name(main)) == {"a", "made_by_hand"}  # nothing applied
    data = refusal(main)
    assert data["pull_request"] == 12
    assert data["checksum"] != reviewed
    assert "<b>made_by_hand</b>" in data["markdown"]  # the new plan: its delete is shown

    report = run("ci", "report", "--dir", "refused")
    assert report.output.strip() == "posted the refusal for local on #12"
    posted = fake.comments_on(12)[-1]["body"]
    assert posted.startswith("### reconciler apply refused for `local`")
    assert f"checksum `{data['checksum']}`" in posted


def test_a_second_merge_since_review_is_refused(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    review(main, fake, monkeypatch, 12, doc("b"))
    review(main, fake, monkeypatch, 13, doc("c"))  # planned against main without b
    fake.merge(12, sha(2))
    push(main, fake, monkeypatch, sha(2), doc("b"))
    assert apply_job().exit_code == 0
    fake.merge(13, sha(3))
    push(main, fake, monkeypatch, sha(3), doc("c"))
    result = apply_job()
    assert result.exit_code == 1
    assert "the plan no longer holds" in refusal(main)["reason"]
    assert set(by_name(main)) == {"a", "b"}


def test_an_old_commit_does_nothing_when_a_newer_one_changed_the_schedules(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    review(main, fake, monkeypatch, 12, doc("b"))
    fake.merge(12, sha(2))
    push(main, fake, monkeypatch, sha(2), doc("b"))
    committed(main, fake, sha(2))
    # Main moved on while this run waited, with a schedule change: its own run applies.
    committed(main, fake, sha(3), {"schedules.d/c.yaml": "name: c\n"})
    fake.heads["main"] = sha(3)
    summary = main / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = apply_job()
    assert result.exit_code == 0
    assert (
        f"is no longer the head of main (now {sha(3)}), and the commits since change "
        "schedules.d: the run for the newest commit that changes them applies"
    ) in result.output
    assert "no longer the head" in summary.read_text()
    assert set(by_name(main)) == {"a"}


@pytest.mark.parametrize(
    "later",
    [
        {"README.md": "# our pushes\n", "docs/howto.md": "how\n"},
        {".github/workflows/reconciler-apply.yml": "name: reconciler-apply\n"},
    ],
    ids=["docs", "workflows"],
)
def test_a_merge_is_applied_though_a_merge_that_changes_neither_landed_since(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch, later: dict[str, str]
) -> None:
    """The docs-only merge started no apply run (the push filter): this one must apply."""
    review(main, fake, monkeypatch, 12, doc("b"))
    fake.merge(12, sha(2))
    push(main, fake, monkeypatch, sha(2), doc("b"))
    committed(main, fake, sha(2))
    committed(main, fake, sha(3), later)
    fake.heads["main"] = sha(3)
    summary = main / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = apply_job()
    assert result.exit_code == 0, result.output + result.stderr
    assert (
        f"main moved on to {sha(3)} since commit {sha(2)}, but nothing target local plans "
        "from changed (reconciler.yaml, schedules.d): this run applies."
    ) in result.output
    assert "created b" in result.output
    assert "moved on" in summary.read_text()
    assert set(by_name(main)) == {"a", "b"}


def test_a_change_to_reconciler_yaml_since_makes_an_older_run_step_aside(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    review(main, fake, monkeypatch, 12, doc("b"))
    fake.merge(12, sha(2))
    push(main, fake, monkeypatch, sha(2), doc("b"))
    committed(main, fake, sha(2))
    committed(main, fake, sha(3), {"reconciler.yaml": "prune: false\n"})
    fake.heads["main"] = sha(3)
    result = apply_job()
    assert result.exit_code == 0
    assert "the commits since change reconciler.yaml:" in result.output
    assert set(by_name(main)) == {"a"}


def test_a_reviewed_plan_another_run_applied_already_is_nothing_to_do(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs planning the same tree (one older, the later commits changing nothing it plans
    from): the second finds the app as the files say, and has nothing to refuse."""
    review(main, fake, monkeypatch, 12, doc("b"))
    fake.merge(12, sha(2))
    push(main, fake, monkeypatch, sha(2), doc("b"))
    assert apply_job().exit_code == 0
    again = apply_job()
    assert again.exit_code == 0, again.output + again.stderr
    assert "local: Nothing to do: the app already matches the files (the plan no longer holds" in (
        again.output
    )
    assert not (main / "refused").exists()


def test_a_push_without_a_pull_request_is_refused_and_reported_in_an_issue(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    push(main, fake, monkeypatch, sha(2), doc("b"))
    result = apply_job()
    assert result.exit_code == 1
    assert f"commit {sha(2)} reached main without a pull request" in result.stderr
    assert run("ci", "report", "--dir", "refused").exit_code == 0
    (issue,) = fake.issues.values()
    assert issue["title"] == "reconciler: apply refused for local"
    assert "+ create</code> <b>b</b>" in issue["body"]
    assert set(by_name(main)) == {"a"}


def test_a_forged_plan_comment_is_not_a_review(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.add_pull(12, sha(112))
    fake.merge(12, sha(2))
    push(main, fake, monkeypatch, sha(2), doc("b"))
    # The right checksum, but posted by a person: only the bot's comments count.
    plan = run("plan", "--format", "json")
    checksum = json.loads(plan.output)["checksum"]
    fake.add_comment(
        12, f"<!-- reconciler-plan target=local checksum={checksum} head={sha(112)} -->", HUMAN
    )
    result = apply_job()
    assert result.exit_code == 1
    assert "pull request #12 has no plan for target local" in result.stderr
    assert set(by_name(main)) == {"a"}


def test_an_operator_applies_a_new_plan_by_its_checksum(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    push(main, fake, monkeypatch, sha(2), doc("b"))
    assert apply_job().exit_code == 1
    checksum = refusal(main)["checksum"]
    dispatch(main, fake, monkeypatch, "refs/heads/main", checksum, RECONCILER_FORCE="false")
    result = apply_job()
    assert result.exit_code == 0, result.stderr
    assert set(by_name(main)) == {"a", "b"}


def test_an_operator_cannot_apply_from_another_branch(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    push(main, fake, monkeypatch, sha(2), doc("b"))
    dispatch(main, fake, monkeypatch, "refs/heads/mine", "sha256:" + "a" * 64)
    result = apply_job()
    assert result.exit_code == 1
    assert "apply runs on main only, not refs/heads/mine" in result.stderr
    assert set(by_name(main)) == {"a"}
