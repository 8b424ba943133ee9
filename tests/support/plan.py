"""Builders of planner inputs: desired and remote schedules, a target, and a plan at NOW."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.config.targets import Safety, Target
from reconciler.core.model import Schedule, Source, schedule_from_json
from reconciler.plan.changes import Plan
from reconciler.plan.planner import make_plan
from reconciler.remote.engagelab import RemoteSchedule
from tests.support.clock import NOW


def body(name: str, **over: Any) -> dict[str, Any]:
    """A valid schedule body: one push to everyone on 2026-12-21 10:00 UTC (a month after NOW)."""
    trigger = over.pop(
        "trigger",
        {"single": {"time": "2026-12-21 10:00:00", "zone_type": 1}},
    )
    out: dict[str, Any] = {
        "name": name,
        "enabled": over.pop("enabled", True),
        "trigger": trigger,
        "push": over.pop(
            "push",
            {"to": "all", "body": {"platform": "all", "notification": {"alert": f"hi {name}"}}},
        ),
    }
    out.update(over)
    return out


def periodical(
    time_unit: str,
    *,
    start: str = "2026-11-21 00:00:00",
    end: str = "2027-05-23 00:00:00",
    time: str = "09:00:00",
    **fields: Any,
) -> dict[str, Any]:
    """A periodical trigger in the site's zone; by default from NOW to 2027-05-23, at 09:00."""
    spec = {"start": start, "end": end, "time": time, "time_unit": time_unit, **fields}
    return {"periodical": {**spec, "zone_type": 1}}


def never_fires() -> dict[str, Any]:
    """Valid offline (only a warning: February has no 30th) but refused by the API with
    28105: the window holds no fire time at all."""
    return periodical("month", start="2027-02-01 00:00:00", end="2027-02-27 00:00:00", point=["30"])


def desired(name: str, **over: Any) -> Schedule:
    return schedule_from_json(body(name, **over), Source("schedules.d/x.yaml", 1, 1))


def remote(
    name: str, position: int = 0, schedule_id: str | None = None, **over: Any
) -> RemoteSchedule:
    b = body(name, **over)
    return RemoteSchedule(
        schedule_id=schedule_id or f"id-{name}-{position}",
        name=b["name"],
        enabled=b["enabled"],
        trigger=b["trigger"],
        push=b["push"],
        position=position,
    )


def parked_remote(
    name: str, position: int = 0, schedule_id: str | None = None, **over: Any
) -> RemoteSchedule:
    """The parked copy an apply interrupted at NOW left of `body(name, **over)`
    (`parked_at`: when it was parked instead)."""
    from reconciler.remote.engagelab._claim import park

    parked_at = over.pop("parked_at", NOW)
    b = park(body(name, **over), parked_at, "0123456789abcdef")
    return RemoteSchedule(
        schedule_id=schedule_id or f"parked-{name}-{position}",
        name=b["name"],
        enabled=b["enabled"],
        trigger=b["trigger"],
        push=b["push"],
        position=position,
    )


def target(**over: Any) -> Target:
    over.setdefault("safety", Safety(max_delete_percent=30, max_update_percent=50, min_existing=10))
    return Target(name="test", root=Path("."), **over)


def plan_of(d: list[Schedule], r: list[RemoteSchedule], **over: Any) -> Plan:
    """The plan at NOW; keyword arguments go to the target, but for resolve_duplicates."""
    resolve = over.pop("resolve_duplicates", None)
    return make_plan(d, r, target(**over), NOW, resolve_duplicates=resolve)
