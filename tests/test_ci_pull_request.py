"""Pull-request plans: the files are data, main holds the connection, one sticky comment per target."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.ci.errors import CiError
from reconciler.ci.markers import PLAN, Marker, parse, with_marker
from reconciler.ci.proof import read_zip
from reconciler.ci.pull_request import FORK_NOTE, collect, fork_note, plan_entry
from reconciler.config.load import load_config
from tests.support.ci import plan_run
from tests.support.cli import applied, config, doc, run, write
from tests.support.github import (
    HUMAN,
    TOKEN,
    FakeGitHub,
    event_env,
    pull_request_event,
    sha,
    workflow_run_event,
)


def checkout(repo: Path, *docs: dict[str, Any], **settings: Any) -> Path:
    """The pull request's tree: its schedule files and its reconciler.yaml."""
    tree = repo / "checkout"
    (tree / "schedules.d").mkdir(parents=True)
    for d in docs:
        write(tree, d)
    if settings:
        config(tree, **settings)
    return tree


def collected(repo: Path, fake: FakeGitHub, tree: Path, head: str = sha(77)) -> Path:
    env = event_env(fake, repo / "events", "pull_request", pull_request_event(12, head))
    collect(load_config(None, tree), repo / "pr-data", env)
    return repo / "pr-data"


def use_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def test_collect_copies_plain_files_and_the_pull_requests_facts(
    repo: Path, fake: FakeGitHub
) -> None:
    tree = checkout(repo, doc("b"), prune=False)
    data = collected(repo, fake, tree)
    assert sorted(p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file()) == [
        "pr.json",
        "reconciler.yaml",
        "schedules.d/b.yaml",
    ]
    facts = json.loads((data / "pr.json").read_text())
    assert facts["number"] == 12
    assert facts["head_sha"] == sha(77)
    assert facts["head_repository"] == "acme/schedules"


def test_collect_refuses_a_symbolic_link(repo: Path, fake: FakeGitHub) -> None:
    tree = checkout(repo, doc("b"))
    os.symlink("/proc/self/environ", tree / "schedules.d" / "env.yaml")
    with pytest.raises(CiError, match=r"env\.yaml: a symbolic link"):
        collected(repo, fake, tree)
    assert not (repo / "pr-data" / "schedules.d").exists()


def test_the_pull_requests_settings_plan_with_mains_connection(
    repo: Path, fake: FakeGitHub
) -> None:
    config(repo, targets={"local": {"endpoint": "local"}}, prune=False)
    write(repo, doc("a"))
    applied()
    # The pull request turns prune on, points the target elsewhere and adds a target.
    evil = {"endpoint": "http://127.0.0.1:9", "app_key_env": "HOME"}
    tree = checkout(
        repo, doc("b"), targets={"local": evil, "extra": {"endpoint": "local"}}, prune=True
    )
    collected(repo, fake, tree)
    result = run("ci", "plan", "--target", "local", "--pr", "pr-data", "--out", "plans")
    assert result.exit_code == 0, result.output
    saved = json.loads((repo / "plans" / "plan-local.json").read_text())
    assert {c["name"]: c["action"] for c in saved["changes"]} == {"a": "delete", "b": "create"}
    markdown = (repo / "plans" / "plan-local.md").read_text()
    assert "This pull request adds target `extra`: it is not planned here" in markdown
    assert saved["checksum"] in markdown
    # What the pull request changes in the settings is shown above the changes, key by key.
    assert markdown.index("#### Configuration changes") < markdown.index("<details>")
    assert '| `connection.base_url` | `"local"` | `"http://127.0.0.1:9"` |' in markdown
    assert '| `connection.app_key_env` | `"ENGAGELAB_APP_KEY"` | `"HOME"` |' in markdown
    assert "| `scope.prune` | `false` | `true` |" in markdown
    assert "> [!CAUTION]" in markdown
    assert "This pull request moves `local` to `http://127.0.0.1:9`" in markdown
    assert {c["key"] for c in saved["setting_changes"]} == {
        "connection.base_url",
        "connection.app_key_env",
        "scope.prune",
    }
    assert saved["settings"]["connection"]["base_url"] == "local"  # planned with main's


