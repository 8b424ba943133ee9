"""Model: typed schedules and triggers, and the canonical form plans compare.

The canonical form is the API object with every spelling the API treats as
equal folded into one: `time_unit` lower-case, week points upper-case in
weekday order, month points in date order, duplicates dropped, `point` absent
for `day` (whether the file wrote `[]`, `null` or nothing) and `frequency: 1`
(the default) absent. Dict key order never matters. Canonicalising twice
changes nothing; the planner relies on that to never show a perpetual diff.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.core import pointer

__all__ = [
    "JSON",
    "TRIGGER_KINDS",
    "WEEKDAYS",
    "Intelligent",
    "Periodical",
    "Schedule",
    "Single",
    "Source",
    "Trigger",
    "TriggerKind",
    "canonical",
    "canonical_json",
    "remove_pointers",
    "schedule_from_json",
    "trigger_from_json",
    "trigger_kind",
    "trigger_to_json",
]

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
TRIGGER_KINDS = ("single", "periodical", "intelligent")
TriggerKind = Literal["single", "periodical", "intelligent"]
JSON = dict[str, Any]


@dataclass(frozen=True)
class Source:
    """Where a desired schedule was written."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Single:
    time: str
    zone_type: int | None = None
    kind: TriggerKind = field(default="single", init=False)


@dataclass(frozen=True)
class Periodical:
    start: str
    end: str
    time: str
    time_unit: str
    point: tuple[str, ...] = ()
    zone_type: int | None = None
    frequency: int | None = None
    kind: TriggerKind = field(default="periodical", init=False)


@dataclass(frozen=True)
class Intelligent:
    backup_time: str
    kind: TriggerKind = field(default="intelligent", init=False)

    @property
    def zone_type(self) -> int | None:
        # Intelligent delivery has no zone_type: the main site's zone applies.
        return None


Trigger = Single | Periodical | Intelligent


@dataclass(frozen=True)
class Schedule:
    """A schedule in canonical form; `source` is set for desired ones."""

    name: str
    enabled: bool
    trigger: Trigger
    push: Mapping[str, Any]
    previous_name: str | None = None
    source: Source | None = field(default=None, compare=False)

    def body(self) -> JSON:
        """The canonical API object: what a full-replacement PUT or a POST sends."""
        return {
            "name": self.name,
            "enabled": self.enabled,
            "trigger": trigger_to_json(self.trigger),
            "push": dict(self.push),
        }


def trigger_kind(trigger_json: Mapping[str, Any]) -> str | None:
    kinds = [k for k in TRIGGER_KINDS if k in trigger_json]
    return kinds[0] if len(kinds) == 1 else None


def _canonical_points(unit: str, point: Any) -> tuple[str, ...]:
    if unit == "day" or point is None:
        return ()
    if not isinstance(point, list | tuple):
        return (str(point),)
    items = [p.upper() if isinstance(p, str) else str(p) for p in point]
    unique = set(items)
    if unit == "week":
        order = {d: i for i, d in enumerate(WEEKDAYS)}
        return tuple(sorted(unique, key=lambda p: (order.get(p, 99), p)))
    return tuple(sorted(unique, key=lambda p: (len(p), p)))


def trigger_from_json(trigger_json: Mapping[str, Any]) -> Trigger:
    """Build a canonical trigger from an API `trigger` object (assumed schema-valid)."""
    if "single" in trigger_json:
        s = trigger_json["single"]
        return Single(time=s["time"], zone_type=s.get("zone_type"))
    if "periodical" in trigger_json:
        p = trigger_json["periodical"]
        unit = str(p["time_unit"]).lower()
        frequency = p.get("frequency")
        return Periodical(
            start=p["start"],
            end=p["end"],
            time=p["time"],
            time_unit=unit,
            point=_canonical_points(unit, p.get("point")),
            zone_type=p.get("zone_type"),
            frequency=None if frequency == 1 else frequency,
        )
    if "intelligent" in trigger_json:
        return Intelligent(backup_time=trigger_json["intelligent"]["backup_time"])
    raise ValueError("trigger needs exactly one of single, periodical, intelligent")


def trigger_to_json(trigger: Trigger) -> JSON:
    if isinstance(trigger, Single):
        single: JSON = {"time": trigger.time}
        if trigger.zone_type is not None:
            single["zone_type"] = trigger.zone_type
        return {"single": single}
    if isinstance(trigger, Periodical):
        periodical: JSON = {
            "start": trigger.start,
            "end": trigger.end,
            "time": trigger.time,
            "time_unit": trigger.time_unit,
        }
        if trigger.time_unit == "day":
            # The documents' own examples send `point: []` for day; an empty
            # list is what a strict server is likeliest to accept.
            periodical["point"] = []
        else:
            periodical["point"] = list(trigger.point)
        if trigger.frequency is not None:
            periodical["frequency"] = trigger.frequency
        if trigger.zone_type is not None:
            periodical["zone_type"] = trigger.zone_type
        return {"periodical": periodical}
    return {"intelligent": {"backup_time": trigger.backup_time}}


def schedule_from_json(obj: Mapping[str, Any], source: Source | None = None) -> Schedule:
    """Build a canonical schedule from an API object or a validated document."""
    return Schedule(
        name=obj["name"],
        enabled=obj["enabled"],
        trigger=trigger_from_json(obj["trigger"]),
        push=obj["push"],
        previous_name=obj.get("previous_name"),
        source=source,
    )


def canonical(obj: Mapping[str, Any]) -> JSON:
    """The canonical form of a (possibly foreign) API object, for comparison.

    Tolerant of shapes it does not know: whatever it cannot fold is kept as is,
    so that a remote object that is not ours still compares truthfully.
    """
    out: JSON = {k: v for k, v in obj.items() if k not in ("schedule_id", "previous_name")}
    trigger = obj.get("trigger")
    if isinstance(trigger, Mapping):
        try:
            out["trigger"] = trigger_to_json(trigger_from_json(trigger))
        except (KeyError, TypeError, ValueError, AttributeError):
            out["trigger"] = dict(trigger)
    if "periodical" in out.get("trigger", {}):
        p = out["trigger"]["periodical"]
        if p.get("time_unit") == "day":
            p.pop("point", None)
    return out


def canonical_json(obj: Any) -> str:
    """A stable text for hashing and equality: sorted keys, no whitespace."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def remove_pointers(obj: JSON, pointers: tuple[str, ...]) -> JSON:
    """A copy of `obj` without the JSON pointers in `pointers` (ignore_fields)."""
    if not pointers:
        return obj
    result: JSON = json.loads(json.dumps(obj))
    for path in pointers:
        parts = pointer.split(path)
        node: Any = result
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                break
        if isinstance(node, dict):
            node.pop(parts[-1], None)
    return result
