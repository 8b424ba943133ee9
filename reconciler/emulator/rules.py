"""Validation: the documented rules for a schedule body, each refused with its error code.

A separate implementation of the server's rules, written from the API documents; it shares
only the JSON schema of `push` with the rest of reconciler.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, tzinfo
from importlib import resources
from typing import Any, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from reconciler.emulator import errors
from reconciler.emulator.errors import Refusal
from reconciler.emulator.firing import (
    Intelligent,
    Periodical,
    Single,
    Timeline,
    Trigger,
    Unit,
    add_year,
    at,
    kind_of,
    zone_type_of,
)

__all__ = [
    "CLOCK_RE",
    "DATETIME_RE",
    "FIELDS",
    "KINDS",
    "LENIENT_NAME_RE",
    "NAME_MAX_BYTES",
    "NAME_RE",
    "PERIODICAL_KEYS",
    "WEEKDAYS",
    "Checked",
    "Rules",
    "audience_is_empty",
    "bad_time",
    "check_times",
    "deep_merge",
    "invalid",
    "parse_clock",
    "parse_datetime",
    "parse_trigger",
]

FIELDS = ("name", "enabled", "trigger", "push")
KINDS = ("single", "periodical", "intelligent")
DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\Z", re.ASCII)
CLOCK_RE = re.compile(r"\d{2}:\d{2}:\d{2}\Z", re.ASCII)
# CJK ideographs (unified, extensions A..H, compatibility), ASCII letters, digits, underscore.
_NAME_CHARS = (
    "0-9A-Za-z_"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002ebef\U0002f800-\U0002fa1f\U00030000-\U000323af"
)
NAME_RE = re.compile(f"[{_NAME_CHARS}]+\\Z")
LENIENT_NAME_RE = re.compile(f"[{_NAME_CHARS} ]+\\Z")
NAME_MAX_BYTES = 255
WEEKDAYS = {"MON": 0, "TUE": 1, "WED": 2, "THU": 3, "FRI": 4, "SAT": 5, "SUN": 6}
PERIODICAL_KEYS = {"start", "end", "time", "time_unit", "point", "frequency", "zone_type"}


@dataclass(frozen=True)
class Checked:
    """A body the server accepts: what to store (as sent) and its parsed trigger."""

    body: dict[str, Any]
    name: str
    trigger: Trigger


def _load_push_validator() -> Draft202012Validator:
    text = (resources.files("reconciler") / "schemas" / "schedule.schema.json").read_text("utf-8")
    schema = json.loads(text)
    return Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/push"})


def invalid(message: str) -> Refusal:
    return Refusal(errors.INVALID, message)


def bad_time(message: str) -> Refusal:
    return Refusal(errors.TIME_INVALID, message)


def parse_datetime(value: object, field: str) -> datetime:
    """A "yyyy-MM-dd HH:mm:ss" string, exactly: no shortened fields, a real calendar time."""
    if not isinstance(value, str) or not DATETIME_RE.match(value):
        raise bad_time(f'{field} must be a string "yyyy-MM-dd HH:mm:ss", got {value!r}')
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise bad_time(f"{field} {value!r} is not a valid date and time") from None


def parse_clock(value: object, field: str) -> time:
    if not isinstance(value, str) or not CLOCK_RE.match(value):
        raise bad_time(f'{field} must be a string "HH:mm:ss", got {value!r}')
    try:
        return datetime.strptime(value, "%H:%M:%S").time()
    except ValueError:
        raise bad_time(f"{field} {value!r} is not a valid 24-hour time") from None


def deep_merge(base: object, patch: object) -> object:
    """Lenient partial PUT: objects merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = deep_merge(base.get(key), value) if key in base else value
        return merged
    return patch


def audience_is_empty(push: dict[str, Any]) -> bool:
    """True when `to` is an object naming no one (every list and string in it empty)."""
    to = push.get("to")
    if not isinstance(to, dict):
        return False
    return not any(bool(value) for value in to.values())


