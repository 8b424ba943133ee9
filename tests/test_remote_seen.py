"""Seen: the ids an app showed us, remembered in .reconciler/seen-<target>.json (a cache)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reconciler.remote import seen

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def test_the_file_is_per_target_under_dot_reconciler(tmp_path: Path) -> None:
    assert seen.path_for(tmp_path, "prod") == tmp_path / ".reconciler" / "seen-prod.json"
    # A target name is a file name here: anything but letters, digits, _ . - is escaped.
    assert seen.path_for(tmp_path, "a/../b c").name == "seen-a%2F..%2Fb%20c.json"


def test_what_is_remembered_is_read_back(tmp_path: Path) -> None:
    path = seen.path_for(tmp_path, "prod")
    seen.remember(path, "prod", [("1", "launch"), ("2", "digest")], NOW)
    later = NOW + timedelta(days=1)
    seen.remember(path, "prod", [("2", "digest"), ("3", "launch")], later)
    found = seen.read_seen(path, "prod")
    assert {i: s.name for i, s in found.items()} == {"1": "launch", "2": "digest", "3": "launch"}
    assert (found["2"].first_seen, found["2"].last_seen) == (NOW, later)
    assert [p.name for p in path.parent.iterdir()] == ["seen-prod.json"]  # no temporary left


def test_an_id_not_seen_for_longer_than_keep_is_forgotten(tmp_path: Path) -> None:
    path = seen.path_for(tmp_path, "prod")
    seen.remember(path, "prod", [("old", "a"), ("kept", "b")], NOW)
    seen.remember(path, "prod", [("kept", "b")], NOW + seen.KEEP)
    seen.remember(path, "prod", [], NOW + seen.KEEP + timedelta(seconds=1))
    assert set(seen.read_seen(path, "prod")) == {"kept"}


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        '{"format_version": 2, "target": "prod", "schedules": {}}',
        '{"format_version": 1, "target": "other", "schedules": {"1": {}}}',
        '{"format_version": 1, "target": "prod", "schedules": []}',
        "[" * 100_000,
    ],
)
def test_a_file_that_is_not_ours_is_taken_as_empty_and_replaced(
    tmp_path: Path, content: str
) -> None:
    path = seen.path_for(tmp_path, "prod")
    path.parent.mkdir()
    path.write_text(content, encoding="utf-8")
    assert seen.read_seen(path, "prod") == {}
    seen.remember(path, "prod", [("1", "a")], NOW)
    assert set(seen.read_seen(path, "prod")) == {"1"}


def test_entries_that_are_not_ours_are_skipped(tmp_path: Path) -> None:
    path = seen.path_for(tmp_path, "prod")
    path.parent.mkdir()
    good = {"name": "a", "first_seen": NOW.isoformat(), "last_seen": NOW.isoformat()}
    entries = {
        "1": good,
        "2": {**good, "name": 7},
        "3": {**good, "last_seen": "yesterday"},
        "4": {**good, "first_seen": "2026-11-21T12:00:00"},  # no zone: not ours
        "5": "a",
    }
    data = {"format_version": 1, "target": "prod", "schedules": entries}
    path.write_text(json.dumps(data), encoding="utf-8")
    assert set(seen.read_seen(path, "prod")) == {"1"}


def test_a_file_over_the_bound_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = seen.path_for(tmp_path, "prod")
    seen.remember(path, "prod", [("1", "a")], NOW)
    monkeypatch.setattr(seen, "MAX_BYTES", path.stat().st_size - 1)
    assert seen.read_seen(path, "prod") == {}


def test_a_write_that_fails_raises_and_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = seen.path_for(tmp_path, "prod")
    seen.remember(path, "prod", [("1", "a")], NOW)
    before = path.read_bytes()
    with pytest.raises(IsADirectoryError):  # a folder where the file should be renamed to
        seen.remember(tmp_path / ".reconciler", "prod", [("2", "b")], NOW)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [".reconciler"]  # its temporary is gone
