"""The CI workflows' jobs as the tests run them, against the fake GitHub and the embedded emulator.

A pull request's plan is a reconciler-plan run: it starts, its plan job writes
plans/ (with head-local.txt, from the run's workflow_run event) and uploads it
as the artifact plans-local, its comment job posts with GITHUB_RUN_ID set, and
it finishes. A merge is a push to main and the apply job.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from reconciler.ci.markers import PLAN, find
from reconciler.ci.pull_request import collect
from reconciler.config.load import load_config
from tests.support.cli import run, write
from tests.support.github import (
    FakeGitHub,
    event_env,
    pull_request_event,
    sha,
    workflow_run_event,
)


def use(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def plan_run(
    repo: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch, head: str, *, finish: bool = True
) -> tuple[Result, int]:
    """reconciler-plan for the pull request collected in pr-data/ at `head`: the comment job's
    result and the run's id. Leaves plans/ and pr-data/ in place."""
    run_id = fake.start_run()
    env = event_env(
        fake, repo / "events", "workflow_run", workflow_run_event(head), GITHUB_RUN_ID=str(run_id)
    )
    use(monkeypatch, env)  # the plan job and the comment job run on the run's event
    planned = run("ci", "plan", "--target", "local", "--pr", "pr-data", "--out", "plans")
    assert planned.exit_code == 0, planned.output + planned.stderr
    fake.upload_artifact(run_id, "plans-local", repo / "plans")
    result = run("ci", "comment", "--plans", "plans", "--pr", "pr-data/pr.json")
    if finish:
        fake.finish_run(run_id)
    return result, run_id


@dataclass(frozen=True)
class Reviewed:
    """A pull request planned and commented on: the plan's checksum, its run, its comment."""

    checksum: str
    run: int
    comment: dict[str, Any]


def review(
    repo: Path,
    fake: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    number: int,
    *docs: dict[str, Any],
    finish: bool = True,
) -> Reviewed:
    """Pull request `number` with main's files plus `docs`, planned and commented on."""
    head = sha(100 + number)
    fake.add_pull(number, head)
    tree = repo / "checkout"
    shutil.copytree(repo / "schedules.d", tree / "schedules.d")
    for d in docs:
        write(tree, d)
    env = event_env(fake, repo / "events", "pull_request", pull_request_event(number, head))
    collect(load_config(None, tree), repo / "pr-data", env)
    result, run_id = plan_run(repo, fake, monkeypatch, head, finish=finish)
    assert result.exit_code == 0, result.output + result.stderr
    checksum = str(json.loads((repo / "plans" / "plan-local.json").read_text())["checksum"])
    for leftover in ("checkout", "pr-data", "plans"):
        shutil.rmtree(repo / leftover)
    found = find(fake.comments_on(number), PLAN, "local")
    assert found is not None
    return Reviewed(checksum, run_id, found[0])


def push(
    repo: Path,
    fake: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    commit: str,
    *docs: dict[str, Any],
) -> None:
    """Main moves to `commit` with `docs` added; the apply job's environment for that push."""
    for d in docs:
        write(repo, d)
    fake.heads["main"] = commit
    use(
        monkeypatch,
        event_env(
            fake,
            repo / "events",
            "push",
            {"after": commit},
            GITHUB_SHA=commit,
            GITHUB_REF="refs/heads/main",
        ),
    )


def apply_job() -> Result:
    return run("ci", "apply", "--target", "local", "--out", "refused")


def refusal(repo: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((repo / "refused" / "refused-local.json").read_text())
    return data


def committed(
    repo: Path, fake: FakeGitHub, commit: str, more: Mapping[str, str | None] | None = None
) -> None:
    """`commit` holds the repository's files as they are now (reconciler.yaml, schedules.d/)
    with `more` (path -> text; None removes), in the fake GitHub's git database."""
    found = [repo / "reconciler.yaml", *(repo / "schedules.d").rglob("*")]
    files: dict[str, str | bytes] = {
        p.relative_to(repo).as_posix(): p.read_bytes() for p in found if p.is_file()
    }
    for path, text in (more or {}).items():
        if text is None:
            files.pop(path, None)
        else:
            files[path] = text
    fake.commit_files(commit, files)
