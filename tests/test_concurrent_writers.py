"""Concurrent writers: two real `reconciler apply` at once leave each name once.

Against the served emulator (a real HTTP server on 127.0.0.1) and against
`endpoint: local` (two processes on one .reconciler/local.db), several rounds of
creates, updates, replaces and deletes; after each round the app holds every desired
name exactly once, with its real (not parked) body. See reconciler/remote/engagelab/_claim.py.

The two operators answer their confirmation together once both are asked, so both plan
before either writes and every create is contended: the race is certain, not left to
the scheduler (which, in CI, once let one apply finish before the other had listed).
"""

from __future__ import annotations

import os
import pty
import select
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.core.model import canonical
from reconciler.emulator import Settings
from reconciler.emulator.server import serve_in_thread
from reconciler.remote.engagelab import RemoteSchedule
from tests.support.cli import remote
from tests.support.clock import NOW
from tests.support.hostile import listing, run_capped, schedule, start_cli, write_repo

SAFETY = {"max_delete_percent": 100, "max_update_percent": 100, "min_existing": 0}


def rounds() -> list[list[dict[str, Any]]]:
    """Round 1: 100 creates; 2: 30 updates, 20 creates, 10 deletes; 3: 10 replaces, 30 creates."""
    first = [schedule(f"c{i:03d}") for i in range(100)]
    second = [schedule(f"c{i:03d}", alert="v2" if i < 30 else "hello") for i in range(10, 100)]
    second += [schedule(f"d{i:03d}") for i in range(20)]
    third = [dict(s) for s in second]
    for s in third[:10]:  # zone_type 1 -> 2: the API cannot update it, so a replace
        s["trigger"] = {"single": {"time": "2027-01-01 09:00:00", "zone_type": 2}}
    third += [schedule(f"e{i:03d}") for i in range(30)]
    return [first, second, third]


def apply_twice_at_once(repo: Path) -> list[tuple[int, str, str]]:
    """Two operators run `apply` on their terminals and answer yes once both are asked.

    Both have planned before either writes, so each create in the plan is made by both
    and contended; whether the scheduler would have raced them is beside the point.
    """
    terminals = [pty.openpty() for _ in range(2)]
    procs = [start_cli(repo, "apply", stdin=answer) for _, answer in terminals]
    try:
        asked = [read_until(proc, " changes?") for proc in procs]  # our question
        for ask, _ in terminals:
            os.write(ask, b"y\n")
        results = []
        for proc, before in zip(procs, asked, strict=True):
            out, err = proc.communicate(timeout=120)
            # The answer echoes on the terminal, not on stdout: end the question's line.
            results.append((proc.returncode, before + "\n" + out, err))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        for pair in terminals:
            for fd in pair:
                os.close(fd)


def read_until(proc: subprocess.Popen[str], text: str, timeout: float = 120.0) -> str:
    """What `proc` prints up to and including `text` (everything, if it ends first)."""
    assert proc.stdout is not None
    fd, seen, deadline = proc.stdout.fileno(), b"", time.monotonic() + timeout
    while text.encode() not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"not asked within {timeout} s: {seen[-2000:]!r}"
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        seen += chunk
    return seen.decode()


def assert_each_name_once(found: list[RemoteSchedule], docs: list[dict[str, Any]]) -> None:
    counts = Counter(r.name for r in found)
    assert [name for name, n in counts.items() if n > 1] == [], "a name is held twice"
    assert set(counts) == {d["name"] for d in docs}, "missing or extra schedules"
    want = {d["name"]: canonical(d) for d in docs}
    parked = [r.name for r in found if canonical(r.body()) != want[r.name]]
    assert parked == [], f"not the desired body (left parked?): {parked[:5]}"


def check_outputs(results: list[tuple[int, str, str]]) -> int:
    """No traceback, exit 0 or 1; how many creates lost to the other writer (one line each)."""
    contended = 0
    for code, out, err in results:
        assert "Traceback" not in err, err[-3000:]
        assert "internal error" not in err, err[-3000:]
        assert code in (0, 1), (code, err[-2000:])
        lost = [line for line in out.splitlines() if "another writer created" in line]
        # A replace whose old schedule the other writer already deleted goes on to create.
        assert all(line.startswith(("failed create ", "failed replace ")) for line in lost), lost[
            :3
        ]
        contended += len(lost)
    return contended


