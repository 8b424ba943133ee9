"""The repository's history of triggers (git): what each name declared, and from when."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.core.model import Single
from reconciler.desired import history as history_module
from reconciler.desired.history import Declared, TriggerHistory, trigger_history

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 21, tzinfo=UTC)
GLOB = "schedules.d/**/*.yaml"


def git(repo: Path, *args: str, when: str | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.test"}
    env.update(GIT_COMMITTER_NAME="a", GIT_COMMITTER_EMAIL="a@example.test")
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    done = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    return done.stdout.decode()


def single(name: str, time: str, **over: Any) -> dict[str, Any]:
    return {
        "name": name,
        "enabled": over.pop("enabled", True),
        "trigger": {"single": {"time": time, "zone_type": 1}},
        "push": {"to": "all", "body": {"platform": "all", "notification": over}},
    }


def commit(repo: Path, when: str, files: dict[str, Any]) -> None:
    """Write (a dict or list: YAML documents; a str: as is) or delete (None) each file."""
    for name, content in files.items():
        path = repo / "schedules.d" / name
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        docs = content if isinstance(content, list) else [content]
        text = content if isinstance(content, str) else yaml.safe_dump_all(docs)
        path.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", when, when=when)


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def history(repo: Path, root: Path | None = None) -> TriggerHistory:
    found = trigger_history(root or repo, GLOB, SINCE, NOW, max_file_bytes=10**6)
    assert found.available, found.reason
    return found


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    commit(tmp_path, "2026-10-20T00:00:00Z", {"a.yaml": single("a", "2026-12-01 09:00:00")})
    return tmp_path


def test_a_trigger_edit_a_new_schedule_a_disable_and_a_delete(repo: Path) -> None:
    commit(repo, "2026-11-05T10:00:00Z", {"a.yaml": single("a", "2026-12-01 18:00:00")})
    commit(repo, "2026-11-06T10:00:00Z", {"b.yaml": single("b", "2026-12-02 09:00:00")})
    commit(
        repo, "2026-11-07T10:00:00Z", {"b.yaml": single("b", "2026-12-02 09:00:00", enabled=False)}
    )
    commit(repo, "2026-11-08T10:00:00Z", {"a.yaml": None})
    found = history(repo)
    assert found.commits == 4
    assert found.changes == {
        "a": (
            Declared(None, Single("2026-12-01 09:00:00", 1)),
            Declared(at(5, 10), Single("2026-12-01 18:00:00", 1)),
            Declared(at(8, 10), None),
        ),
        "b": (
            Declared(None, None),
            Declared(at(6, 10), Single("2026-12-02 09:00:00", 1)),
            Declared(at(7, 10), None),
        ),
    }


def test_what_does_not_change_the_trigger_is_no_change(repo: Path) -> None:
    # Another alert; the name moved to another file with its push; a broken file apply refused.
    commit(repo, "2026-11-05T10:00:00Z", {"a.yaml": single("a", "2026-12-01 09:00:00", alert="x")})
    commit(
        repo,
        "2026-11-06T10:00:00Z",
        {"a.yaml": None, "team/a.yaml": single("a", "2026-12-01 09:00:00")},
    )
    commit(repo, "2026-11-07T10:00:00Z", {"team/a.yaml": "name: a\ntrigger: [unclosed\n"})
    commit(repo, "2026-11-08T10:00:00Z", {"team/a.yaml": single("a", "2026-12-01 09:00:00")})
    found = history(repo)
    assert found.commits == 4
    assert found.changes == {}


def test_files_outside_the_glob_and_commits_before_the_range_do_not_count(repo: Path) -> None:
    (repo / "notes.yaml").write_text(yaml.safe_dump(single("a", "2026-12-09 09:00:00")))
    commit(repo, "2026-11-05T10:00:00Z", {})
    assert history(repo).changes == {}
    assert history(repo).commits == 0


def test_a_repository_in_a_subdirectory_of_the_checkout(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    inner = tmp_path / "pushes"
    inner.mkdir()
    commit(inner, "2026-10-20T00:00:00Z", {"a.yaml": single("a", "2026-12-01 09:00:00")})
    commit(inner, "2026-11-05T10:00:00Z", {"a.yaml": single("a", "2026-12-01 18:00:00")})
    assert list(history(tmp_path, inner).changes) == ["a"]


def test_a_multi_document_file(repo: Path) -> None:
    both = [single("c", "2026-12-03 09:00:00"), single("d", "2026-12-04 09:00:00")]
    commit(repo, "2026-11-05T10:00:00Z", {"cd.yaml": both})
    both[1] = single("d", "2026-12-04 10:00:00")
    commit(repo, "2026-11-06T10:00:00Z", {"cd.yaml": both})
    changes = history(repo).changes
    assert [d.since for d in changes["c"]] == [None, at(5, 10)]
    assert [d.since for d in changes["d"]] == [None, at(5, 10), at(6, 10)]


def test_unavailable_in_a_shallow_clone_or_after_now(tmp_path: Path, repo: Path) -> None:
    commit(repo, "2026-11-05T10:00:00Z", {"a.yaml": single("a", "2026-12-01 18:00:00")})
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    shallow = trigger_history(clone, GLOB, SINCE, NOW, max_file_bytes=10**6)
    assert (shallow.available, shallow.reason) == (
        False,
        "a shallow clone (check out with fetch-depth: 0)",
    )
    early = trigger_history(repo, GLOB, SINCE, at(2), max_file_bytes=10**6)
    assert (early.available, early.reason) == (False, "the last commit is dated after now")


def test_not_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    found = trigger_history(tmp_path, GLOB, SINCE, NOW, max_file_bytes=10**6)
    assert (found.available, found.reason) == (False, "not a git repository")


def test_too_many_commits_is_no_history(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history_module, "MAX_COMMITS", 1)
    commit(repo, "2026-11-05T10:00:00Z", {"a.yaml": single("a", "2026-12-01 18:00:00")})
    commit(repo, "2026-11-06T10:00:00Z", {"a.yaml": single("a", "2026-12-01 19:00:00")})
    found = trigger_history(repo, GLOB, SINCE, NOW, max_file_bytes=10**6)
    assert (found.available, found.reason) == (False, "more than 1 commits in the window")
