"""Main moved on: which paths a target plans from, and whether they changed, exactly, in a few
requests (the trees of both commits, read through GitHub's git database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.ci.errors import CiError, GitHubError
from reconciler.ci.moved import changed_since, watched_paths
from reconciler.config.load import load_config
from tests.support.cli import config
from tests.support.github import FakeGitHub, sha

BASE = {
    "reconciler.yaml": "prune: true\n",
    "schedules.d/a.yaml": "name: a\n",
    "teams/push/b.yaml": "name: b\n",
    "README.md": "# pushes\n",
}


@pytest.mark.parametrize(
    ("glob", "paths"),
    [
        ("schedules.d/**/*.yaml", ("reconciler.yaml", "schedules.d")),
        ("teams/push/**/*.yaml", ("reconciler.yaml", "teams/push")),
        ("teams/*/pushes/*.yaml", ("reconciler.yaml", "teams")),
        ("**/*.yaml", ("reconciler.yaml", ".")),
    ],
)
def test_a_target_plans_from_reconciler_yaml_and_its_schedules_folder(
    repo: Path, glob: str, paths: tuple[str, ...]
) -> None:
    config(repo, schedules=glob)
    loaded = load_config(None, repo)
    assert watched_paths(loaded.target("local"), loaded.path) == paths


def test_a_schedules_glob_outside_the_repository_is_refused(repo: Path) -> None:
    config(repo, schedules="../elsewhere/**/*.yaml")
    loaded = load_config(None, repo)
    with pytest.raises(CiError, match=r"target local: schedules '\.\./elsewhere' is outside"):
        watched_paths(loaded.target("local"), loaded.path)


def commits(fake: FakeGitHub, later: dict[str, str | None]) -> None:
    fake.commit_files(sha(2), BASE)
    after = {**BASE, **later}
    fake.commit_files(sha(3), {k: v for k, v in after.items() if v is not None})


@pytest.mark.parametrize(
    ("later", "changed"),
    [
        ({"README.md": "# pushes, again\n", "docs/x.md": "x\n"}, []),
        ({"teams/push/b.yaml": "name: b2\n"}, []),  # another folder: not this target's
        ({"schedules.d/a.yaml": "name: a2\n"}, ["schedules.d"]),
        ({"schedules.d/new/c.yaml": "name: c\n"}, ["schedules.d"]),
        ({"schedules.d/a.yaml": None}, ["schedules.d"]),
        ({"reconciler.yaml": "prune: false\n"}, ["reconciler.yaml"]),
        (
            {"reconciler.yaml": None, "schedules.d/a.yaml": "name: a2\n"},
            ["reconciler.yaml", "schedules.d"],
        ),
    ],
    ids=["docs", "other-folder", "edit", "add-nested", "delete", "config", "both"],
)
def test_only_a_change_to_what_the_target_plans_from_counts(
    fake: FakeGitHub, later: dict[str, str | None], changed: list[str]
) -> None:
    commits(fake, later)
    gh = fake.client()
    assert changed_since(gh, sha(2), sha(3), ["reconciler.yaml", "schedules.d"]) == changed


def test_a_folder_deep_down_is_read_level_by_level_in_a_few_requests(fake: FakeGitHub) -> None:
    commits(fake, {"teams/push/b.yaml": "name: b2\n"})
    gh = fake.client()
    assert changed_since(gh, sha(2), sha(3), ["reconciler.yaml", "teams/push"]) == ["teams/push"]
    # Per commit: its tree, then the root and `teams` (the entry of `push` is in `teams`).
    assert len(fake.requests) == 6, fake.requests


def test_the_whole_tree_counts_for_a_glob_from_the_root(fake: FakeGitHub) -> None:
    commits(fake, {"README.md": "# pushes, again\n"})
    assert changed_since(fake.client(), sha(2), sha(3), ["reconciler.yaml", "."]) == ["."]


def test_a_tree_github_cut_short_is_no_answer(fake: FakeGitHub) -> None:
    commits(fake, {})
    fake.truncated = True
    with pytest.raises(GitHubError, match="the tree is truncated or missing"):
        changed_since(fake.client(), sha(2), sha(3), ["schedules.d"])


def test_an_unknown_commit_is_an_error(fake: FakeGitHub) -> None:
    fake.commit_files(sha(2), BASE)
    with pytest.raises(GitHubError, match="HTTP 404"):
        changed_since(fake.client(), sha(2), sha(4), ["schedules.d"])
