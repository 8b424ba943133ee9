"""Validate: the desired documents against the schema and the documented rules.

Everything wrong is reported at once, sorted by place, as diagnostics; the
valid documents become canonical `Schedule` values. Errors are what the API
would refuse (or what would do harm, like intelligent `now`); warnings are
what is only suspicious.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from reconciler.config.load import Target
from reconciler.core import pointer
from reconciler.core.diagnostics import Diagnostic, close_match, unknown_key
from reconciler.core.model import WEEKDAYS, Periodical, Schedule, Source, schedule_from_json
from reconciler.core.timing import ONE_YEAR, expiry_zone, first_run, parse_datetime, parse_time
from reconciler.documents.load import Document, LoadResult, load_schedules
from reconciler.documents.schema import checker as schema_checker
from reconciler.errors import SourceError
from reconciler.policy.evaluation import evaluate
from reconciler.policy.rule import by_place

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

MAX_NAME_BYTES = 255
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


def _is_name_char(char: str) -> bool:
    # isascii first: "K" (Kelvin sign) and "İ" lower-case into ASCII letters.
    if char == "_" or (char.isascii() and char.isalnum()):
        return True
    # CJK ideographs: the unified blocks and their extensions, and compatibility ideographs.
    return unicodedata.name(char, "").startswith(
        ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")
    )


def name_problem(name: str) -> str | None:
    """Why `name` is not a valid schedule name, or None."""
    size = len(name.encode("utf-8"))
    if size == 0:
        return "is empty"
    if size > MAX_NAME_BYTES:
        return f"is {size} bytes of UTF-8; at most {MAX_NAME_BYTES} are allowed"
    for index, char in enumerate(name):
        if not _is_name_char(char):
            shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
            if not char.isascii() and char.isprintable():
                shown += f" (U+{ord(char):04X})"  # "K" may be the Kelvin sign
            return (
                f"may hold only CJK ideographs, ASCII letters, digits and underscore; "
                f"found {shown} at position {index + 1}"
            )
    return None


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
            missing = error.message.split("'")[1]
            if (pointer.join(path), missing) in self.hinted:
                return  # the unknown key's "did you mean" already says it
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


def _at_schedule(schedule: Schedule, message: str) -> Diagnostic:
    """An error at the place `schedule` was written."""
    src = schedule.source or Source("?", 0, 0)
    return Diagnostic(src.file, src.line, src.column, "error", message, schedule.name)


def _unique(schedules: Sequence[Schedule]) -> list[Diagnostic]:
    """One schedule per name, one rename per old name, and no rename of a name still declared."""
    found: list[Diagnostic] = []
    by_name: dict[str, Schedule] = {}
    by_previous: dict[str, Schedule] = {}
    for schedule in schedules:
        first = by_name.setdefault(schedule.name, schedule)
        if first is not schedule:
            message = f"duplicate name {schedule.name!r}: also defined at {first.source}"
            found.append(_at_schedule(schedule, message))
        if schedule.previous_name:
            other = by_previous.setdefault(schedule.previous_name, schedule)
            if other is not schedule:
                message = (
                    f"previous_name {schedule.previous_name!r} is also claimed at {other.source}"
                )
                found.append(_at_schedule(schedule, message))
    for schedule in schedules:
        if schedule.previous_name and schedule.previous_name in by_name:
            message = (
                f"previous_name {schedule.previous_name!r} is still declared at "
                f"{by_name[schedule.previous_name].source}; a rename needs the old one gone"
            )
            found.append(_at_schedule(schedule, message))
    return found


# Default-ignorable code points outside category Cf: they render as nothing.
_INVISIBLE = frozenset(
    [
        *(0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0),
        *range(0x180B, 0x1810),
        *range(0xFE00, 0xFE10),
        *range(0xE0100, 0xE01F0),
    ]
)


def _visible(name: str) -> str:
    return "".join(c for c in name if unicodedata.category(c) != "Cf" and ord(c) not in _INVISIBLE)


def _spelled(name: str) -> str:
    """`'name'`, with the code points of what is not plain ASCII (look-alikes differ there)."""
    points = [f"U+{ord(c):04X}" for c in name if not c.isascii() or not c.isprintable()]
    return repr(name) + (f" ({' '.join(points)})" if points else "")


def lookalikes(documents: Sequence[Document]) -> list[Diagnostic]:
    """Names that read the same but differ: equal under NFKC, or but for invisible characters.

    "豈" (U+F900, a compatibility ideograph) and "豈" (U+8C48) are two names to
    the API and one to a reviewer; so are "digest" and "dig\u200best". Every
    document's name counts, valid or not: the error names both places.
    """
    found: list[Diagnostic] = []
    first: dict[str, tuple[str, Document]] = {}
    for doc in documents:
        name = doc.data.get("name") if isinstance(doc.data, dict) else None
        if not isinstance(name, str):
            continue
        # ASCII is its own NFKC form and holds no invisible character: the common case.
        visible = name if name.isascii() else _visible(name)
        key = visible if name.isascii() else unicodedata.normalize("NFKC", visible)
        if key not in first:
            first[key] = (name, doc)
            continue
        other, where = first[key]
        if other == name:
            continue  # the same name twice: a duplicate, reported as such
        how = (
            "they differ only by invisible characters"
            if visible == _visible(other)
            else "equal under Unicode NFKC normalisation"
        )
        line, column = doc.position("/name")
        there = "{}:{}:{}".format(where.file, *where.position("/name"))
        found.append(
            Diagnostic(
                doc.file,
                line,
                column,
                "error",
                f"name {_spelled(name)} looks the same as {_spelled(other)} at {there} ({how})",
                name,
            )
        )
    return found


def validation_inputs(target: Target) -> tuple[object, ...]:
    """Everything of `target` that `validate_target` reads: targets equal here validate alike.

    Keep it in step with the functions below (and `policy_diagnostics`): several
    targets of one command share one reading of their files when these agree.
    """
    return (
        target.root,
        target.schedules,
        target.max_file_bytes,
        target.manage_prefix,
        target.site_timezone,
        target.policies,
    )


def policy_diagnostics(
    documents: Sequence[Document], schedules: Sequence[Schedule], target: Target, now: datetime
) -> tuple[Diagnostic, ...]:
    """The target's policy findings as diagnostics: `FILE:LINE:COL: LEVEL: policy RULE: …`."""
    policies = target.policies
    if not policies.active:
        return ()
    docs = by_place(documents)
    violations = evaluate(
        schedules, policies, target.site_zone, target.site_timezone, now, documents
    )
    found = []
    for v in violations:
        src = v.schedule.source
        doc = docs.get((src.file, src.line, src.column)) if src else None
        line, column = doc.position(v.pointer) if doc else (src.line, src.column) if src else (0, 0)
        file = src.file if src else "?"
        found.append(Diagnostic(file, line, column, v.level, str(v), v.schedule.name))
    return tuple(found)


