"""An interrupted apply is finished by the next one, with the guards on and no --force.

`reconciler apply` (the real CLI, a process) against a served emulator (uvicorn on
127.0.0.1) is SIGKILLed at seeded moments while it creates (after its k-th finished
create, k seeded), until the app holds
parked copies (reconciler/core/parked.py). A plain `apply --auto-approve` then exits 0 and
the app holds exactly the desired schedules: the copies are completed or withdrawn,
never counted against max_update_percent. With `prune: false` and the file of the
killed creates deleted, no parked copy stays. A year later on the emulator's clock,
nothing but the desired schedules has fired, each once.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.core.model import canonical
from reconciler.core.parked import PREFIX
from reconciler.emulator import Settings
from reconciler.emulator.server import serve_in_thread
from tests.support.clock import NOW
from tests.support.hostile import schedule
from tests.support.kill import apply, kill_apply_when, repo_for

#: The defaults of reconciler.yaml: the rerun must pass them as they are.
GUARDS = {"max_delete_percent": 30, "max_update_percent": 50, "min_existing": 10}
KILLS = 6


def docs(prefix: str, count: int) -> list[dict[str, Any]]:
    return [schedule(f"{prefix}{i:03d}", alert=f"hello {prefix}{i}") for i in range(count)]


def state(base_url: str) -> list[dict[str, Any]]:
    """Every schedule the emulator holds, expired ones too, with its run count."""
    answer = httpx.get(f"{base_url}/_emulator/state", timeout=10).json()
    return list(answer["apps"]["demo_app_key"]["schedules"])


def parked(rows: list[dict[str, Any]]) -> list[str]:
    return [r["name"] for r in rows if PREFIX in str(r["body"]["push"].get("request_id", ""))]


def after_creates(count: int) -> Callable[[str], bool]:
    """True of the line that reports the `count`-th finished create."""
    done = [0]

    def reached(line: str) -> bool:
        done[0] += line.startswith("created ")
        return done[0] >= count

    return reached


def kill_until_parked(root: Path, base_url: str, rng: random.Random) -> int:
    """Kill applies at seeded moments (after the k-th create it reports done: the others of
    its batch are parked or promoting then) until parked copies are left; how many."""
    for _ in range(KILLS):
        kill_apply_when(root, after_creates(rng.randint(1, 6)))
        left = parked(state(base_url))
        if left:
            return len(left)
    pytest.fail(f"{KILLS} kills left no parked copy: the test proves nothing")


def assert_holds_exactly(base_url: str, wanted: list[dict[str, Any]]) -> None:
    live = [r for r in state(base_url) if not r["expired"]]
    assert parked(live) == []
    assert Counter(r["name"] for r in live) == Counter(d["name"] for d in wanted)
    bodies = {r["name"]: canonical(r["body"]) for r in live}
    assert all(bodies[d["name"]] == canonical(d) for d in wanted)


@pytest.mark.timeout(180)
def test_a_killed_apply_is_finished_by_a_plain_apply_and_no_leftover_ever_fires(
    tmp_path: Path,
) -> None:
    rng = random.Random(19)
    settings = Settings(
        now=NOW, state=str(tmp_path / "state.db"), faults=("latency=15,jitter=10",), seed=19
    )
    with serve_in_thread(settings) as url:
        # Kept throughout: the app is not empty, so the percentage guards are awake.
        kept = docs("kept", 12)
        root = tmp_path / "repo"
        repo_for(root, url, kept, safety=GUARDS)
        assert apply(root).returncode == 0

        # 1. Killed while creating 60, until copies are parked; the rerun finishes it.
        wanted = kept + docs("new", 60)
        repo_for(root, url, wanted, safety=GUARDS)
        assert kill_until_parked(root, url, rng) > 0
        rerun = apply(root)
        assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr
        assert "refused" not in rerun.stdout + rerun.stderr
        assert_holds_exactly(url, wanted)

        # 2. prune: false, killed while creating 40 more; the file of those is deleted
        #    (a revert): what was promoted stays (prune is off), no parked copy does.
        repo_for(root, url, wanted + docs("later", 40), safety=GUARDS, prune=False)
        assert kill_until_parked(root, url, rng) > 0
        promoted = {r["name"] for r in state(url) if r["name"].startswith("later")} - set(
            parked(state(url))
        )
        repo_for(root, url, wanted, safety=GUARDS, prune=False)
        again = apply(root)
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr
        rows = state(url)
        assert parked(rows) == []
        assert {r["name"] for r in rows} == {d["name"] for d in wanted} | promoted

        # 3. A year later: each schedule fired once, at its own time; nothing else did.
        year = httpx.put(
            f"{url}/_emulator/clock",
            json={"now": (NOW + timedelta(days=366)).isoformat()},
            timeout=30,
        )
        assert year.status_code == 200, year.text
        rows = state(url)
        assert parked(rows) == []
        assert {r["name"]: r["runs"] for r in rows} == {r["name"]: 1 for r in rows}
