"""Benchmark: CPU of `reconciler validate` over 1000 generated schedule files.

Writes 1000 varied, valid files (single, periodical day/week/month, intelligent,
several spellings of each, some multi-document, some with unquoted YAML 1.1
look-alikes) into a temporary directory, runs the real console script on them
several times as a subprocess, and reports the child's user+sys CPU from
os.wait4. The whole process counts: interpreter start, imports, config,
loading, schema checks, rules. Target: under 1 s of CPU.

    .venv/bin/python benchmarks/bench_validate.py [--runs N] [--files N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOW = "2026-06-01T00:00:00+00:00"
TARGET_SECONDS = 1.0
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")

PUSHES = (
    """push:
  to: all
  body:
    platform: all
    notification:
      alert: "Hello number {i}"
""",
    """push:
  from: marketing
  to:
    tag: [segment_{m7}, vip]
    tag_not: [unsubscribed]
  body:
    platform: [android, ios]
    notification:
      alert: "Sale {i}"
      android:
        title: "Sale"
        builder_id: 1
        extras: {{campaign: c{i}, slot: {m7}}}
      ios:
        sound: default
        badge: 1
        thread-id: sales
    options:
      time_to_live: 3600
      apns_production: true
  request_id: "req-{i}"
""",
    """push:
  to:
    alias: [user_{i}]
  body:
    platform: hmos
    message:
      title: "Note"
      msg_content: "Message body {i}"
      extras: {{k: v}}
  custom_args: {{trace: {{id: {i}}}}}
""",
)


def trigger(i: int) -> str:
    kind = i % 5
    month, day = 7 + i % 5, 1 + i % 28
    if kind == 0:
        return f"""trigger:
  single:
    time: "2026-{month:02d}-{day:02d} {i % 24:02d}:{i % 60:02d}:00"
    zone_type: {1 + i % 2}
"""
    if kind == 1:
        frequency = f"\n    frequency: {1 + i % 4}" if i % 3 else ""
        return f"""trigger:
  periodical:
    start: "2026-06-02 00:00:00"
    end: "2027-05-01 00:00:00"
    time: {"19:30:00" if i % 2 else '"19:30:00"'}
    time_unit: {"day" if i % 2 else "DAY"}{frequency}
    zone_type: 2
"""
    if kind == 2:
        points = ", ".join(WEEKDAYS[j] if j % 2 else WEEKDAYS[j].lower() for j in range(i % 7 + 1))
        return f"""trigger:
  periodical:
    start: 2026-06-02 00:00:00
    end: 2027-05-01 00:00:00
    time: 09:00:00
    time_unit: week
    point: [{points}]
    zone_type: 1
"""
    if kind == 3:
        # 01..09 unquoted stay strings; 10 and up would be integers, so they are quoted.
        days = sorted({1 + i % 28, 15, 28})
        points = ", ".join(f"{d:02d}" if d < 10 else f'"{d}"' for d in days)
        return f"""trigger:
  periodical: {{start: "2026-06-02 00:00:00", end: "2027-05-01 00:00:00", time: "10:00:00", time_unit: Month, point: [{points}], zone_type: 1}}
"""
    return f"""trigger:
  intelligent:
    backup_time: "2026-{month:02d}-{day:02d} 12:00:00"
"""


def schedule(i: int) -> str:
    name = f"bench_{i:05d}" if i % 10 else f"基准_{i:05d}"
    enabled = "true" if i % 13 else "false"
    push = PUSHES[i % len(PUSHES)].format(i=i, m7=i % 7)
    return f"# schedule {i}\nname: {name}\nenabled: {enabled}\n{trigger(i)}{push}"


def write_files(root: Path, count: int, every_tenth: int = 3) -> int:
    """`count` files; every 10th holds `every_tenth` documents. Returns the number of schedules."""
    directory = root / "schedules.d"
    schedules = 0
    for f in range(count):
        sub = directory / f"team_{f % 8}"
        sub.mkdir(parents=True, exist_ok=True)
        per_file = every_tenth if f % 10 == 0 else 1
        documents = [schedule(schedules + k) for k in range(per_file)]
        schedules += per_file
        (sub / f"s_{f:05d}.yaml").write_text("---\n".join(documents), encoding="utf-8")
    return schedules


def command() -> list[str]:
    script = Path(sys.executable).parent / "reconciler"
    if script.exists():
        return [str(script)]
    found = shutil.which("reconciler")
    return [found] if found else [sys.executable, "-m", "reconciler"]


def run_once(argv: list[str], cwd: Path) -> tuple[float, float, str]:
    """(CPU seconds of the child, wall seconds, its last output line)."""
    env = {**os.environ, "RECONCILER_NOW": NOW}
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        out, err = stdout.read(), stderr.read()
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(
            f"validate exited {child.returncode}:\n{out.decode()[-2000:]}{err.decode()[-2000:]}"
        )
    lines = out.decode().strip().splitlines()
    return usage.ru_utime + usage.ru_stime, wall, lines[-1] if lines else ""


def measure(argv: list[str], root: Path, runs: int) -> tuple[list[float], list[float], str]:
    """CPU and wall seconds of `runs` runs after a warm-up, and the last summary line."""
    run_once(argv, root)  # warm the page cache and the .pyc files
    cpu: list[float] = []
    wall: list[float] = []
    summary = ""
    for _ in range(runs):
        seconds, elapsed, summary = run_once(argv, root)
        cpu.append(seconds)
        wall.append(elapsed)
    return cpu, wall, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_validate_") as tmp:
        root = Path(tmp)
        schedules = write_files(root, args.files)
        argv = [*command(), "validate"]
        cpu, wall, summary = measure(argv, root, args.runs)
        expected = f"{args.files} files, {schedules} valid schedules: 0 errors, 0 warnings"
        if summary != expected:
            raise SystemExit(f"unexpected result: {summary!r} (expected {expected!r})")
        best, median = min(cpu), statistics.median(cpu)
        verdict = "under" if median < TARGET_SECONDS else "NOT under"
        print(f"command: RECONCILER_NOW={NOW} {' '.join(argv)}  ({args.runs} runs)")
        print(f"input: {args.files} files, {schedules} schedules; output: {summary}")
        print(
            f"CPU (user+sys of the child): best {best:.3f} s, median {median:.3f} s; "
            f"wall median {statistics.median(wall):.3f} s"
        )
        print(f"median {verdict} {TARGET_SECONDS:.1f} s (ratio {median / TARGET_SECONDS:.2f})")


if __name__ == "__main__":
    main()
