"""The GitHub workflows keep their safety promises (actionlint, run by .ci/run, checks the syntax)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parent.parent / ".github" / "workflows"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    return data


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # PyYAML (YAML 1.1) reads the key `on` as True.
    on: dict[str, Any] = workflow.get("on", workflow.get(True))  # type: ignore[call-overload]
    return on


@pytest.mark.parametrize("name", ["ci.yml", "plan.yml", "apply.yml", "drift.yml"])
def test_no_workflow_uses_pull_request_target_and_reads_are_least_privilege(name: str) -> None:
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    assert "pull_request_target" not in text
    assert load(name)["permissions"] == {"contents": "read"}
    # Every checkout drops the token: nothing later can push with it.
    for job in load(name)["jobs"].values():
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout"):
                assert step["with"]["persist-credentials"] is False


def test_plan_runs_mains_code_with_the_pull_requests_data_only() -> None:
    plan = load("plan.yml")
    assert triggers(plan)["pull_request"]["paths"] == ["schedules.d/**", "reconciler.yaml"]
    jobs = plan["jobs"]
    assert "secrets." not in yaml.safe_dump(jobs["validate"])
    assert (
        jobs["targets"]["if"]
        == "github.event.pull_request.head.repo.full_name == github.repository"
    )
    steps = jobs["plan"]["steps"]
    assert steps[0]["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    assert steps[1]["with"]["sparse-checkout"] == "schedules.d"
    assert "cp -r pull-request/schedules.d schedules.d" in steps[2]["run"]
    comment = next(
        s
        for s in steps
        if str(s.get("uses", "")).startswith("marocchino/sticky-pull-request-comment")
    )
    assert comment["with"]["header"] == "reconciler-plan-${{ matrix.target.name }}"
    plan_step = next(s for s in steps if s.get("id") == "plan")
    assert "--detailed-exitcode" in plan_step["run"]
    assert "GITHUB_STEP_SUMMARY" in plan_step["run"]


def test_apply_is_one_at_a_time_per_target_and_never_cancelled() -> None:
    apply = load("apply.yml")
    assert triggers(apply)["push"]["branches"] == ["main"]
    job = apply["jobs"]["apply"]
    assert job["concurrency"] == {
        "group": "reconciler-apply-${{ matrix.target.name }}",
        "cancel-in-progress": False,
    }
    assert job["environment"] == "${{ matrix.target.name }}"
    assert any("apply --auto-approve" in str(s.get("run", "")) for s in job["steps"])


def test_drift_opens_updates_and_closes_one_issue_per_target() -> None:
    drift = load("drift.yml")
    assert "schedule" in triggers(drift)
    assert "workflow_dispatch" in triggers(drift)
    steps = drift["jobs"]["drift"]["steps"]
    by_name = {s.get("name"): s for s in steps}
    assert by_name["Open or update the drift issue"]["if"] == "steps.plan.outputs.exitcode == '2'"
    assert by_name["Close the drift issue"]["if"] == "steps.plan.outputs.exitcode == '0'"
    assert "exit 1" in by_name["Plan"]["run"]
    assert drift["jobs"]["drift"]["permissions"] == {"contents": "read", "issues": "write"}


def test_secrets_come_from_the_environment_and_are_never_echoed() -> None:
    for name in ("plan.yml", "apply.yml", "drift.yml"):
        for job in load(name)["jobs"].values():
            for step in job["steps"]:
                run = str(step.get("run", ""))
                assert "secrets." not in run
                assert "ENGAGELAB_MASTER_SECRET" not in run
