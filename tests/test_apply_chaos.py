"""Convergence under faults: a flaky API and a killed apply never duplicate or lose a schedule.

Chaos: 50 seeded runs (and 10 through the claimed create path), each planning and applying 200 changes (creates,
updates, replaces, deletes) against the emulator answering 20% 503, 5% 429
and 5% drop-after-commit; within 3 applies the plan is all noop, no name is
held twice and every desired schedule is present.

Kill: 10 runs (two batches of five) of `reconciler apply` as a real process
against a real emulator server, SIGKILLed at a random moment; the next apply
converges the same way.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.apply.executor import apply_plan
from reconciler.config.targets import Safety, Target
from reconciler.core.model import Schedule, schedule_from_json
from reconciler.emulator import Settings, create_app
from reconciler.emulator.server import serve_in_thread
from reconciler.emulator.transport import EmulatorTransport
from reconciler.plan.planner import make_plan
from reconciler.remote.engagelab import RemoteSchedule, RetryPolicy
from tests.support.api import client_for
from tests.support.clock import NOW
from tests.support.hostile import listing
from tests.support.kill import apply, kill_apply_after, repo_for

FAULTS = ["error=503:0.2", "error=429:0.05", "drop-after-commit=0.05"]
FAST_RETRIES = RetryPolicy(max_attempts=8, base_delay=0.001, max_delay=0.005, retry_after_cap=0.005)
TARGET = Target(
    name="chaos",
    root=Path("."),
    safety=Safety(max_delete_percent=100, max_update_percent=100, min_existing=0),
)


def body(name: str, alert: str = "v1", zone_type: int = 1) -> dict[str, Any]:
    return {
        "name": name,
        "enabled": True,
        "trigger": {"single": {"time": "2027-03-01 10:00:00", "zone_type": zone_type}},
        "push": {
            "to": {"tag": ["t"]},
            "body": {"platform": "all", "notification": {"alert": alert}},
        },
    }


def scenario() -> tuple[list[dict[str, Any]], list[Schedule]]:
    """150 existing schedules; a desired set that updates 50, replaces 20, deletes 30, creates 100."""
    existing = [body(f"s{i:03d}") for i in range(150)]
    desired = [body(f"s{i:03d}", alert="v2") for i in range(50)]
    desired += [body(f"s{i:03d}", zone_type=2) for i in range(50, 70)]
    desired += [body(f"s{i:03d}") for i in range(70, 120)]  # unchanged; 120..149 are deleted
    desired += [body(f"n{i:03d}") for i in range(100)]
    return existing, [schedule_from_json(d) for d in desired]


def assert_converged(listing: list[RemoteSchedule], desired: list[Schedule]) -> None:
    counts = Counter(s.name for s in listing)
    assert [n for n, c in counts.items() if c > 1] == [], "duplicate names"
    assert set(counts) == {d.name for d in desired}, "missing or extra schedules"


async def chaos_run(seed: int, *, claimed: bool = False) -> tuple[int, int]:
    """Applies needed to converge, and look-ups after ambiguous creates (proof the faults bit).

    `claimed`: creates go through the claim protocol, as `reconciler apply` sends them
    (parked POST, settling round, promoting PUT: see reconciler/remote/engagelab/_claim.py).
    """
    existing, desired = scenario()
    app = create_app(Settings(now=NOW, seed=seed))
    transport = EmulatorTransport(app)
    park = {"park_creates_from": NOW} if claimed else {}
    client = client_for(app, transport=transport, retry=FAST_RETRIES, rate_limit=400, **park)
    async with client:
        for b in existing:
            await client.create_schedule(b)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as admin:
            answer = await admin.put("/_emulator/faults", json={"faults": FAULTS, "seed": seed})
            assert answer.status_code == 200, answer.text
        first = make_plan(desired, await client.list_schedules(), TARGET, NOW)
        assert first.summary == {
            "create": 100,
            "update": 50,
            "replace": 20,
            "delete": 30,
            "noop": 50,
            "skip": 0,
            "conflict": 0,
            "complete": 0,
            "withdraw": 0,
        }
        applies = 0
        plan = first
        while plan.has_changes and applies < 3:
            await apply_plan(plan, client)
            applies += 1
            plan = make_plan(desired, await client.list_schedules(), TARGET, NOW)
        assert not plan.has_changes, f"seed {seed}: not converged within 3 applies: {plan.summary}"
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as admin:
            await admin.put("/_emulator/faults", json={"faults": []})
        assert_converged(await client.list_schedules(), desired)
        lookups = client._finder.asked
    return applies, lookups


def converge_together(seeds: range, *, claimed: bool = False) -> None:
    """Each seed's run converges within 3 applies, and its faults bit (creates whose answer
    was lost or ambiguous). The runs share one event loop: they spend most of their time
    waiting out the faults' backoffs and Retry-After, so waiting together costs the
    suite the time of one."""

    async def every() -> list[tuple[int, int]]:
        return list(await asyncio.gather(*(chaos_run(s, claimed=claimed) for s in seeds)))

    for seed, (applies, lookups) in zip(seeds, asyncio.run(every()), strict=True):
        assert applies <= 3, f"seed {seed}: {applies} applies"
        assert lookups > 0, f"seed {seed}: the faults never hit a create"


# 50 seeds in batches of 10 (the suite's workers share the batches out, pytest -n).
@pytest.mark.timeout(300)
@pytest.mark.parametrize("first", range(0, 50, 10))
def test_chaos_seeded_runs_converge_within_3_applies(first: int) -> None:
    converge_together(range(first, first + 10))


@pytest.mark.timeout(300)
@pytest.mark.parametrize("first", range(0, 10, 5))
def test_chaos_seeded_runs_with_claimed_creates_converge_within_3_applies(first: int) -> None:
    # The create path `reconciler apply` really takes: every step of a claim meets the faults.
    converge_together(range(first, first + 5), claimed=True)


@pytest.mark.soak
@pytest.mark.parametrize("seed", range(50, 550))
def test_chaos_soak(seed: int) -> None:
    assert asyncio.run(chaos_run(seed, claimed=seed % 2 == 0))[0] <= 3


# --- SIGKILL ---------------------------------------------------------------------------


# Two batches of five kills (the suite's workers share them out, pytest -n).
@pytest.mark.timeout(300)
@pytest.mark.parametrize("batch", [0, 1])
def test_sigkill_at_a_random_moment_then_apply_converges(tmp_path: Path, batch: int) -> None:
    existing, desired = scenario()
    rng = random.Random(7 + batch)
    settings = Settings(now=NOW, faults=("latency=15,jitter=10",), seed=7 + batch)
    interrupted = 0
    for run in range(5):
        state = tmp_path / f"state{run}.db"
        with serve_in_thread(Settings(**{**settings.__dict__, "state": str(state)})) as base_url:
            root = tmp_path / f"repo{run}"
            repo_for(root, base_url, existing)
            setup = apply(root)
            assert setup.returncode == 0, setup.stderr
            repo_for(root, base_url, [d.body() for d in desired])
            interrupted += kill_apply_after(root, rng.uniform(0.0, 0.6))
            again = apply(root)
            assert again.returncode == 0, again.stdout[-2000:] + again.stderr
            assert_converged(listing(base_url), desired)
    # Most kills landed while the apply was still at work.
    assert interrupted >= 3, interrupted
