"""Benchmark: CPU of `reconciler validate` over 1000 schedules with every policy on.

The schedules are bench_validate's (single, periodical day/week/month with
frequencies, intelligent; a third to "all", a third to tags sharing `vip`, a
third to one alias each), one per file. The config turns on every rule —
quiet hours, a per-day cap, a minimum gap, a required field — over a 90-day
horizon in 3 audience zones, each rule at `level: warning` so that the run
exits 0 and prints its findings. The real console script runs as a
subprocess; the child's user+sys CPU comes from os.wait4 (interpreter start,
imports, loading, schema, rules and policies all count). Target: under 1.5 s.
For scale, the same run without policies is measured too.

    .venv/bin/python benchmarks/bench_policy.py [--runs N] [--schedules N]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
from pathlib import Path

from bench_validate import NOW, command, measure, write_files

TARGET_SECONDS = 1.5
ZONES = ("America/Los_Angeles", "Europe/Berlin", "Asia/Singapore")
POLICIES = f"""policies:
  horizon_days: 90
  audience_zones: [{", ".join(ZONES)}]
  quiet_hours: {{start: "22:00", end: "08:00", level: warning}}
  max_per_audience: {{count: 3, per: day, level: warning}}
  min_gap_minutes: {{minutes: 120, level: warning}}
  require: {{paths: ["/push/body/options/time_to_live"], level: warning}}
"""
SUMMARY = re.compile(r"^(\d+) files, (\d+) valid schedules: 0 errors, (\d+) warnings?$")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--schedules", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_policy_") as tmp:
        root = Path(tmp)
        write_files(root, args.schedules, every_tenth=1)
        argv = [*command(), "validate"]
        plain, _, _ = measure(argv, root, args.runs)
        (root / "reconciler.yaml").write_text(POLICIES, encoding="utf-8")
        cpu, _, summary = measure(argv, root, args.runs)
        match = SUMMARY.match(summary)
        if not match or int(match.group(2)) != args.schedules or int(match.group(3)) == 0:
            raise SystemExit(f"unexpected result: {summary!r} (expected findings as warnings)")
        median, base = statistics.median(cpu), statistics.median(plain)
        verdict = "under" if median < TARGET_SECONDS else "NOT under"
        print(f"command: RECONCILER_NOW={NOW} {' '.join(argv)}  ({args.runs} runs)")
        print(f"input: {args.schedules} schedules, 90-day horizon, zones {', '.join(ZONES)}")
        print(f"output: {summary}")
        print(
            f"CPU (user+sys of the child): best {min(cpu):.3f} s, median {median:.3f} s; "
            f"without policies: median {base:.3f} s (policies add {median - base:.3f} s, "
            f"ratio {median / base:.2f})"
        )
        print(f"median {verdict} {TARGET_SECONDS:.1f} s (ratio {median / TARGET_SECONDS:.2f})")


if __name__ == "__main__":
    main()