def validate_target(target: Target, now: datetime) -> tuple[LoadResult, ValidationResult]:
    """Load the target's schedule files and validate them: the desired state, checked."""
    loaded = load_schedules(target.root, target.schedules, max_file_bytes=target.max_file_bytes)
    result = validate(loaded.documents, target, now)
    declaring = {d.file for d in loaded.documents} | {d.file for d in loaded.diagnostics}
    empty = tuple(
        Diagnostic(file, 0, 0, "warning", "no schedule in this file")
        for file in loaded.files
        if file not in declaring
    )
    # The policies (reconciler.yaml `policies:`) over the valid schedules' fire times.
    policy = policy_diagnostics(loaded.documents, result.schedules, target, now)
    everything = tuple(sorted(loaded.diagnostics + result.diagnostics + empty + policy))
    return loaded, ValidationResult(result.schedules, everything)


def validate(documents: Sequence[Document], target: Target, now: datetime) -> ValidationResult:
    """Validate every document; valid ones become canonical schedules."""
    schedules: list[Schedule] = []
    diagnostics: list[Diagnostic] = []
    for doc in documents:
        schedule, found = validate_document(doc, target, now)
        diagnostics.extend(found)
        if schedule is not None:
            schedules.append(schedule)
    diagnostics.extend(_unique(schedules))
    diagnostics.extend(lookalikes(documents))
    unique = {s.name: s for s in reversed(schedules)}
    kept = tuple(s for s in schedules if unique.get(s.name) is s)
    return ValidationResult(kept, tuple(sorted(diagnostics)))


@dataclass(frozen=True)
class Desired:
    """The target's files, read and validated (`result.ok` tells whether they may be planned)."""

    loaded: LoadResult
    result: ValidationResult

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(str(d) for d in self.result.diagnostics if d.severity == "warning")


def load_desired(target: Target, now: datetime) -> Desired:
    """Read and validate the target's files; SourceError when the glob matches no file at all."""
    loaded, result = validate_target(target, now)
    if not loaded.files:
        raise SourceError(f"no schedules found under {target.schedules}")
    return Desired(loaded, result)


def read_desired(target: Target, now: datetime) -> Desired:
    """The validated desired state; SourceError listing every error if the files are wrong."""
    desired = load_desired(target, now)
    errors = [str(d) for d in desired.result.diagnostics if d.severity == "error"]
    if errors:
        shown = "\n".join(errors)
        raise SourceError(
            f"{len(errors)} error(s) in the schedule files; run `reconciler validate`:\n{shown}"
        )
    return desired


def desired_reader(
    now: datetime, read: Callable[[Target, datetime], Desired] = read_desired
) -> Callable[[Target], Desired]:
    """`read` (`read_desired`, or `load_desired` for validate) for the targets of one command:
    those that read the same files under the same rules (`validation_inputs`) share one
    reading, so N targets of one repository validate once, not N times."""
    done: dict[tuple[object, ...], Desired] = {}

    def desired_of(target: Target) -> Desired:
        key = validation_inputs(target)
        if key not in done:
            done[key] = read(target, now)
        return done[key]

    return desired_of
