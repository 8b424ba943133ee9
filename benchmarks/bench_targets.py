"""Benchmark: plan two apps of 1000 schedules in one command, against planning one.

Starts two ``reconciler emulator serve --latency-ms 50 --list-detail summary`` servers on
127.0.0.1 (two processes: two apps, as two EngageLab data centres would be), fills each
with the same 1000 schedules, writes a repo of those 1000 files with one target per
server, and times, as processes, best of ``--runs``:

* ``reconciler --target a plan`` (one app: 1020 reads, start-up and validation included);
* ``reconciler --all-targets plan`` (both apps, concurrently, each target under its own
  rate limit and connection pool).

Target: both apps in at most 1.6x the time of one (the servers and the client share the
machine's 2 cores). Exit status 1 if missed.

    .venv/bin/python benchmarks/bench_targets.py [--count 1000] [--latency-ms 50] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench_list import KEY, NOW, SECRET, emulator, fill, reconciler_command, write_repo

TARGET_RATIO = 1.6


def timed_plan(root: Path, *selection: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [*reconciler_command(), "--chdir", str(root), *selection, "plan", "--detailed-exitcode"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:  # 0: every app already holds exactly the files
        raise SystemExit(f"plan {selection} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.update(ENGAGELAB_APP_KEY=KEY, ENGAGELAB_MASTER_SECRET=SECRET, RECONCILER_NOW=NOW)
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        urls = {name: stack.enter_context(emulator(args.latency_ms)) for name in ("a", "b")}
        for url in urls.values():
            asyncio.run(asyncio.wait_for(fill(url, args.count), timeout=300))
        root = Path(tmp)
        write_repo(root, urls, args.count)
        one = min(timed_plan(root, "--target", "a") for _ in range(args.runs))
        both = min(timed_plan(root, "--all-targets") for _ in range(args.runs))
    ratio = both / one
    print(
        f"plan of {args.count} unchanged schedules per app, summary listing, "
        f"latency {args.latency_ms:g} ms, best of {args.runs}:"
    )
    print(f"  one app  (--target a):     {one:.2f} s")
    print(f"  two apps (--all-targets):  {both:.2f} s")
    print(
        f"  two / one: {ratio:.2f}x (target <= {TARGET_RATIO}x): "
        f"{'PASS' if ratio <= TARGET_RATIO else 'FAIL'}"
    )
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
