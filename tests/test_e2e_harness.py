"""The end-to-end harness's own rules, checked without running act (tests/e2e runs them for real).

GitHub's part is played by tests/support/gitops.py and github_service.py; where
they decide what GitHub would (which token may do what, which workflow a push
triggers, which `uses:` would be fetched), a mistake would make the stories
pass for the wrong reason, so the rules are pinned here.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from reconciler.repo.scaffold import files
from tests.support.act import ActRun, mapped_uses
from tests.support.clock import NOW
from tests.support.github_service import Grant, job_permissions
from tests.support.gitops import _conclusion, _filter, triggers

SHA = "0123456789abcdef0123456789abcdef01234567"


def scaffolded(name: str) -> dict:
    made = files(NOW, f"engagelab/schedule-reconciler@{SHA}")
    return yaml.safe_load(made[Path(".github/workflows") / name])


def test_a_jobs_block_replaces_the_workflows_and_unlisted_scopes_are_none() -> None:
    apply = scaffolded("reconciler-apply.yml")
    job = job_permissions(apply, "apply")
    assert (job["contents"], job["pull-requests"], job["actions"]) == ("read", "read", "read")
    assert job["issues"] == "none"
    report = job_permissions(apply, "report")
    assert (report["issues"], report["pull-requests"], report["actions"]) == (
        "write",
        "write",
        "none",
    )


def test_no_block_anywhere_is_the_restricted_default_and_read_all_reads_all() -> None:
    bare = {"jobs": {"j": {"steps": []}}}
    assert {k for k, v in job_permissions(bare, "j").items() if v != "none"} == {
        "contents",
        "packages",
    }
    everything = {"permissions": "read-all", "jobs": {"j": {"steps": []}}}
    assert set(job_permissions(everything, "j").values()) == {"read"}


def test_a_grant_follows_the_job_and_a_forks_token_only_reads() -> None:
    apply = scaffolded("reconciler-apply.yml")
    jobs = {name: job_permissions(apply, name) for name in apply["jobs"]}
    grant = Grant(1, jobs)
    assert grant.allows("report", "issues", "write")
    assert not grant.allows("apply", "issues", "write")
    assert not grant.allows(None, "contents", "read")
    assert not grant.allows("elsewhere", "contents", "read")
    fork = Grant(2, jobs, read_only=True)
    assert fork.allows("report", "issues", "read")
    assert not fork.allows("report", "issues", "write")


def test_paths_and_branches_filters_as_github_reads_them() -> None:
    paths = ["schedules.d/**", "reconciler.yaml"]
    assert _filter(paths, ["README.md", "schedules.d/team/a.yaml"])
    assert _filter(paths, ["reconciler.yaml"])
    assert not _filter(paths, ["README.md", "docs/reconciler.yaml"])
    assert not _filter(["*.yaml"], ["schedules.d/a.yaml"])  # `*` stays within a segment
    assert not _filter(["schedules.d/**", "!schedules.d/drafts/**"], ["schedules.d/drafts/x"])
    assert _filter(None, [])
    apply = scaffolded("reconciler-apply.yml")
    assert _filter(triggers(apply)["push"]["branches"], ["main"])
    assert not _filter(triggers(apply)["push"]["branches"], ["feature"])


def test_a_matrix_act_cannot_evaluate_fails_the_run_only_when_its_needs_succeeded() -> None:
    text = (
        "on: push\njobs:\n  targets:\n    runs-on: x\n    steps: []\n"
        "  apply:\n    needs: targets\n    runs-on: x\n    strategy:\n"
        "      matrix:\n        target: ${{ fromJSON(needs.targets.outputs.nope) }}\n"
        "    steps: []\n"
    )
    error = {"msg": "line 11: cannot unmarshal !!str `${{ fro...` into []interface {}"}
    ran = {"jobID": "targets", "jobResult": "success"}
    assert _conclusion(ActRun(1, [ran, error], 0.0), text) == "failure"
    skipped = ActRun(1, [error], 0.0)  # targets skipped: GitHub skips apply too
    assert _conclusion(skipped, text) == "skipped"
    assert _conclusion(ActRun(1, [ran], 0.0), text) == "failure"  # unexplained: failed


def test_a_uses_without_a_local_folder_is_reported(tmp_path: Path) -> None:
    (tmp_path / "actions" / "checkout@abc").mkdir(parents=True)
    (tmp_path / "actions" / "checkout@abc" / "action.yml").write_text("runs: {using: node24}\n")
    workflow = {
        "jobs": {
            "j": {
                "steps": [
                    {"uses": "actions/checkout@abc"},
                    {"uses": "someone/else@def"},
                    {"uses": "./local"},
                    {"uses": "docker://alpine"},
                ]
            }
        }
    }
    found = mapped_uses({"w.yml": workflow}, {}, tmp_path)
    assert set(found.folders) == {"actions/checkout@abc"}
    assert [u.split(": ", 1)[1].split(" ")[0] for u in found.unmapped] == [
        "someone/else@def",
        "docker://alpine",
    ]