def assert_every_create_contended(number: int, contended: int) -> None:
    """Each create is made by both writers and settled for one of them: one loss each."""
    before, after = (rounds()[number - 2] if number > 1 else []), rounds()[number - 1]
    old = {d["name"]: d["trigger"] for d in before}
    # New names, and replaces (zone_type changed: the old one goes, a new one is made).
    creates = sum(d["name"] not in old or old[d["name"]] != d["trigger"] for d in after)
    assert contended == creates, f"round {number}: {contended} of {creates} creates lost"


@pytest.mark.timeout(300)
def test_two_applies_against_the_served_emulator(tmp_path: Path) -> None:
    settings = Settings(now=NOW, state=str(tmp_path / "state.db"), faults=("latency=3,jitter=3",))
    with serve_in_thread(settings) as url:
        config = {"default_target": "emu", "targets": {"emu": {"endpoint": url}}, "safety": SAFETY}
        for number, docs in enumerate(rounds(), 1):
            write_repo(tmp_path / "repo", config, docs)
            contended = check_outputs(apply_twice_at_once(tmp_path / "repo"))
            assert_each_name_once(listing(url), docs)
            assert_every_create_contended(number, contended)


@pytest.mark.timeout(300)
def test_two_applies_on_one_local_state_file(tmp_path: Path) -> None:
    for number, docs in enumerate(rounds(), 1):
        write_repo(tmp_path / "repo", {"safety": SAFETY}, docs)
        results = apply_twice_at_once(tmp_path / "repo")
        assert not any("database is locked" in err for _, _, err in results), results
        contended = check_outputs(results)
        assert_each_name_once(remote(tmp_path / "repo"), docs)
        assert_every_create_contended(number, contended)


def test_a_fresh_state_file_locked_by_another_process_is_waited_for(tmp_path: Path) -> None:
    """The WAL switch of a new state file waits for a lock it meets; it never fails at once."""
    repo = tmp_path / "repo"
    write_repo(repo, {"safety": SAFETY}, [schedule("waits_for_the_lock")])
    state = repo / ".reconciler" / "local.db"
    state.parent.mkdir()
    other = sqlite3.connect(state, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE held (x)")
    other.execute("BEGIN IMMEDIATE")  # a writer at work, the file still in rollback mode
    release = threading.Timer(1.0, lambda: other.execute("COMMIT"))
    release.start()
    try:
        outcome = run_capped(repo, "apply", "--auto-approve")
    finally:
        release.join()
        other.close()
    assert outcome.code == 0, outcome.stderr
    assert "database is locked" not in outcome.stderr
    assert [r.name for r in remote(repo)] == ["waits_for_the_lock"]


def test_a_killed_loser_leaves_nothing_that_fires(tmp_path: Path) -> None:
    """A writer killed mid-apply leaves at most parked copies; the next apply converges."""
    settings = Settings(now=NOW, state=str(tmp_path / "state.db"), faults=("latency=5,jitter=5",))
    with serve_in_thread(settings) as url:
        config = {"default_target": "emu", "targets": {"emu": {"endpoint": url}}, "safety": SAFETY}
        docs = [schedule(f"k{i:03d}") for i in range(60)]
        write_repo(tmp_path / "repo", config, docs)
        victim, survivor = (start_cli(tmp_path / "repo", "apply", "--auto-approve") for _ in "ab")
        assert victim.stdout is not None
        for line in victim.stdout:  # the changes start right after the plan
            if line.startswith("Checksum:"):
                break
        time.sleep(0.3)
        victim.kill()
        victim.communicate(timeout=30)
        survivor.communicate(timeout=120)
        # Whatever is left is either the real schedule or a parked copy: nothing that
        # fires at the real time twice.
        real = Counter(r.name for r in listing(url) if "reconciler-parked:" not in str(r.push))
        assert max(real.values(), default=0) <= 1, real
        # A plain apply: the victim's parked copies beside the survivor's are withdrawn.
        again = run_capped(tmp_path / "repo", "apply", "--auto-approve")
        assert again.code == 0, again.stdout[-2000:] + again.stderr
        assert_each_name_once(listing(url), docs)
        # A year later each name fired once: no copy of the victim's lived on to fire.
        later = (NOW + timedelta(days=366)).isoformat()
        assert httpx.put(f"{url}/_emulator/clock", json={"now": later}, timeout=30).is_success
        rows = httpx.get(f"{url}/_emulator/state", timeout=30).json()["apps"]["demo_app_key"]
        assert sorted((r["name"], r["runs"]) for r in rows["schedules"]) == [
            (d["name"], 1) for d in docs
        ]
