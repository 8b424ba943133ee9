"""The local state (`endpoint: local`, .reconciler/local.db; reconciler/remote/local.py) fails cleanly.

`plan` reads it without writing to it; a read-only, locked or misplaced state makes
`plan` and `apply` (the real CLI, in a subprocess) say one line naming the file and
what to do, with no traceback, and leaves no file it did not find.

Making a file read-only for root (CI runs as root, and root ignores chmod) takes more
than chmod; each way is tried where the machine allows it, and skipped where not:

    chmod      0555 on the directory, 0444 on the files  (not root: root writes anyway)
    immutable  chattr +i                                  (root on ext2/3/4, btrfs, xfs)
    mount      a read-only bind mount in a private mount namespace (unshare; root)

Locked (another process holding the file, past `request_timeout`) and a directory
that cannot be made (a file in its place) hold the same way for everyone.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from reconciler.emulator.store import Store
from tests.support.hostile import (
    Outcome,
    assert_one_line_error,
    cli_env,
    run_capped,
    schedule,
    write_repo,
)

WAYS = ("chmod", "immutable", "mount")


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (a repository's .reconciler), with its bytes."""
    if not folder.exists():
        return {}
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def applied_repo(root: Path, *names: str, **config: object) -> Path:
    """A repository whose local state holds `names`, applied; then a file with one more."""
    repo = root / "repo"
    write_repo(repo, dict(config), [schedule(n) for n in names])
    outcome = run_capped(repo, "apply", "--auto-approve")
    assert outcome.code == 0, outcome.stderr
    write_repo(repo, dict(config), [schedule(n) for n in (*names, "pending")])
    return repo


@contextmanager
def read_only(way: str, state: Path, paths: list[Path] | None = None) -> Iterator[list[str]]:
    """`paths` (default: the .reconciler directory `state` and everything in it) read-only
    in `way`; yields the command prefix a CLI run needs to see it so ([] unless a mount
    namespace, which makes the whole of `state` read-only)."""
    paths = [state, *state.iterdir()] if paths is None else paths
    if way == "chmod":
        if os.geteuid() == 0:
            pytest.skip("root writes a chmod 0444 file anyway")
        modes = {p: p.stat().st_mode for p in paths}
        for path in paths:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield []
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
    elif way == "immutable":
        if shutil.which("chattr") is None:
            pytest.skip("no chattr here")
        done = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True, check=False)
        if done.returncode != 0:
            subprocess.run(["chattr", "-i", *map(str, paths)], capture_output=True, check=False)
            pytest.skip(f"chattr +i is not possible here: {done.stderr.decode().strip()}")
        try:
            yield []
        finally:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True)
    else:
        probe = f"mount --bind {state} {state} && mount -o remount,bind,ro {state}"
        unshare = shutil.which("unshare")
        tried = (
            subprocess.run(
                [unshare or "unshare", "--mount", "sh", "-c", probe],
                capture_output=True,
                check=False,
            )
            if unshare
            else None
        )
        if tried is None or tried.returncode != 0:
            reason = tried.stderr.decode().strip() if tried else "no unshare"
            pytest.skip(f"no private read-only mount here: {reason}")
        yield ["unshare", "--mount", "sh", "-c", probe + ' && exec "$0" "$@"']


def run_in(prefix: list[str], repo: Path, *args: str) -> Outcome:
    """The real CLI on `repo`, inside `prefix` (a mount namespace) when one is given."""
    command = [*prefix, sys.executable, "-m", "reconciler", "--chdir", str(repo), *args]
    done = subprocess.run(command, env=cli_env(), capture_output=True, text=True, timeout=60)
    return Outcome(done.returncode, done.stdout, done.stderr, 0.0)


# --- plan never writes -------------------------------------------------------------------


def test_plan_reads_the_state_and_writes_nothing_to_it(tmp_path: Path) -> None:
    repo = applied_repo(tmp_path, "kept")
    state = repo / ".reconciler"
    before = files_of(state)
    # A later clock: plan used to write it into the file, and the runs the clock passes.
    later = run_capped(repo, "plan", env={"RECONCILER_NOW": "2027-06-01T00:00:00+00:00"})
    assert later.code == 0, later.stderr
    outcome = run_capped(repo, "plan")
    assert outcome.code == 0, outcome.stderr
    assert "Plan: 1 to create, 0 to update, 0 to replace, 0 to delete; 1 unchanged." in (
        outcome.stdout
    )
    assert files_of(state) == before


