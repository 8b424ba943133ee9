"""Benchmark: `reconciler health` of 1000 schedules against `reconciler emulator serve
--latency-ms 50 --rate-limit 500`.

Starts the emulator as a real server on 127.0.0.1 (list detail "full", its default;
500 requests per second per app, the API's documented limit), creates 1000 daily
schedules at a fixed clock, makes 10 of them fail their next run (`run-error`) and
10 drop theirs (`run-drop`), moves the clock seven days on (7000 runs recorded),
writes a repo of the 1000 files pointing at it (concurrency 32, rate_limit 400: the
defaults) and measures, as bench_apply.py does:

* the health check itself, in-process through the library exactly as `reconciler
  health` runs it (`health_target`, then the text view): reading and validating the
  1000 files and their git history, the listing (20 pages), 1000 msg-ids requests,
  matching 7000 fires, rendering;
* for reference, the whole command `reconciler health` as a process (interpreter
  start-up and imports, about half a second of CPU, included), and `--format json`,
  which writes every fire and run (about 4.5 MB here).

The floor is what the requests alone cost: the listing, ``2 x latency`` (page 1,
then the other pages at once), plus the 1000 msg-ids requests at the rate limit,
``max(ceil(1000 / concurrency) x latency, 1000 / rate_limit)``. Target: the health
check and the whole command each within 1.3x of it (medians of `--repeat` runs). The
result is checked too (980 ok, 10 failed, 10 missed). Exit status 1 if any is missed.

    .venv/bin/python benchmarks/bench_health.py [--count 1000] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from bench_list import KEY, SECRET, _wait_for_url, reconciler_command

from reconciler.core.words import plural
from reconciler.remote.engagelab import ScheduleClient

TARGET_RATIO = 1.3
PAGE_SIZE = 50
CREATED = "2030-01-01T00:00:00+00:00"
CHECKED = "2030-01-08T00:00:00+00:00"
BROKEN = 10


def body(i: int) -> dict[str, Any]:
    minute = i % (24 * 60)
    return {
        "name": f"bench{i:04d}",
        "enabled": True,
        "trigger": {
            "periodical": {
                "start": "2030-01-01 00:00:00",
                "end": "2030-12-01 00:00:00",
                "time": f"{minute // 60:02d}:{minute % 60:02d}:00",
                "time_unit": "day",
                "zone_type": 1,
            }
        },
        "push": {"to": "all", "body": {"platform": "all", "notification": {"alert": f"n{i}"}}},
    }


@contextmanager
def served(latency_ms: float, rate_limit: float) -> Iterator[str]:
    """`reconciler emulator serve` with latency and a rate limit, as a subprocess."""
    command = [
        *reconciler_command(),
        *("emulator", "serve", "--host", "127.0.0.1", "--port", "0"),
        *("--latency-ms", f"{latency_ms:g}", "--rate-limit", f"{rate_limit:g}", "--now", CREATED),
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield _wait_for_url(process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


async def fill(url: str, count: int) -> None:
    async with ScheduleClient(base_url=url, app_key=KEY, master_secret=SECRET) as client:
        await asyncio.gather(*(client.create_schedule(body(i)) for i in range(count)))


def write_repo(root: Path, url: str, count: int) -> None:
    folder = root / "schedules.d"
    folder.mkdir(parents=True)
    for i in range(count):
        (folder / f"s{i:04d}.yaml").write_text(yaml.safe_dump(body(i)), encoding="utf-8")
    config = {"default_target": "bench", "targets": {"bench": {"endpoint": url}}}
    (root / "reconciler.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def in_process(root: Path) -> tuple[float, str]:
    """Seconds of `health_target` and the text view, as the command runs them; the text."""
    from reconciler.config.load import load_config
    from reconciler.health.check import health_target
    from reconciler.views.health import render_text

    target = load_config(None, root).target()
    now = datetime.fromisoformat(CHECKED)
    started = time.perf_counter()
    found = asyncio.run(health_target(target, now, timedelta(days=7)))
    text = render_text(found)
    return time.perf_counter() - started, text


def timed(root: Path, env: dict[str, str], bound: float, *args: str) -> tuple[float, str | None]:
    """Seconds `reconciler health ARGS` took as a process, and what it printed (None: failed)."""
    started = time.perf_counter()
    done = subprocess.run(
        [*reconciler_command(), "--chdir", str(root), "health", *args],
        capture_output=True,
        text=True,
        timeout=bound,
        env=env,
        check=False,
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
        return took, None
    return took, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--server-rate-limit", type=float, default=500.0)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the median counts")
    parser.add_argument("--time-bound", type=float, default=300.0, help="seconds for everything")
    args = parser.parse_args()
    concurrency, rate_limit = 32, 400.0  # the target's defaults
    latency = args.latency_ms / 1000
    pages = math.ceil(args.count / PAGE_SIZE)
    listing = (2 if pages > 1 else 1) * latency
    msg_ids = max(math.ceil(args.count / concurrency) * latency, args.count / rate_limit)
    floor = listing + msg_ids

    with (
        tempfile.TemporaryDirectory() as tmp,
        served(args.latency_ms, args.server_rate_limit) as url,
    ):
        root = Path(tmp)
        started = time.perf_counter()
        asyncio.run(asyncio.wait_for(fill(url, args.count), timeout=args.time_bound))
        faults = [f"run-error=bench{i:04d}:1011" for i in range(BROKEN)]
        faults += [f"run-drop=bench{i:04d}" for i in range(BROKEN, 2 * BROKEN)]
        httpx.put(f"{url}/_emulator/faults", json={"faults": faults}, timeout=30)
        httpx.put(f"{url}/_emulator/clock", json={"now": CHECKED}, timeout=120).raise_for_status()
        print(
            f"created {args.count} schedules and ran them 7 days in {time.perf_counter() - started:.1f} s"
        )
        write_repo(root, url, args.count)
        env = {**os.environ, "RECONCILER_NOW": CHECKED}
        env.update(ENGAGELAB_APP_KEY=KEY, ENGAGELAB_MASTER_SECRET=SECRET)
        os.environ.update(env)
        checks = [in_process(root) for _ in range(args.repeat)]
        commands = [timed(root, env, args.time_bound) for _ in range(args.repeat)]
        json_took, json_text = timed(root, env, args.time_bound, "--format", "json")
    if any(text is None for _, text in commands) or json_text is None:
        return 1
    took, text = sorted(checks)[len(checks) // 2]
    command_took, command_text = sorted(commands, key=lambda c: c[0])[len(commands) // 2]
    assert command_text is not None
    counts = json.loads(json_text)["counts"]
    expected = {"failed": BROKEN, "missed": BROKEN, "ok": args.count - 2 * BROKEN}
    summary = (
        f"{plural(args.count, 'schedule')}: {BROKEN} failed, {BROKEN} missed, {expected['ok']} ok"
    )
    right = {k: counts[k] for k in expected} == expected
    right = right and text.splitlines()[-1] == command_text.splitlines()[-1] == summary
    ratio = took / floor
    shown = ", ".join(f"{t:.2f}" for t, _ in checks)
    print(
        f"health of {args.count} schedules (latency {args.latency_ms:g} ms, server rate limit "
        f"{args.server_rate_limit:g}/s; client concurrency {concurrency}, rate_limit "
        f"{rate_limit:g}/s): median {took:.2f} s ({shown})"
    )
    shown = ", ".join(f"{t:.2f}" for t, _ in commands)
    print(
        f"  the whole command as a process: median {command_took:.2f} s ({shown}), "
        f"{command_took / floor:.2f}x the floor; with --format json: {json_took:.2f} s"
    )
    print(
        f"  floor: listing 2 x {args.latency_ms:g} ms + {args.count} msg-ids max("
        f"{math.ceil(args.count / concurrency)} x {args.latency_ms:g} ms, "
        f"{args.count}/{rate_limit:g} s) = {listing:.2f} + {msg_ids:.2f} = {floor:.2f} s"
    )
    print(f"  {text.splitlines()[-1]} ({'as expected' if right else f'expected {summary}'})")
    command_ratio = command_took / floor
    print(
        f"  health / floor: {ratio:.2f}x in-process, {command_ratio:.2f}x the whole command "
        f"(target <= {TARGET_RATIO}x for both): "
        f"{'PASS' if max(ratio, command_ratio) <= TARGET_RATIO and right else 'FAIL'}"
    )
    return 0 if max(ratio, command_ratio) <= TARGET_RATIO and right else 1


if __name__ == "__main__":
    sys.exit(main())
