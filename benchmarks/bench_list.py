"""Benchmark: read a 1000-schedule app in summary mode, concurrent client vs one at a time.

Starts ``reconciler emulator serve --port 0 --latency-ms 50 --list-detail summary`` on
127.0.0.1, fills it with 1000 schedules, then in one run times

* ``ScheduleClient.list_schedules()`` with the defaults (concurrency 32, rate_limit 400):
  page 1, pages 2..20 and the 1000 details, concurrently under the limits;
* a plain httpx loop doing the same 1020 reads one request at a time (each page, then
  each detail) over one keep-alive connection (httpx.AsyncClient, as the client uses);

and prints both times, their ratio, the lower bound
``max((2 + ceil(n / concurrency)) * latency, (n + 20) / rate_limit)`` and the ratio to it.
Targets: within 1.3x of the bound, at least 15x faster than the loop. Exit status 1 if a
target is missed. Everything is bounded in time, and the server is always stopped.

    .venv/bin/python benchmarks/bench_list.py [--count 1000] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from reconciler.remote.engagelab import ScheduleClient

KEY, SECRET = "demo_app_key", "demo_master_secret"
NOW = "2030-01-01T00:00:00+00:00"
STARTUP_TIMEOUT = 20.0
PAGE_SIZE = 50


def body(i: int) -> dict[str, Any]:
    return {
        "name": f"bench{i:04d}",
        "enabled": True,
        "trigger": {"single": {"time": f"2030-06-{1 + i % 28:02d} 12:00:00", "zone_type": 1}},
        "push": {"to": "all", "body": {"platform": "all", "notification": {"alert": f"n{i}"}}},
    }


def write_repo(root: Path, urls: dict[str, str], count: int) -> None:
    """A repo of `count` schedule files (`body(i)`) and one target per server, the first default."""
    folder = root / "schedules.d"
    folder.mkdir(parents=True)
    for i in range(count):
        (folder / f"s{i:04d}.yaml").write_text(yaml.safe_dump(body(i)), encoding="utf-8")
    config = {
        "default_target": next(iter(urls)),
        "targets": {name: {"endpoint": url, "site_timezone": "UTC"} for name, url in urls.items()},
    }
    (root / "reconciler.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def reconciler_command() -> list[str]:
    script = Path(sys.executable).with_name("reconciler")
    if script.exists():
        return [str(script)]
    found = shutil.which("reconciler")
    if found:
        return [found]
    return [sys.executable, "-c", "from reconciler.cli.group import main; main()"]


@contextmanager
def emulator(latency_ms: float, list_detail: str = "summary") -> Iterator[str]:
    """``reconciler emulator serve`` as a subprocess; yields its base URL; stops it."""
    command = [
        *reconciler_command(),
        "emulator",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--latency-ms",
        f"{latency_ms:g}",
        "--list-detail",
        list_detail,
        "--now",
        NOW,
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        url = _wait_for_url(process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_for_url(process: subprocess.Popen[str]) -> str:
    found: list[str] = []
    seen: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            seen.append(line.rstrip())
            if "emulator listening on " in line and not found:
                found.append(line.split("emulator listening on ", 1)[1].strip())
        # Keep draining so the server never blocks on a full pipe.

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not found:
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the emulator did not start:\n" + "\n".join(seen))
        time.sleep(0.02)
    return found[0]


async def fill(url: str, count: int) -> None:
    async with ScheduleClient(base_url=url, app_key=KEY, master_secret=SECRET) as client:
        await asyncio.gather(*(client.create_schedule(body(i)) for i in range(count)))


async def concurrent_read(url: str, concurrency: int, rate_limit: float) -> tuple[float, int, int]:
    started = time.perf_counter()
    async with ScheduleClient(
        base_url=url,
        app_key=KEY,
        master_secret=SECRET,
        concurrency=concurrency,
        rate_limit=rate_limit,
    ) as client:
        listed = await client.list_schedules()
        sent = client.requests_sent
    return time.perf_counter() - started, len(listed), sent


async def sequential_read(url: str, deadline: float) -> tuple[float, int, int]:
    """The same reads, one at a time: what a straightforward client would do. Same stack
    as the client (httpx.AsyncClient, one keep-alive connection), so that the difference
    is only in how the requests are scheduled."""
    started = time.perf_counter()
    sent = 0
    ids: list[str] = []
    async with httpx.AsyncClient(base_url=url, auth=(KEY, SECRET), timeout=30) as http:
        page, pages = 1, 1
        while page <= pages:
            answer = await http.get("/v4/schedules", params={"page": page})
            answer.raise_for_status()
            sent += 1
            data = answer.json()
            pages = data["total_pages"]
            ids += [entry["schedule_id"] for entry in data["schedules"]]
            page += 1
        for schedule_id in ids:
            if time.monotonic() > deadline:
                raise SystemExit("the one-at-a-time loop ran past its time bound")
            (await http.get(f"/v4/schedules/{schedule_id}")).raise_for_status()
            sent += 1
    return time.perf_counter() - started, len(ids), sent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate-limit", type=float, default=400.0)
    parser.add_argument("--time-bound", type=float, default=300.0, help="seconds for everything")
    args = parser.parse_args()
    deadline = time.monotonic() + args.time_bound
    latency = args.latency_ms / 1000
    pages = math.ceil(args.count / PAGE_SIZE)
    requests = args.count + pages

    with emulator(args.latency_ms) as url:
        print(f"emulator: {url} (latency {args.latency_ms:g} ms, summary listing)")
        started = time.perf_counter()
        asyncio.run(asyncio.wait_for(fill(url, args.count), timeout=args.time_bound))
        print(f"filled {args.count} schedules in {time.perf_counter() - started:.2f} s")

        budget = max(1.0, deadline - time.monotonic())
        fast, listed, fast_sent = asyncio.run(
            asyncio.wait_for(concurrent_read(url, args.concurrency, args.rate_limit), budget)
        )
        slow, slow_listed, slow_sent = asyncio.run(sequential_read(url, deadline))

    if listed != args.count or slow_listed != args.count:
        print(f"wrong counts: client {listed}, loop {slow_listed}, expected {args.count}")
        return 1
    bound = max(
        (2 + math.ceil(args.count / args.concurrency)) * latency, requests / args.rate_limit
    )
    speedup = slow / fast
    to_bound = fast / bound
    print(
        f"client  (concurrency {args.concurrency}, rate_limit {args.rate_limit:g}/s): "
        f"{fast:7.2f} s  {fast_sent} requests  {fast_sent / fast:6.1f} req/s"
    )
    print(
        f"one at a time:                              {slow:7.2f} s  {slow_sent} requests  "
        f"{slow_sent / slow:6.1f} req/s"
    )
    print(f"speed-up (loop / client):  {speedup:.1f}x   (target >= 15x)")
    print(
        f"lower bound max((2 + ceil({args.count}/{args.concurrency})) x {args.latency_ms:g} ms, "
        f"{requests}/{args.rate_limit:g} s) = {bound:.3f} s"
    )
    print(f"client / lower bound:      {to_bound:.2f}x  (target <= 1.3x)")
    ok = speedup >= 15 and to_bound <= 1.3
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
