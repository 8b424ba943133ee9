"""Typed values the client hands out: remote schedules and runs, parsed from the API's JSON."""

from __future__ import annotations

import copy
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from reconciler.limits import MAX_DEPTH, MAX_SCHEDULE_BYTES
from reconciler.remote.engagelab._json import depth_of, parse_json
from reconciler.remote.engagelab.errors import MalformedResponse
from reconciler.remote.engagelab.settings import SETTINGS

#: The four keys of a schedule the API takes and gives back.
BODY_KEYS = ("name", "enabled", "trigger", "push")


@dataclass(frozen=True)
class RemoteSchedule:
    """One schedule as the remote holds it.

    ``position`` is its place in the creation-ordered listing (0 = oldest); a schedule
    fetched on its own (``get_schedule``) has position -1, as nothing orders it.

    ``problem`` says why the schedule cannot be handled (nested too deep, too big,
    not the documented shape, a name that cannot be shown), with ``trigger`` and
    ``push`` left empty: another client may store what we cannot read, and one such
    schedule must not lock the tool out of the app. The planner decides what to do
    with it (see ``reconciler.plan.planner``).
    """

    schedule_id: str
    name: str
    enabled: bool
    trigger: Mapping[str, Any]
    push: Mapping[str, Any]
    position: int
    problem: str | None = None

    def body(self) -> dict[str, Any]:
        """The API body ``{"name", "enabled", "trigger", "push"}``, a copy safe to change."""
        return {
            "name": self.name,
            "enabled": self.enabled,
            "trigger": copy.deepcopy(dict(self.trigger)),
            "push": copy.deepcopy(dict(self.push)),
        }


@dataclass(frozen=True)
class Run:
    """One execution of a schedule (an element of its msg-ids)."""

    msg_id: str
    error_code: int
    error_message: str
    need_retry: bool
    timestamp: datetime  # UTC, aware

    @property
    def meaning(self) -> str:
        """What its error code means (SETTINGS.run_meanings; 0: sent)."""
        return SETTINGS.run_meaning(self.error_code, self.error_message)


def is_complete(entry: Mapping[str, Any]) -> bool:
    """Whether a list entry carries the whole schedule, or only its summary."""
    return isinstance(entry.get("trigger"), Mapping) and isinstance(entry.get("push"), Mapping)


def schedule_from_json(
    data: Mapping[str, Any],
    *,
    position: int,
    summary: Mapping[str, Any] | None = None,
    where: str,
) -> RemoteSchedule:
    """Build a RemoteSchedule from a detail (or full list entry), the summary filling gaps.

    Only a missing ``schedule_id`` is a MalformedResponse (the page cannot be read);
    any other flaw makes a schedule with a ``problem``.
    """
    merged: dict[str, Any] = dict(summary or {})
    merged.update(data)
    schedule_id = merged.get("schedule_id")
    if not isinstance(schedule_id, str) or not schedule_id:
        raise MalformedResponse(f"{where}: a schedule without a schedule_id")
    name, enabled = merged.get("name"), merged.get("enabled")
    trigger, push = merged.get("trigger"), merged.get("push")
    problem = _problem(name, enabled, trigger, push)
    if problem is not None:
        return unreadable(merged, position=position, problem=problem)
    return RemoteSchedule(
        schedule_id=schedule_id,
        name=cast(str, name),
        enabled=cast(bool, enabled),
        trigger=copy.deepcopy(dict(cast(Mapping[str, Any], trigger))),
        push=copy.deepcopy(dict(cast(Mapping[str, Any], push))),
        position=position,
    )


def unreadable(data: Mapping[str, Any], *, position: int, problem: str) -> RemoteSchedule:
    """A schedule we cannot handle: its id, what can be read of its name, and why."""
    name, enabled = data.get("name"), data.get("enabled")
    return RemoteSchedule(
        schedule_id=str(data["schedule_id"]),
        name=name if isinstance(name, str) else "",
        enabled=enabled if isinstance(enabled, bool) else False,
        trigger={},
        push={},
        position=position,
        problem=problem,
    )


def _problem(name: Any, enabled: Any, trigger: Any, push: Any) -> str | None:
    """Why a schedule cannot be handled, or None."""
    if not isinstance(name, str):
        return "it has no name"
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name):
        # Shown as it is, it would break an output line (where a CI log reads commands).
        return "its name holds a line break or a control character"
    if not isinstance(enabled, bool):
        return "it has no boolean 'enabled'"
    if not isinstance(trigger, Mapping) or not isinstance(push, Mapping):
        return "it lacks 'trigger' or 'push' as objects"
    body = {"trigger": trigger, "push": push}
    # The body object is level 1, as a schedule file's top mapping is.
    if depth_of(body, MAX_DEPTH) > MAX_DEPTH:
        return f"it nests deeper than {MAX_DEPTH} levels"
    size = len(json.dumps(body, ensure_ascii=False).encode())
    if size > MAX_SCHEDULE_BYTES:
        return f"it is {size} bytes of JSON, more than {MAX_SCHEDULE_BYTES}"
    return None