def test_plan_on_a_fresh_repository_makes_no_state(tmp_path: Path) -> None:
    write_repo(tmp_path, {}, [schedule("new")])
    outcome = run_capped(tmp_path, "plan")
    assert outcome.code == 0, outcome.stderr
    assert not (tmp_path / ".reconciler").exists()


def test_a_snapshot_store_sees_the_file_and_keeps_its_changes_to_itself(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    writer = Store(str(path))
    writer.set_clock_ms(1)
    writer.close()
    before = files_of(tmp_path)
    snapshot = Store(str(path), snapshot=True)
    assert snapshot.clock_ms() == 1
    snapshot.set_clock_ms(2)
    assert snapshot.clock_ms() == 2
    snapshot.close()
    assert files_of(tmp_path) == before
    assert Store(str(tmp_path / "absent.db"), snapshot=True).clock_ms() is None
    assert not (tmp_path / "absent.db").exists()


# --- read-only ---------------------------------------------------------------------------


@pytest.mark.parametrize("way", WAYS)
def test_a_read_only_state_plans_and_refuses_to_apply_in_one_line(tmp_path: Path, way: str) -> None:
    repo = applied_repo(tmp_path, "kept")
    state = repo / ".reconciler"
    before = files_of(state)
    with read_only(way, state) as prefix:
        plan = run_in(prefix, repo, "plan")
        apply = run_in(prefix, repo, "apply", "--auto-approve")
    assert plan.code == 0, plan.stderr
    assert "1 to create" in plan.stdout
    assert_one_line_error(apply, ".reconciler", "read-only", "writable")
    assert files_of(state) == before


@pytest.mark.parametrize("way", ["chmod", "immutable"])
def test_a_read_only_write_ahead_log_is_named(tmp_path: Path, way: str) -> None:
    """What a failed run used to leave behind: a -wal and -shm that outlived the fix."""
    repo = applied_repo(tmp_path, "kept")
    state = repo / ".reconciler"
    logs = [state / "local.db-wal", state / "local.db-shm"]
    for log in logs:
        log.write_bytes(b"")
    before = files_of(state)
    with read_only(way, state, logs) as prefix:
        apply = run_in(prefix, repo, "apply", "--auto-approve")
        plan = run_in(prefix, repo, "plan")
    assert_one_line_error(apply, "the local state .reconciler/local.db-wal is read-only")
    assert plan.code == 0, plan.stderr
    assert files_of(state) == before


# --- locked, and nowhere to be made --------------------------------------------------------


def test_a_locked_state_is_one_line_after_request_timeout(tmp_path: Path) -> None:
    repo = applied_repo(tmp_path, "kept", request_timeout=1)
    state = repo / ".reconciler"
    holder = sqlite3.connect(state / "local.db", isolation_level=None)
    try:
        # Another process at work that never lets go: no one else may even read.
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("INSERT INTO settings (key, value) VALUES ('held', 'by another process')")
        holder.execute("COMMIT")
        # Names only: reading the file here would drop the holder's lock (POSIX locks
        # belong to the process, and closing any descriptor of the file releases them).
        before = sorted(p.name for p in state.iterdir())
        outcomes = [run_capped(repo, command, timeout=30) for command in ("plan", "apply")]
        after = sorted(p.name for p in state.iterdir())
    finally:
        holder.close()
    for outcome in outcomes:
        line = assert_one_line_error(outcome, "the local state .reconciler/local.db is locked")
        assert "waited 1 s" in line
        assert outcome.seconds < 15
    assert after == before


def test_a_state_directory_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    write_repo(tmp_path, {}, [schedule("new")])
    (tmp_path / ".reconciler").write_text("not a directory\n", encoding="utf-8")
    plan = run_capped(tmp_path, "plan")
    assert plan.code == 0, plan.stderr  # nothing there to read: the app is empty
    apply = run_capped(tmp_path, "apply", "--auto-approve")
    assert_one_line_error(apply, "cannot create .reconciler for the local state")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".reconciler",
        "reconciler.yaml",
        "schedules.d",
    ]


def test_a_file_that_is_no_state_is_one_line(tmp_path: Path) -> None:
    write_repo(tmp_path, {}, [schedule("new")])
    (tmp_path / ".reconciler").mkdir()
    (tmp_path / ".reconciler" / "local.db").write_text("not SQLite " * 100, encoding="utf-8")
    for command in (["plan"], ["apply", "--auto-approve"]):
        outcome = run_capped(tmp_path, *command)
        assert_one_line_error(outcome, "the local state .reconciler/local.db cannot be used")
    assert sorted(p.name for p in (tmp_path / ".reconciler").iterdir()) == ["local.db"]