class Rules:
    """Checks create and update bodies against the documented rules."""

    def __init__(self, *, lenient: bool) -> None:
        self.lenient = lenient
        self._push = _load_push_validator()
        # Schema validation is most of a create's cost and clients resend the same pushes
        # (apply runs, benchmarks): remember verdicts by the push's canonical JSON.
        self._push_problem: Callable[[str], str | None] = functools.lru_cache(maxsize=4096)(
            self._find_push_problem
        )

    def check(
        self,
        raw: object,
        *,
        now: datetime,
        site_zone: tzinfo,
        existing: dict[str, Any] | None = None,
    ) -> Checked:
        """Refuse `raw` with the documented code, or return what to store.

        `existing` is the stored body when this is a PUT (None for a create).
        """
        if not isinstance(raw, dict):
            raise invalid("request data is not a JSON object")
        body = {k: v for k, v in raw.items() if k != "schedule_id"}
        unknown = [k for k in body if k not in FIELDS]
        if unknown:
            raise invalid(f"unknown field {unknown[0]!r}: a schedule has {', '.join(FIELDS)}")
        if existing is not None and self.lenient and any(f not in body for f in FIELDS):
            # A partial PUT (as the documents' WRONG examples) is merged into the stored
            # schedule; a complete one still replaces it whole.
            body = cast(dict[str, Any], deep_merge(existing, body))
        for field in FIELDS:
            if field not in body:
                if existing is not None:
                    raise invalid(
                        f"missing field {field!r}: PUT replaces the whole schedule, "
                        "partial updates are not supported"
                    )
                raise invalid(f"missing field {field!r}")
        ordered = {field: body[field] for field in FIELDS}
        name = self._check_name(ordered["name"])
        enabled = ordered["enabled"]
        if not isinstance(enabled, bool):
            raise invalid(f"enabled must be true or false, got {enabled!r}")
        if existing is None and not enabled:
            raise invalid("enabled must be true when a schedule is created")
        trigger = self._check_trigger(ordered["trigger"], now=now, site_zone=site_zone)
        self._check_push(ordered["push"])
        if existing is not None:
            self._check_switch(existing, trigger)
        return Checked(body=ordered, name=name, trigger=trigger)

    def _check_name(self, name: object) -> str:
        if not isinstance(name, str) or not name:
            raise invalid(f"name must be a non-empty string, got {name!r}")
        if len(name.encode("utf-8")) > NAME_MAX_BYTES:
            raise invalid(f"name is {len(name.encode('utf-8'))} bytes, at most 255 are allowed")
        pattern = LENIENT_NAME_RE if self.lenient else NAME_RE
        if not pattern.match(name):
            allowed = "CJK characters, letters, digits and underscores"
            raise invalid(f"name {name!r} may contain only {allowed}")
        return name

    def _check_switch(self, existing: dict[str, Any], new: Trigger) -> None:
        old_trigger = existing.get("trigger")
        old_kind = next(iter(old_trigger), None) if isinstance(old_trigger, dict) else None
        if old_kind != kind_of(new):
            raise invalid(
                f"trigger cannot switch from {old_kind} to {kind_of(new)} on update; "
                "delete and create instead"
            )
        old_spec = old_trigger.get(old_kind) if isinstance(old_trigger, dict) else None
        old_zone = old_spec.get("zone_type") if isinstance(old_spec, dict) else None
        old_zone_type = 2 if old_zone == 2 else 1
        if old_zone_type != zone_type_of(new):
            raise invalid(
                f"zone_type cannot change from {old_zone_type} to {zone_type_of(new)} on update"
            )

    # Triggers ---------------------------------------------------------------------------

    def _check_trigger(self, trigger: object, *, now: datetime, site_zone: tzinfo) -> Trigger:
        parsed = parse_trigger(trigger)
        check_times(parsed, now=now, site_zone=site_zone)
        return parsed

    # Push -------------------------------------------------------------------------------

    def _check_push(self, push: object) -> None:
        problem = self._push_problem(json.dumps(push, sort_keys=True, separators=(",", ":")))
        if problem is not None:
            raise Refusal(errors.PUSH_INVALID, problem)

    def _find_push_problem(self, canonical: str) -> str | None:
        push = json.loads(canonical)
        error = best_match(self._push.iter_errors(push))
        if error is not None:
            path = "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path
            )
            message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
            return f"push{path}: {message}"
        if not any(
            key in push["body"] for key in ("notification", "message", "live_activity", "voip")
        ):
            return "push.body needs a notification or a message to send"
        return None


# Trigger parsing (structure and formats) and timing checks (relative to the clock) are apart:
# the firing code re-reads stored triggers whose times have long passed.


def _zone_type(spec: dict[str, Any], where: str) -> int | None:
    if "zone_type" not in spec:
        return None  # the documents: without it the server's own zone applies
    zone_type = spec["zone_type"]
    if isinstance(zone_type, bool) or zone_type not in (1, 2):
        raise invalid(f"{where}.zone_type must be 1 or 2, got {zone_type!r}")
    return cast(int, zone_type)