def unwrap_detail(data: Any, schedule_id: str, *, where: str) -> Mapping[str, Any] | None:
    """GET details answers an object (JPush docs) or a one-element array (SDKs, German doc).

    Returns None for an empty array (the schedule is not there).
    """
    if isinstance(data, Mapping):
        return data
    if isinstance(data, list):
        objects = [item for item in data if isinstance(item, Mapping)]
        if len(objects) != len(data):
            raise MalformedResponse(f"{where}: the detail array holds a non-object")
        if not objects:
            return None
        if len(objects) == 1:
            return objects[0]
        # More than one: take the one that is ours rather than guess.
        for item in objects:
            if item.get("schedule_id") == schedule_id:
                return item
        raise MalformedResponse(f"{where}: {len(objects)} schedules, none with id {schedule_id}")
    raise MalformedResponse(f"{where}: expected an object or an array, got {type(data).__name__}")


def _as_int(value: Any, what: str, where: str) -> int:
    if isinstance(value, bool):
        raise MalformedResponse(f"{where}: {what} is a boolean, expected a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise MalformedResponse(f"{where}: {what} {value!r} is not an integer")


def _timestamp(value: Any, where: str) -> datetime:
    if isinstance(value, bool):
        raise MalformedResponse(f"{where}: ts is a boolean")
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise MalformedResponse(f"{where}: ts {value!r} is not a number") from None
    elif isinstance(value, int | float):
        number = float(value)
    else:
        raise MalformedResponse(f"{where}: ts is missing or not a number")
    # The documents give milliseconds; a value this small can only be seconds.
    seconds = number / 1000 if abs(number) >= 1e11 else number
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedResponse(f"{where}: ts {value!r} is out of range") from None


def run_from_element(element: Any, *, where: str) -> Run:
    """One msg-ids element: a JSON-encoded string (EngageLab) or an object (JPush, Java SDK)."""
    if isinstance(element, str):
        try:
            decoded = parse_json(element.encode("utf-8", "surrogatepass"))
        except ValueError:
            raise MalformedResponse(
                f"{where}: a msg-ids element is neither an object nor a JSON-encoded object: "
                f"{element[:80]!r}"
            ) from None
        element = decoded
    if not isinstance(element, Mapping):
        raise MalformedResponse(
            f"{where}: a msg-ids element is {type(element).__name__}, expected an object"
        )
    msg_id = element.get("msg_id", element.get("msgId"))
    if isinstance(msg_id, int) and not isinstance(msg_id, bool):
        msg_id = str(msg_id)
    if not isinstance(msg_id, str):
        raise MalformedResponse(f"{where}: a msg-ids element has no msg_id")
    error = element.get("error") or {}
    if not isinstance(error, Mapping):
        raise MalformedResponse(f"{where}: msg_id {msg_id}: 'error' is not an object")
    code = _as_int(error.get("code", 0), "error.code", where)
    message = error.get("message") or ""
    if not isinstance(message, str):
        message = str(message)
    need_retry = element.get("needRetry", element.get("need_retry", False))
    if not isinstance(need_retry, bool):
        raise MalformedResponse(f"{where}: msg_id {msg_id}: needRetry is not a boolean")
    return Run(
        msg_id=msg_id,
        error_code=code,
        error_message=message,
        need_retry=need_retry,
        timestamp=_timestamp(element.get("ts"), where),
    )


def runs_from_json(data: Any, *, where: str) -> list[Run]:
    """``{"count", "MsgIds": [...]}`` (EngageLab since 2024-02-22) or ``{"count", "msgids"}``."""
    if not isinstance(data, Mapping):
        raise MalformedResponse(f"{where}: expected an object with MsgIds")
    elements = data.get("MsgIds")
    if elements is None:
        elements = data.get("msgids")
    if elements is None:
        # An app whose schedule never ran may answer just a zero count.
        if _as_int(data.get("count", 0), "count", where) == 0:
            return []
        raise MalformedResponse(f"{where}: neither MsgIds nor msgids in the answer")
    if not isinstance(elements, list):
        raise MalformedResponse(f"{where}: MsgIds is not an array")
    return [run_from_element(element, where=where) for element in elements]
