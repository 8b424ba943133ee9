"""Validate: the desired documents against the schema and the documented rules.

Everything wrong is reported at once, sorted by place, as diagnostics; the
valid documents become canonical `Schedule` values. Errors are what the API
would refuse (or what would do harm, like intelligent `now`); warnings are
what is only suspicious.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

import yaml

from reconciler.config.targets import Target
from reconciler.core import parked, pointer
from reconciler.core.diagnostics import Diagnostic, close_match, unknown_key
from reconciler.core.model import WEEKDAYS, Periodical, Schedule, Source, schedule_from_json
from reconciler.core.timing import ONE_YEAR, expiry_zone, first_run, parse_datetime, parse_time
from reconciler.desired.names import duplicate_names, lookalikes, name_problem
from reconciler.documents.dump import Dumper
from reconciler.documents.load import Document
from reconciler.documents.schema import checker as schema_checker

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

__all__ = ["ValidationResult", "validate", "validate_document"]

_YAML11_BOOLEANS = {"yes", "no", "on", "off", "y", "n"}
_SCHEMA_TYPES = {
    "boolean": "true or false",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}
_POINT_KINDS = {"week": "weekday (MON..SUN)", "month": 'date ("01".."31")'}


@dataclass(frozen=True)
class ValidationResult:
    schedules: tuple[Schedule, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


def _dotted(path: Iterable[str | int]) -> str:
    return ".".join(str(p) for p in path) or "the schedule"


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def _as_list(key: str | int, value: str | int | float) -> str:
    """`point: [FRI]`: the scalar `value` of `key` as the one-item list it should be."""
    if isinstance(value, int | float) and key == "point":
        value = f"{int(value):02d}"  # a month date, which is a quoted string
    written = yaml.dump([value], Dumper=Dumper, allow_unicode=True, width=1_000_000).strip()
    return f"{key}: {written}"


class _Checker:
    """Collects the diagnostics of one document."""

    def __init__(self, doc: Document, name: str | None) -> None:
        self.doc = doc
        self.name = name
        self.found: list[Diagnostic] = []
        # (pointer of a mapping, known key) for every unknown key there that is a
        # near miss of that known key: `notifcation` explains a missing
        # `notification`, so the miss is not reported a second time.
        self.hinted: set[tuple[str, str]] = set()
        # jsonschema reports each missing key of a mapping as its own error, in its own
        # words: the keys are read from the schema instead, each said once.
        self.said_missing: set[tuple[str, str]] = set()

    def add(self, pointer: str, message: str, severity: str = "error") -> None:
        line, column = self.doc.position(pointer)
        self.found.append(Diagnostic(self.doc.file, line, column, severity, message, self.name))  # type: ignore[arg-type]

    @property
    def failed(self) -> bool:
        return any(d.severity == "error" for d in self.found)

    # --- schema ---------------------------------------------------------------------

    def note_hints(self, errors: Sequence[ValidationError]) -> None:
        for error in errors:
            if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
                continue
            schema: Any = error.schema
            allowed = sorted(schema.get("properties", {}))
            for key in set(error.instance) - set(allowed):
                hint = close_match(key, allowed)
                if hint:
                    self.hinted.add((pointer.join(error.absolute_path), hint))

    def schema_error(self, error: ValidationError) -> None:
        if error.validator in ("oneOf", "anyOf") and error.context:
            if isinstance(error.instance, dict):
                # Drop the branches that fail on the shape itself (`to: {…}` is not
                # the const "all"); keep what is wrong inside the mapping.
                deeper = [
                    e
                    for e in error.context
                    if e.relative_path or (e.validator != "type" and e.validator != "const")
                ]
                if deeper:
                    from jsonschema.exceptions import best_match

                    self.schema_error(best_match(deeper))
                    return
            self._schema_message(error)
            return
        self._schema_message(error)

    def _schema_message(self, error: ValidationError) -> None:
        path = list(error.absolute_path)
        where = _dotted(path)
        instance: Any = error.instance
        kind = error.validator
        schema: Any = error.schema
        if kind == "additionalProperties":
            allowed = sorted(schema.get("properties", {}))
            for key in sorted(set(instance) - set(allowed)):
                at = "the schedule" if not path else where
                self.add(pointer.join([*path, key]), unknown_key(key, allowed, at))
            return
        if kind == "required":
            for missing in schema.get("required", []):
                said = (pointer.join(path), missing)
                if missing in instance or said in self.hinted or said in self.said_missing:
                    continue  # present, or an unknown key's "did you mean" already says it
                self.said_missing.add(said)
                self.add(pointer.join(path), f"{where} is missing {missing!r}")
            return
        if kind == "type":
            expected: Any = error.validator_value
            wanted = [expected] if isinstance(expected, str) else list(expected)
            message = f"{where} must be {' or '.join(_SCHEMA_TYPES.get(t, t) for t in wanted)}, not {_type_name(instance)}"
            if (
                expected == "boolean"
                and isinstance(instance, str)
                and instance.lower() in _YAML11_BOOLEANS
            ):
                message += f" (YAML 1.1 {instance!r} is not a boolean here: write true or false)"
            elif path[-2:-1] == ["point"] and isinstance(instance, int | float):
                message += f' (write month dates as quoted strings, e.g. "{int(instance):02d}")'
            elif "array" in wanted and path and isinstance(instance, str | int | float):
                message += f" (a list, even of one: write {_as_list(path[-1], instance)})"
            self.add(pointer.join(path), message)
            return
        if kind == "enum" and path and path[-1] == "zone_type":
            self.add(
                pointer.join(path),
                f"zone_type must be 1 (main site's zone) or 2 (device's zone), not {instance!r}",
            )
            return
        if kind in ("minProperties", "maxProperties") and path == ["trigger"]:
            self.add(
                pointer.join(path), "trigger needs exactly one of single, periodical, intelligent"
            )
            return
        if kind in ("anyOf", "minProperties") and path[-1:] == ["to"]:
            self.add(
                pointer.join(path),
                'push.to must be "all" or an audience (registration_id, tag, tag_and, tag_not, alias, live_activity_id, seg)',
            )
            return
        if kind == "anyOf" and path[-1:] == ["platform"]:
            self.add(
                pointer.join(path),
                'push.body.platform must be "all", one of android, ios, hmos, or a list of them',
            )
            return
        self.add(pointer.join(path), f"{where}: {error.message}")

    # --- rules ----------------------------------------------------------------------

    def check_name(self, key: str, value: Any, prefix: str) -> None:
        if not isinstance(value, str):
            return
        problem = name_problem(value)
        if problem:
            self.add(f"/{key}", f"{key} {value!r} {problem}")
        elif prefix and not value.startswith(prefix):
            self.add(
                f"/{key}",
                f"{key} {value!r} lacks the manage_prefix {prefix!r}: it would never be managed",
            )

    def datetime_at(self, pointer: str, value: Any, label: str) -> datetime | None:
        if not isinstance(value, str):
            return None
        try:
            return parse_datetime(value)
        except ValueError as err:
            self.add(pointer, f"{label}: {err}")
            return None

    def check_single(self, single: dict[str, Any], now: datetime, site: tzinfo) -> None:
        at = self.datetime_at("/trigger/single/time", single.get("time"), "single time")
        if at is None:
            return
        self._zone_warning("/trigger/single", single)
        local_now = now.astimezone(expiry_zone(single.get("zone_type"), site)).replace(tzinfo=None)
        if at <= local_now:
            self.add(
                "/trigger/single/time",
                "single time is already past: expired, will be skipped; delete the file",
                "warning",
            )
        elif at - local_now > ONE_YEAR:
            self.add(
                "/trigger/single/time",
                f"single time {single['time']} is more than one year ahead; the API refuses it",
            )

    def check_periodical(self, p: dict[str, Any], now: datetime, site: tzinfo) -> None:
        base = "/trigger/periodical"
        start = self.datetime_at(f"{base}/start", p.get("start"), "periodical start")
        end = self.datetime_at(f"{base}/end", p.get("end"), "periodical end")
        if isinstance(p.get("time"), str):
            try:
                parse_time(p["time"])
            except ValueError as err:
                self.add(f"{base}/time", f"periodical time: {err}")
        self._zone_warning(base, p)
        if start and end:
            if start >= end:
                self.add(
                    f"{base}/end", f"periodical end {p['end']} must be after start {p['start']}"
                )
            elif end - start > ONE_YEAR:
                self.add(
                    f"{base}/end",
                    "periodical span is over one year; the documents say it should not be",
                    "warning",
                )
            local_now = now.astimezone(expiry_zone(p.get("zone_type"), site)).replace(tzinfo=None)
            if start < end <= local_now:
                self.add(
                    f"{base}/end",
                    "periodical end is already past: expired, will be skipped; delete the file",
                    "warning",
                )
        unit = p.get("time_unit")
        if not isinstance(unit, str):
            return
        unit = unit.lower()
        if unit not in ("day", "week", "month"):
            self.add(
                f"{base}/time_unit",
                f"time_unit must be day, week or month (any case), not {p['time_unit']!r}",
            )
            return
        self._check_points(base, unit, p.get("point"))

    def _check_points(self, base: str, unit: str, points: Any) -> None:
        if unit == "day":
            if points:
                self.add(f"{base}/point", "point must be empty or absent when time_unit is day")
            return
        if not points:
            self.add(
                f"{base}/point",
                f"point must list at least one {_POINT_KINDS[unit]} when time_unit is {unit}",
            )
            return
        if not isinstance(points, list):
            return
        for index, point in enumerate(points):
            if not isinstance(point, str):
                continue
            pointer = f"{base}/point/{index}"
            if unit == "week" and point.upper() not in WEEKDAYS:
                self.add(
                    pointer, f"week point {point!r} must be one of {', '.join(WEEKDAYS)} (any case)"
                )
            elif unit == "month":
                if (
                    len(point) != 2
                    or not (point.isascii() and point.isdigit())
                    or not 1 <= int(point) <= 31
                ):
                    self.add(pointer, f'month point {point!r} must be a two-digit date "01".."31"')
                elif int(point) > 28:
                    self.add(
                        pointer,
                        f"month point {point!r}: months without day {int(point)} are skipped",
                        "warning",
                    )

    def _zone_warning(self, pointer: str, trigger: dict[str, Any]) -> None:
        if "zone_type" not in trigger:
            self.add(
                pointer,
                "no zone_type: the server's time zone applies; set 1 (main site) or 2 (device)",
                "warning",
            )

    def check_intelligent(self, value: dict[str, Any], now: datetime, site: tzinfo) -> None:
        backup = value.get("backup_time")
        pointer = "/trigger/intelligent/backup_time"
        if isinstance(backup, str) and backup.strip().lower() == "now":
            self.add(
                pointer,
                'intelligent backup_time "now" is refused: it fires at apply time and then leaves the list, so every later apply would send it again; give a yyyy-MM-dd HH:mm:ss time',
            )
            return
        at = self.datetime_at(pointer, backup, "intelligent backup_time")
        if at is None:
            return
        local_now = now.astimezone(site).replace(tzinfo=None)
        if at <= local_now:
            self.add(
                pointer,
                "intelligent backup_time is already past: expired, will be skipped; delete the file",
                "warning",
            )
        elif at - local_now > ONE_YEAR:
            self.add(
                pointer, "intelligent backup_time is more than one year ahead; the API refuses it"
            )

    def check_push(self, push: Any) -> None:
        if isinstance(push, dict) and parked.mark_of({"push": push}) is not None:
            # The mark of a parked copy: applied, the schedule would be taken for one.
            self.add(
                "/push/request_id",
                f"push.request_id must not start with {parked.PREFIX!r}: reconciler marks "
                "unfinished creates with it",
            )
        body = push.get("body") if isinstance(push, dict) else None
        if not isinstance(body, dict) or body.get("notification") or body.get("message"):
            return
        if not {("/push/body", "notification"), ("/push/body", "message")} & self.hinted:
            self.add("/push/body", "push.body needs a notification or a message")


def validate_document(
    doc: Document, target: Target, now: datetime
) -> tuple[Schedule | None, list[Diagnostic]]:
    data = doc.data
    name = data.get("name") if isinstance(data, dict) else None
    checker = _Checker(doc, name if isinstance(name, str) else None)
    if not isinstance(data, dict):
        checker.add(
            "",
            f"a schedule must be a mapping (name, enabled, trigger, push), not {_type_name(data)}",
        )
        return None, checker.found
    schema_errors = list(schema_checker("schedule.schema.json").errors(data))
    checker.note_hints(schema_errors)
    for error in schema_errors:
        checker.schema_error(error)
    checker.check_name("name", data.get("name"), target.manage_prefix)
    if "previous_name" in data:
        checker.check_name("previous_name", data.get("previous_name"), target.manage_prefix)
        if data.get("previous_name") == data.get("name"):
            checker.add(
                "/previous_name", "previous_name equals name; remove it once the rename is applied"
            )
    site = target.site_zone
    trigger = data.get("trigger")
    if isinstance(trigger, dict) and len(trigger) == 1:
        kind, value = next(iter(trigger.items()))
        if isinstance(value, dict):
            if kind == "single":
                checker.check_single(value, now, site)
            elif kind == "periodical":
                checker.check_periodical(value, now, site)
            elif kind == "intelligent":
                checker.check_intelligent(value, now, site)
    checker.check_push(data.get("push"))
    if checker.failed:
        return None, checker.found
    line, column = doc.position("")
    schedule = schedule_from_json(data, Source(doc.file, line, column))
    if isinstance(schedule.trigger, Periodical) and first_run(schedule.trigger) is None:
        # The emulator answers 28105 (no push target for the set time); whether the
        # real server refuses it too is not documented, so it is only a warning here.
        checker.add(
            "/trigger/periodical",
            "the window from start to end holds no fire time: the API will likely refuse it (28105)",
            "warning",
        )
    return schedule, checker.found


def validate(documents: Sequence[Document], target: Target, now: datetime) -> ValidationResult:
    """Validate every document; valid ones become canonical schedules."""
    schedules: list[Schedule] = []
    diagnostics: list[Diagnostic] = []
    for doc in documents:
        schedule, found = validate_document(doc, target, now)
        diagnostics.extend(found)
        if schedule is not None:
            schedules.append(schedule)
    diagnostics.extend(duplicate_names(schedules))
    diagnostics.extend(lookalikes(documents))
    unique = {s.name: s for s in reversed(schedules)}
    kept = tuple(s for s in schedules if unique.get(s.name) is s)
    return ValidationResult(kept, tuple(sorted(diagnostics)))
