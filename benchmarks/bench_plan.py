"""Benchmark: CPU spent planning 1000 unchanged schedules, outside the network.

The remote snapshot is built in memory (as the client would return it), so the
figure is the planner's own cost: canonical forms, comparison, guards,
checksum, and rendering the result. Target: under 0.5 s of CPU.

    python benchmarks/bench_plan.py
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.config.targets import Target
from reconciler.core.model import schedule_from_json
from reconciler.plan.planner import make_plan
from reconciler.remote.engagelab import RemoteSchedule
from reconciler.views.plan import render_json, render_text

NOW = datetime(2026, 6, 1, tzinfo=UTC)
COUNT = 1000
TARGET_SECONDS = 0.5


def body(i: int) -> dict[str, Any]:
    kinds: list[dict[str, Any]] = [
        {"single": {"time": f"2026-{7 + i % 5:02d}-{1 + i % 28:02d} 10:00:00", "zone_type": 1}},
        {
            "periodical": {
                "start": "2026-06-02 00:00:00",
                "end": "2027-05-01 00:00:00",
                "time": "09:00:00",
                "time_unit": "week",
                "point": ["MON", "THU"],
                "zone_type": 2,
            }
        },
        {
            "periodical": {
                "start": "2026-06-02 00:00:00",
                "end": "2027-05-01 00:00:00",
                "time": "09:00:00",
                "time_unit": "month",
                "point": ["01", "15", "31"],
                "zone_type": 1,
            }
        },
        {"intelligent": {"backup_time": "2026-12-01 12:00:00"}},
    ]
    return {
        "name": f"bench_{i:04d}",
        "enabled": True,
        "trigger": kinds[i % len(kinds)],
        "push": {
            "to": {"tag": [f"segment_{i % 7}"]},
            "body": {
                "platform": ["android", "ios"],
                "notification": {
                    "alert": f"message {i}",
                    "android": {"title": "t", "extras": {"k": i}},
                },
                "options": {"time_to_live": 3600},
            },
            "request_id": str(i),
        },
    }


def main() -> None:
    bodies = [body(i) for i in range(COUNT)]
    desired = [schedule_from_json(b) for b in bodies]
    remote = [
        RemoteSchedule(f"id-{i}", b["name"], b["enabled"], b["trigger"], b["push"], i)
        for i, b in enumerate(bodies)
    ]
    target = Target(name="bench", root=Path("."))
    samples = []
    for _ in range(7):
        start = time.process_time()
        plan = make_plan(desired, remote, target, NOW)
        render_text(plan)
        render_json(plan)
        samples.append(time.process_time() - start)
    assert plan.summary["noop"] == COUNT, plan.summary
    best, median = min(samples), statistics.median(samples)
    print(
        f"plan of {COUNT} unchanged schedules: best {best:.3f} s CPU, median {median:.3f} s CPU "
        f"(target < {TARGET_SECONDS} s: {'met' if median < TARGET_SECONDS else 'NOT met'}; "
        f"ratio to target {median / TARGET_SECONDS:.2f})"
    )


if __name__ == "__main__":
    main()
