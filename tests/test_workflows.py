"""The workflows keep their safety promises: this repository's and a freshly scaffolded one's.

actionlint and zizmor (run by .ci/run) check syntax and known weaknesses; these
tests check what is ours to promise: no pull request reaches a credential, the
jobs with credentials write nothing, every action is pinned by commit SHA, and
this repository runs exactly the workflows `reconciler init` writes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.ci.proof import PLAN_WORKFLOW
from reconciler.remote.seen import path_for
from reconciler.repo.scaffold import LOCAL_ACTION, WORKFLOWS, files, render
from tests.support.clock import NOW

ROOT = Path(__file__).resolve().parent.parent
SHA = "0123456789abcdef0123456789abcdef01234567"
# A version tag for a release; a scaffold's reconciler pin may name a commit instead, as such.
PINNED = re.compile(
    r"[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} "
    r"# (v\d+(\.\d+)*|commit of \S+|commit chosen with init --action)"
)
SECRET = re.compile(r"secrets\.(\w+)|secrets\[")
PR_TRIGGERS = {"pull_request", "pull_request_target", "pull_request_review", "issue_comment"}


def scaffolded() -> dict[str, str]:
    made = files(NOW, f"acme/reconciler@{SHA}")
    return {f"scaffold:{p}": text for p, text in made.items() if p.parts[0] == ".github"}


def ours() -> dict[str, str]:
    found = [*sorted((ROOT / ".github").rglob("*.yml")), ROOT / "action.yml"]
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in found}


ALL = {**ours(), **scaffolded()}
WORKFLOW_FILES = {name: text for name, text in ALL.items() if "workflows/" in name}


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    on = workflow.get("on", workflow.get(True))  # PyYAML (YAML 1.1) reads `on` as True
    return {on: None} if isinstance(on, str) else dict(on)


def secrets_in(node: Any) -> set[str]:
    names = set()
    for match in SECRET.finditer(yaml.safe_dump(node)):
        names.add(match.group(1) or "[dynamic]")
    return names - {"GITHUB_TOKEN"}


def writes(job: dict[str, Any]) -> list[str]:
    permissions = job.get("permissions", "inherited")
    if isinstance(permissions, str):
        return [permissions] if permissions != "read-all" else []
    return [scope for scope, level in permissions.items() if level == "write"]


def test_the_walk_sees_every_workflow() -> None:
    names = set(WORKFLOW_FILES)
    for workflow in WORKFLOWS:
        assert f".github/workflows/{workflow}" in names
        assert f"scaffold:.github/workflows/{workflow}" in names
    assert ".github/workflows/ci.yml" in names
    assert {"plan.yml", "apply.yml", "drift.yml"}.isdisjoint(Path(n).name for n in names)


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_action_is_pinned_by_commit_sha_with_its_version(name: str) -> None:
    for line in ALL[name].splitlines():
        match = re.match(r"\s*(?:- )?uses:\s*(.*)$", line)
        if match is None:
            continue
        ref = match.group(1).strip()
        assert ref == LOCAL_ACTION or PINNED.fullmatch(ref), f"{name}: not pinned: {line.strip()}"
        if "# commit" in ref:  # only the reconciler's own pin may name a commit that is no tag
            assert ref.startswith("acme/reconciler@"), f"{name}: {line.strip()}"
        if name.startswith("scaffold:"):
            assert ref != LOCAL_ACTION, f"{name}: a scaffold uses the published action"


@pytest.mark.parametrize("name", sorted(WORKFLOW_FILES))
def test_no_pull_request_reaches_a_credential(name: str) -> None:
    text = WORKFLOW_FILES[name]
    workflow = yaml.safe_load(text)
    assert "pull_request_target" not in text
    assert "secrets: inherit" not in text
    if PR_TRIGGERS & set(triggers(workflow)):
        assert secrets_in(workflow) == set(), f"{name}: a pull request's workflow reads a secret"
        for job in workflow["jobs"].values():
            assert "environment" not in job, f"{name}: a pull request's job uses an environment"


@pytest.mark.parametrize("name", sorted(WORKFLOW_FILES))
def test_jobs_with_credentials_write_nothing_and_nothing_is_granted_by_default(name: str) -> None:
    workflow = yaml.safe_load(WORKFLOW_FILES[name])
    assert workflow["permissions"] in ({}, {"contents": "read"})
    for job_name, job in workflow["jobs"].items():
        if secrets_in(job):
            assert writes(job) == [], f"{name}: job {job_name} holds a secret and may write"
            assert "environment" in job, (
                f"{name}: job {job_name} takes secrets outside an environment"
            )
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
            # Inputs and event data reach commands through env:, never expanded into the script.
            assert "${{" not in str(step.get("run", "")), f"{name}: {job_name} expands into run:"


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_this_repository_runs_the_workflows_init_writes(workflow: str) -> None:
    here = (ROOT / ".github" / "workflows" / workflow).read_text(encoding="utf-8")
    assert here == render(f"workflows/{workflow}", LOCAL_ACTION), (
        f"{workflow} differs from reconciler/repo/templates/workflows/{workflow}: "
        "regenerate it from the template"
    )


def load(workflow: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(render(f"workflows/{workflow}", LOCAL_ACTION))
    return data


def test_the_plan_runs_from_mains_definition_and_skips_forks() -> None:
    pr, plan = load("reconciler-pr.yml"), load("reconciler-plan.yml")
    # Every pull request: its check is required, and a path-filtered required check that
    # never runs leaves a docs-only pull request unmergeable.
    assert triggers(pr)["pull_request"] is None
    assert [job.get("name") for job in pr["jobs"].values()] == ["reconciler-pr"]
    assert triggers(plan)["workflow_run"] == {
        "workflows": ["reconciler-pr"],
        "types": ["completed"],
    }
    condition = plan["jobs"]["targets"]["if"]
    assert "github.event.workflow_run.conclusion == 'success'" in condition
    assert "head_repository.full_name == github.repository" in condition
    jobs = plan["jobs"]
    assert jobs["plan"]["environment"] == "${{ matrix.target.name }}-plan"
    assert "environment" not in jobs["comment"]
    assert jobs["comment"]["permissions"]["pull-requests"] == "write"
    assert secrets_in(jobs["comment"]) == set()


def test_apply_is_one_at_a_time_per_target_behind_its_environment() -> None:
    apply = load("reconciler-apply.yml")
    assert triggers(apply)["push"]["branches"] == ["main"]
    inputs = triggers(apply)["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"target", "checksum", "force", "resolve-duplicates"}
    job = apply["jobs"]["apply"]
    assert job["concurrency"] == {
        "group": "reconciler-apply-${{ matrix.target.name }}",
        "cancel-in-progress": False,
    }
    assert job["environment"] == "${{ matrix.target.name }}"
    assert "environment" not in apply["jobs"]["report"]
    # Reads only: the merged pull request, its plan comment, and the plan run that posted it.
    assert job["permissions"] == {"contents": "read", "pull-requests": "read", "actions": "read"}


def test_the_plan_comment_is_posted_last_in_a_run_that_keeps_its_artifact() -> None:
    """Apply proves a plan comment against its run: the comment written no later than the run's
    end (so the comment job must be the last), and the same as the run's plans-T artifact."""
    plan = load("reconciler-plan.yml")
    assert f".github/workflows/{plan['name']}.yml" == PLAN_WORKFLOW
    assert Path(PLAN_WORKFLOW).name in WORKFLOWS
    jobs = plan["jobs"]
    assert set(jobs["comment"]["needs"]) == set(jobs) - {"comment"}
    assert all("comment" not in job.get("needs", []) for job in jobs.values())
    upload = next(s for s in jobs["plan"]["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["with"]["name"] == "plans-${{ matrix.target.name }}"
    assert upload["with"]["retention-days"] == 90


def test_drift_runs_one_at_a_time_and_files_issues_without_credentials() -> None:
    drift = load("reconciler-drift.yml")
    assert drift["concurrency"] == {"group": "reconciler-drift", "cancel-in-progress": False}
    assert drift["jobs"]["plan"]["environment"] == "${{ matrix.target.name }}-plan"
    issues = drift["jobs"]["issues"]
    # check-repo reads the environments (actions: read) and the rulesets (any read token).
    assert issues["permissions"] == {"contents": "read", "actions": "read", "issues": "write"}
    assert secrets_in(issues) == set()
    runs = [step.get("run", "") for step in issues["steps"]]
    assert runs[-2:] == [
        "reconciler ci check-repo --report-only --out drift",
        "reconciler ci drift-issues --dir drift",
    ]


def test_apply_starts_for_the_files_a_target_plans_from_and_nothing_else() -> None:
    """reconciler.ci.moved lets an older run apply when the later commits change nothing it
    plans from: that holds only while every such change starts a run of its own."""
    apply = load("reconciler-apply.yml")
    assert triggers(apply)["push"]["paths"] == ["schedules.d/**", "reconciler.yaml"]


def test_the_check_catches_a_pull_request_that_reads_a_secret() -> None:
    leaky = yaml.safe_load(
        "on: pull_request\njobs:\n  x:\n    steps:\n      - run: echo\n"
        "        env:\n          K: ${{ secrets.ENGAGELAB_MASTER_SECRET }}\n"
    )
    assert secrets_in(leaky) == {"ENGAGELAB_MASTER_SECRET"}
    assert not PINNED.fullmatch("actions/checkout@v4")


@pytest.mark.parametrize(
    ("workflow", "job", "command"),
    [
        ("reconciler-apply.yml", "apply", "reconciler ci apply"),
        ("reconciler-drift.yml", "plan", "reconciler ci health"),
    ],
)
def test_the_ids_seen_are_kept_between_runs(workflow: str, job: str, command: str) -> None:
    """Health finds a one-off that fired and left the list by the ids apply and health met
    (reconciler.remote.seen): they last only if the job restores the file before the command
    that writes it and saves it after, whatever the command did."""
    steps = load(workflow)["jobs"][job]["steps"]
    seen = path_for(Path("."), "prod").name.replace("prod", "*")
    cache = [
        (i, s)
        for i, s in enumerate(steps)
        if s.get("with", {}).get("path") == f".reconciler/{seen}"
    ]
    (restore_at, restore), (save_at, save) = cache
    runs_at = next(i for i, s in enumerate(steps) if str(s.get("run", "")).startswith(command))
    assert restore["uses"].startswith("actions/cache/restore@")
    assert save["uses"].startswith("actions/cache/save@")
    assert restore_at < runs_at < save_at
    assert str(save["if"]).startswith("always()")
    # A key of its own each run (a cache entry cannot be overwritten), found again by its prefix.
    assert save["with"]["key"] == restore["with"]["key"]
    assert "github.run_id" in restore["with"]["key"]
    assert restore["with"]["key"].startswith(restore["with"]["restore-keys"])
    assert "toJSON(matrix.target.name)" in restore["with"]["restore-keys"]