@pytest.mark.parametrize(
    ("names", "said"),
    [
        (["prod", "prod-plan"], "'prod-plan' ends in -plan"),
        (["prod", "Prod"], "'Prod' and 'prod' differ only in case"),
        (["staging-PLAN"], "ends in -plan"),
    ],
)
def test_a_target_named_like_an_environment_fails_the_pull_requests_check(
    repo: Path, fake: FakeGitHub, names: list[str], said: str
) -> None:
    tree = checkout(repo, doc("b"), targets={n: {"endpoint": "local"} for n in names})
    with pytest.raises(CiError, match=said):
        collected(repo, fake, tree)
    assert not (repo / "pr-data").exists()
    config(repo, targets={n: {"endpoint": "local"} for n in names})
    result = run("ci", "targets")
    assert result.exit_code == 1
    assert said.split("'")[-1] in result.stderr


def test_a_plan_that_fails_is_written_for_the_comment_and_exits_1(
    repo: Path, fake: FakeGitHub
) -> None:
    tree = checkout(repo, doc("b", trigger={"single": {"time": "tomorrow"}}))
    collected(repo, fake, tree)
    result = run("ci", "plan", "--target", "local", "--pr", "pr-data", "--out", "plans")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: 1 error in the schedule files")
    assert "**The plan failed:**" in (repo / "plans" / "plan-local.md").read_text()
    assert "error" in json.loads((repo / "plans" / "plan-local.json").read_text())


@pytest.mark.parametrize(
    "glob", ["../../**/*.yaml", "**/../../../../proc/self/*", "/etc/**/*.yaml"]
)
def test_a_glob_that_leaves_the_pull_requests_files_is_refused(
    repo: Path, fake: FakeGitHub, glob: str
) -> None:
    (repo / "pr-data").mkdir()
    config(repo / "pr-data", schedules=glob)
    result = run("ci", "plan", "--target", "local", "--pr", "pr-data", "--out", "plans")
    assert result.exit_code == 1
    assert f"schedules {glob!r} leaves the repository" in result.stderr
    assert "leaves the repository" in (repo / "plans" / "plan-local.md").read_text()


def plan_and_comment(
    repo: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch, *docs: dict[str, Any]
) -> tuple[Any, int]:
    """A reconciler-plan run for the pull request with `docs`: the comment job's result, the run."""
    tree = checkout(repo, *docs)
    collected(repo, fake, tree, head=sha(77))
    result, run_id = plan_run(repo, fake, monkeypatch, sha(77))
    for leftover in ("checkout", "pr-data", "plans"):
        shutil.rmtree(repo / leftover)
    return result, run_id


