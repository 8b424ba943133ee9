"""Benchmark: apply 1000 creates against `reconciler emulator serve --latency-ms 50`.

Starts the emulator as a real server on 127.0.0.1 (list detail "full", its
default), writes a repo of 1000 schedule files pointing at it, and measures:

* the apply itself, in-process through the library exactly as `reconciler
  apply` runs it: plan (list the empty app), 1000 creates, verify (list the
  1000 again), against a lower bound. A create is a parked POST, a share of a
  claim round (page 1, then pages 20..1, one after another) and the promoting
  PUT (reconciler/remote/engagelab/_claim.py), one after the other: the round waits for the
  POSTs, the PUTs for the round. So the bound is the sum of the phases, each at
  its own floor: 1 round trip (plan) + max(ceil(1000 / concurrency) round trips,
  1000 / rate_limit) (POSTs) + 21 round trips (the round) + the same again
  (PUTs) + 2 round trips (verify: page 1, then the other pages at once). The
  naive floor, ``max(round_trips * latency, requests / rate_limit)`` over all
  2042 requests, is printed beside it.
* for reference, the whole command `reconciler apply --auto-approve` as a
  process (start-up and validating the 1000 files included) after a reset.

Target: the apply within 1.3x of the lower bound. Exit status 1 if missed.

    .venv/bin/python benchmarks/bench_apply.py [--count 1000] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
from bench_list import KEY, NOW, SECRET, emulator, reconciler_command, write_repo

from reconciler.apply.executor import apply_plan
from reconciler.apply.manager import compute_plan
from reconciler.config.load import load_config
from reconciler.desired.read import read_desired
from reconciler.remote.registry import open_provider

TARGET_RATIO = 1.3
PAGE_SIZE = 50


async def apply_in_process(root: Path) -> tuple[float, float, float, int, int]:
    target = load_config(None, root).target()
    now = datetime.fromisoformat(NOW)
    desired = read_desired(target, now)
    async with open_provider(target, now) as client:
        started = time.perf_counter()
        plan = await compute_plan(target, client, desired, now)
        planned = time.perf_counter()
        report = await apply_plan(plan, client)
        applied = time.perf_counter()
        verify = await compute_plan(target, client, desired, now)
        verified = time.perf_counter()
        sent = client.requests_sent
    assert not report.failed, [o.line() for o in report.failed[:3]]
    assert verify.summary["noop"] == len(desired.result.schedules), verify.summary
    return planned - started, applied - planned, verified - applied, sent, len(report.outcomes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args()
    concurrency, rate_limit = 32, 400.0
    latency = args.latency_ms / 1000
    pages = math.ceil(args.count / PAGE_SIZE)
    batches = math.ceil(args.count / concurrency)
    requests = 1 + args.count + (pages + 1) + args.count + pages
    round_trips = 1 + batches + (pages + 1) + batches + (2 if pages > 1 else 1)
    naive = max(round_trips * latency, requests / rate_limit)
    phase = max(batches * latency, args.count / rate_limit)  # the POSTs, or the PUTs
    verify_trips = 2 if pages > 1 else 1
    bound = (1 + (pages + 1) + verify_trips) * latency + 2 * phase

    os.environ.update(ENGAGELAB_APP_KEY=KEY, ENGAGELAB_MASTER_SECRET=SECRET, RECONCILER_NOW=NOW)
    with tempfile.TemporaryDirectory() as tmp, emulator(args.latency_ms, "full") as url:
        root = Path(tmp)
        write_repo(root, {"bench": url}, args.count)
        plan_s, apply_s, verify_s, sent, changes = asyncio.run(apply_in_process(root))
        total = plan_s + apply_s + verify_s

        httpx.post(f"{url}/_emulator/reset", timeout=10).raise_for_status()
        started = time.perf_counter()
        done = subprocess.run(
            [*reconciler_command(), "--chdir", str(root), "apply", "--auto-approve"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        command_s = time.perf_counter() - started
        if done.returncode != 0:
            print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
            return 1

    ratio = total / bound
    print(
        f"apply of {changes} creates against the emulator (latency {args.latency_ms:g} ms, "
        f"concurrency {concurrency}, rate_limit {rate_limit:g}/s), {sent} requests:"
    )
    print(
        f"  plan {plan_s:.2f} s + creates {apply_s:.2f} s + verify {verify_s:.2f} s = {total:.2f} s"
    )
    print(
        f"  lower bound: plan {latency:g} s + POSTs {phase:.2f} s + claim round "
        f"{(pages + 1) * latency:.2f} s + PUTs {phase:.2f} s + verify {verify_trips * latency:g} s "
        f"= {bound:.2f} s (the naive floor max({round_trips} x {args.latency_ms:g} ms, "
        f"{requests}/{rate_limit:g} s) = {naive:.2f} s: {total / naive:.2f}x)"
    )
    print(
        f"  apply / lower bound: {ratio:.2f}x (target <= {TARGET_RATIO}x): "
        f"{'PASS' if ratio <= TARGET_RATIO else 'FAIL'}"
    )
    print(
        f"  the whole command (start-up and validating {changes} files included): {command_s:.2f} s"
    )
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