def _unknown_keys(spec: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in spec:
        if key not in allowed:
            raise invalid(f"{where} has an unknown field {key!r}")


def _required(spec: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    for key in keys:
        if key not in spec:
            raise invalid(f"{where}.{key} is missing")


def parse_trigger(trigger: object) -> Trigger:
    """The trigger's kind, times and points, refused with 28100/28103 when malformed."""
    if not isinstance(trigger, dict) or len(trigger) != 1 or next(iter(trigger)) not in KINDS:
        raise invalid("trigger must hold exactly one of single, periodical, intelligent")
    kind, spec = next(iter(trigger.items()))
    where = f"trigger.{kind}"
    if not isinstance(spec, dict):
        raise invalid(f"{where} must be an object")
    if kind == "single":
        _unknown_keys(spec, {"time", "zone_type"}, where)
        _required(spec, ("time",), where)
        moment = parse_datetime(spec["time"], f"{where}.time")
        return Single(time=moment, zone_type=_zone_type(spec, where))
    if kind == "intelligent":
        _unknown_keys(spec, {"backup_time"}, where)
        _required(spec, ("backup_time",), where)
        if spec["backup_time"] == "now":
            return Intelligent(backup_time=None)
        return Intelligent(parse_datetime(spec["backup_time"], f"{where}.backup_time"))
    _unknown_keys(spec, PERIODICAL_KEYS, where)
    _required(spec, ("start", "end", "time", "time_unit"), where)
    start = parse_datetime(spec["start"], f"{where}.start")
    end = parse_datetime(spec["end"], f"{where}.end")
    clock = parse_clock(spec["time"], f"{where}.time")
    unit_raw = spec["time_unit"]
    if not isinstance(unit_raw, str) or unit_raw.lower() not in ("day", "week", "month"):
        raise invalid(f"{where}.time_unit must be day, week or month, got {unit_raw!r}")
    unit = cast(Unit, unit_raw.lower())
    points = _points(spec.get("point"), unit, where)
    frequency = spec.get("frequency", 1)
    if isinstance(frequency, bool) or not isinstance(frequency, int) or not 1 <= frequency <= 100:
        raise invalid(f"{where}.frequency must be an integer from 1 to 100, got {frequency!r}")
    return Periodical(start, end, clock, unit, points, frequency, _zone_type(spec, where))


def _text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def check_times(trigger: Trigger, *, now: datetime, site_zone: tzinfo) -> None:
    """Refuse times in the past, more than a year ahead, or a window that never fires."""
    timeline = Timeline(trigger, site_zone, now)
    if isinstance(trigger, Single):
        where = f"trigger.single.time {_text(trigger.time)!r}"
        if timeline.expires_at() <= now:
            raise bad_time(f"{where} is in the past")
        if at(trigger.time, timeline.fire_zone) > add_year(now):
            raise bad_time(f"{where} is more than one year ahead")
        return
    if isinstance(trigger, Intelligent):
        if trigger.backup_time is None:
            return
        where = f"trigger.intelligent.backup_time {_text(trigger.backup_time)!r}"
        if timeline.expires_at() <= now:
            raise bad_time(f"{where} is in the past")
        if timeline.expires_at() > add_year(now):
            raise bad_time(f"{where} is more than one year ahead")
        return
    where = "trigger.periodical"
    if trigger.start >= trigger.end:
        raise bad_time(
            f"{where}.start {_text(trigger.start)!r} is not before end {_text(trigger.end)!r}"
        )
    if timeline.expires_at() <= now:
        raise bad_time(f"{where}.end {_text(trigger.end)!r} is in the past")
    if timeline.first_fire() is None:
        raise Refusal(
            errors.NO_TARGET,
            f"{where}: no push time between start and end for time_unit {trigger.unit} "
            "and the given points",
        )


def _points(raw: object, unit: Unit, where: str) -> tuple[int, ...]:
    field = f"{where}.point"
    # The table types point as a String while every example sends a list: take both,
    # a string being a comma-separated list.
    if raw is None:
        items: list[object] = []
    elif isinstance(raw, str):
        items = [part.strip() for part in raw.split(",") if part.strip()]
    elif isinstance(raw, list):
        items = list(raw)
    else:
        raise invalid(f"{field} must be a list of strings, got {raw!r}")
    if unit == "day":
        if items:
            raise invalid(f"{field} must be empty or absent when time_unit is day")
        return ()
    if not items:
        raise invalid(f"{field} must name at least one {'weekday' if unit == 'week' else 'date'}")
    result: list[int] = []
    for item in items:
        if not isinstance(item, str):
            raise invalid(f"{field} entries must be strings, got {item!r}")
        if unit == "week":
            if item.upper() not in WEEKDAYS:
                raise invalid(f"{field} entry {item!r} is not one of MON..SUN")
            result.append(WEEKDAYS[item.upper()])
        else:
            if not re.fullmatch(r"\d{2}", item, re.ASCII) or not 1 <= int(item) <= 31:
                raise invalid(f'{field} entry {item!r} is not a date "01".."31"')
            result.append(int(item))
    return tuple(result)