def test_one_sticky_comment_per_target_edited_in_place(
    repo: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.add_pull(12, sha(77))
    forged = fake.add_comment(
        12,
        f"<!-- reconciler-plan target=local checksum=sha256:{'0' * 64} head={sha(77)} -->",
        HUMAN,
    )
    result, run_id = plan_and_comment(repo, fake, monkeypatch, doc("b"))
    assert result.output.strip() == "posted the plan for local on #12"
    first = fake.comments_on(12)[-1]
    marker = parse(first["body"])
    assert marker is not None
    assert (marker.target, marker.head, marker.run) == ("local", sha(77), run_id)
    assert marker.checksum.startswith("sha256:")
    assert "+ create</code> <b>b</b>" in first["body"]

    result, second_run = plan_and_comment(repo, fake, monkeypatch, doc("b"), doc("c"))
    assert result.output.strip() == "updated the plan for local on #12"
    second = parse(fake.comments_on(12)[-1]["body"])
    assert second is not None
    assert (second.head, second.run) == (sha(77), second_run)
    assert second.checksum != marker.checksum
    assert len(fake.comments_on(12)) == 2  # the forged one and ours, edited
    assert "<b>c</b>" in fake.comments_on(12)[-1]["body"]
    assert forged["body"].endswith(f"head={sha(77)} -->")  # never edited
    assert TOKEN not in result.output


def test_the_comment_is_what_the_plan_runs_artifact_makes_of_it(
    repo: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Apply proves a comment by deriving it again from the artifact: this is that derivation."""
    fake.add_pull(12, sha(77))
    _, run_id = plan_and_comment(repo, fake, monkeypatch, doc("b", alert="caf\u00e9 \u2615"))
    (artifact,) = fake.artifacts.values()
    assert (artifact["name"], artifact["workflow_run"]["id"]) == ("plans-local", run_id)
    files = read_zip(fake.archives[artifact["id"]], ["plan-local.md", "plan-local.json"], "it")
    checksum, markdown = plan_entry(files["plan-local.md"], files["plan-local.json"])
    body = fake.comments_on(12)[-1]["body"]
    assert body == with_marker(Marker(PLAN, "local", checksum, sha(77), run_id), markdown)
    assert body.partition("\n")[2] == markdown.partition("\n")[2]  # only the marker line differs
    assert checksum == json.loads(files["plan-local.json"])["checksum"]


@pytest.mark.parametrize("run_id", ["", "0", "12a", "-3", "\u0661\u0662"])
def test_the_comment_job_needs_its_run_id(
    repo: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch, run_id: str
) -> None:
    fake.add_pull(12, sha(77))
    collected(repo, fake, checkout(repo, doc("b")), head=sha(77))
    assert (
        run("ci", "plan", "--target", "local", "--pr", "pr-data", "--out", "plans").exit_code == 0
    )
    env = event_env(
        fake, repo / "events", "workflow_run", workflow_run_event(sha(77)), GITHUB_RUN_ID=run_id
    )
    use_env(monkeypatch, env)
    result = run("ci", "comment", "--plans", "plans", "--pr", "pr-data/pr.json")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: GITHUB_RUN_ID ")
    assert fake.comments == []


def test_nothing_is_posted_when_the_pull_request_moved_on(
    repo: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.add_pull(12, sha(78))  # pushed again since the run this plan is for
    result, _ = plan_and_comment(repo, fake, monkeypatch, doc("b"))
    assert result.exit_code == 0
    assert "nothing posted: pull request #12 is at" in result.output
    assert fake.comments == []


def test_a_number_naming_a_fork_is_never_commented_on(
    repo: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.add_pull(12, sha(77), repo="mallory/schedules")
    result, _ = plan_and_comment(repo, fake, monkeypatch, doc("b"))
    assert "not an open pull request from this repository" in result.output
    assert fake.comments == []


def test_the_pull_request_job_writes_a_note_for_forks(repo: Path, fake: FakeGitHub) -> None:
    tree = checkout(repo, doc("b"))
    summary = repo / "summary.md"
    env = event_env(
        fake,
        repo / "events",
        "pull_request",
        pull_request_event(12, sha(77), repo="mallory/schedules"),
        GITHUB_STEP_SUMMARY=str(summary),
    )
    collect(load_config(None, tree), repo / "pr-data", env)
    assert "comes from a fork: it is validated only" in summary.read_text()
    assert yaml.safe_load((repo / "pr-data" / "schedules.d" / "b.yaml").read_text())["name"] == "b"


def fork_run(fake: FakeGitHub, folder: Path, head: str, fork: str = "mallory/schedules") -> Any:
    payload = workflow_run_event(head)
    payload["workflow_run"]["head_repository"]["full_name"] = fork
    return event_env(fake, folder, "workflow_run", payload)


def test_a_forks_author_is_told_once_why_it_is_not_planned(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    fake.add_pull(12, sha(77), repo="mallory/schedules")
    env = fork_run(fake, tmp_path, sha(77))
    assert fork_note(fake.client(), env) == ["#12: told why it is not planned"]
    assert fork_note(fake.client(), env) == ["#12: already told why it is not planned"]
    (note,) = fake.comments
    assert note["body"].startswith(FORK_NOTE + "\n")
    assert "`mallory/schedules`" in note["body"]
    assert "never lends them" in note["body"]


def test_the_fork_note_goes_only_on_the_pull_request_at_the_runs_head(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    fake.add_pull(12, sha(78), repo="mallory/schedules")  # pushed again since
    fake.add_pull(13, sha(77), repo="eve/schedules")  # another fork's branch of the same name
    lines = fork_note(fake.client(), fork_run(fake, tmp_path, sha(77)))
    assert lines == ["no open pull request from mallory/schedules:digest at " + sha(77)]
    assert fake.comments == []


def test_no_fork_note_for_this_repositorys_own_pull_requests(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    fake.add_pull(12, sha(77))
    lines = fork_note(fake.client(), fork_run(fake, tmp_path, sha(77), fork=fake.repository))
    assert "not a fork" in lines[0]
    assert fake.requests == []
