"""Builders for the fire, policy, calendar and review tests: schedules in code, targets with policies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.config.targets import Target
from reconciler.core.model import Schedule, Source, schedule_from_json
from reconciler.policy.settings import Policies


def single(time: str, zone_type: int | None = 1) -> dict[str, Any]:
    inner: dict[str, Any] = {"time": time}
    if zone_type is not None:
        inner["zone_type"] = zone_type
    return {"single": inner}


def periodical(
    time: str,
    *,
    unit: str = "day",
    point: list[str] | None = None,
    start: str = "2026-11-01 00:00:00",
    end: str = "2027-06-01 00:00:00",
    zone_type: int | None = 1,
    frequency: int | None = None,
) -> dict[str, Any]:
    inner: dict[str, Any] = {"start": start, "end": end, "time": time, "time_unit": unit}
    inner["point"] = point or []
    if zone_type is not None:
        inner["zone_type"] = zone_type
    if frequency is not None:
        inner["frequency"] = frequency
    return {"periodical": inner}


def intelligent(backup_time: str) -> dict[str, Any]:
    return {"intelligent": {"backup_time": backup_time}}


def body(
    name: str, trigger: dict[str, Any], *, to: Any = "all", enabled: bool = True
) -> dict[str, Any]:
    """A schedule object as a file holds it."""
    return {
        "name": name,
        "enabled": enabled,
        "trigger": trigger,
        "push": {"to": to, "body": {"platform": "all", "notification": {"alert": f"hi {name}"}}},
    }


def schedule(
    name: str, trigger: dict[str, Any], *, to: Any = "all", enabled: bool = True, line: int = 1
) -> Schedule:
    """A canonical schedule, as if read from schedules.d/NAME.yaml at `line`."""
    return schedule_from_json(
        body(name, trigger, to=to, enabled=enabled),
        Source(f"schedules.d/{name}.yaml", line, 1),
    )


def target(site: str = "UTC", root: Path | None = None, **policies: Any) -> Target:
    """A local target in `site`, with the given `policies:` mapping."""
    return Target(
        name="test",
        root=root or Path("."),
        site_timezone=site,
        policies=Policies.from_json(policies),
    )
