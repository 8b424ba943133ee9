"""Routes: the v4 Schedules API and the /_emulator admin API over one Emulator state."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import math
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, tzinfo
from itertools import islice, takewhile
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from reconciler.emulator import errors
from reconciler.emulator.clock import Clock, from_ms, initial_now, parse_instant, to_ms
from reconciler.emulator.errors import Refusal
from reconciler.emulator.faults import FaultInjector, FaultSpecError
from reconciler.emulator.firing import Intelligent, Timeline
from reconciler.emulator.middleware import APP_KEY, NOW_KEY, EmulatorMiddleware
from reconciler.emulator.responses import ApiJSON, on_http_exception, on_refusal
from reconciler.emulator.rules import Checked, Rules, audience_is_empty, parse_trigger
from reconciler.emulator.settings import AppCredentials, Settings
from reconciler.emulator.store import Advance, NewRun, Store, Stored

__all__ = ["CATCH_UP_CAP", "NO_TARGET_RUN", "PAGE_SIZE", "Emulator", "create_app"]

logger = logging.getLogger("reconciler.emulator")

PAGE_SIZE = 50
# A schedule that slept through years of fire times records at most this many at once.
CATCH_UP_CAP = 10_000
NO_TARGET_RUN = (1011, "Cannot find sending target")


def _zone(app: AppCredentials) -> tzinfo:
    try:
        return ZoneInfo(app.site_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"app {app.key!r}: site_timezone {app.site_timezone!r} is not an IANA time zone"
        ) from None


class Emulator:
    """The state of one emulator: settings, store, clock, rules and faults."""

    def __init__(self, settings: Settings) -> None:
        if not settings.apps:
            raise ValueError("the emulator needs at least one app")
        self.settings = settings
        self.apps = {app.key: app for app in settings.apps}
        self.zones = {app.key: _zone(app) for app in settings.apps}
        start = initial_now(settings.now)
        self.injector = FaultInjector(settings.faults, settings.seed, settings.rate_limit)
        self.rules = Rules(lenient=settings.lenient)
        self.store = Store(
            settings.state, busy_timeout=settings.busy_timeout, snapshot=settings.state_snapshot
        )
        self.clock = Clock(self.store)
        if start is not None:
            self.clock.set(start)

    def zone(self, app_key: str) -> tzinfo:
        # A state file may hold apps this run was not started with: their times read as UTC.
        return self.zones.get(app_key, UTC)

    def authenticate(self, header: str | None) -> AppCredentials | None:
        if not header:
            return None
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "basic" or not token:
            return None
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        key, sep, secret = decoded.partition(":")
        app = self.apps.get(key)
        if not sep or app is None:
            return None
        if not hmac.compare_digest(secret.encode(), app.secret.encode()):
            return None
        return app

    # Time ---------------------------------------------------------------------------------

    def tick(self) -> datetime:
        """Record every run and expiry the clock has passed; return the clock."""
        now_ms = self.clock.now_ms()
        if self.store.any_due(now_ms):
            self.store.advance_due(now_ms, lambda stored: self._advance(stored, now_ms))
        return from_ms(now_ms)

    def timeline(self, app_key: str, body: dict[str, Any], anchor: datetime) -> Timeline:
        return Timeline(parse_trigger(body["trigger"]), self.zone(app_key), anchor)

    def stored_fields(self, app_key: str, checked: Checked, now: datetime) -> dict[str, Any]:
        """What the store keeps of an accepted body, created or replaced at `now`."""
        timeline = Timeline(checked.trigger, self.zone(app_key), now)
        return {
            "name": checked.name,
            "body": checked.body,
            "now_ms": to_ms(now),
            "next_due": self.next_due(timeline, from_ms(to_ms(now) - 1)),
        }

    @staticmethod
    def next_due(timeline: Timeline, after: datetime) -> int | None:
        expiry = timeline.expires_at()
        upcoming = next(timeline.fires_after(after), None)
        due = expiry if upcoming is None else min(upcoming, expiry)
        return to_ms(due)

    def _advance(self, stored: Stored, now_ms: int) -> Advance:
        now = from_ms(now_ms)
        timeline = self.timeline(stored.app_key, stored.body, from_ms(stored.anchor_ms))
        runs: list[NewRun] = []
        if stored.body.get("enabled") is True:
            passed = takewhile(
                lambda t: t <= now, timeline.fires_after(from_ms(stored.fired_through))
            )
            code, message = NO_TARGET_RUN if audience_is_empty(stored.body["push"]) else (0, "")
            for t in islice(passed, CATCH_UP_CAP):
                # A run fault (run-error, run-drop) takes this fire's run, counted down.
                fault = self.injector.run_fate(stored.schedule_id, stored.name)
                if fault is None:
                    runs.append(NewRun(to_ms(t), code, message))
                elif fault.code is not None:
                    runs.append(NewRun(to_ms(t), fault.code, fault.message))
        if timeline.expires_at() <= now:
            return Advance(tuple(runs), expired=True, fired_through=now_ms, next_due=None)
        return Advance(tuple(runs), False, now_ms, self.next_due(timeline, now))


# Helpers for handlers ---------------------------------------------------------------------


def _emulator(request: Request) -> Emulator:
    return cast(Emulator, request.app.state.emulator)


def _app_key(request: Request) -> str:
    return cast(AppCredentials, request.scope[APP_KEY]).key


def _now(request: Request) -> datetime:
    return cast(datetime, request.scope[NOW_KEY])


async def _json_body(request: Request) -> object:
    # JSON whatever the Content-Type says: the documents' PUT claims form-urlencoded and the
    # JPush client sends a malformed "application/json;charset:utf-8".
    raw = await request.body()
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Refusal(errors.INVALID, "request data is not JSON") from None


def _no_constant(name: str) -> object:
    # NaN and Infinity are not JSON; accepting them would make every later answer fail.
    raise ValueError(f"{name} is not JSON")


def _schedule_id(request: Request) -> str:
    text = cast(str, request.path_params["schedule_id"])
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise Refusal(errors.NOT_FOUND, f"schedule {text!r} does not exist") from None


def _not_found(schedule_id: str) -> Refusal:
    return Refusal(errors.NOT_FOUND, f"schedule {schedule_id} does not exist")


def _entry(stored: Stored) -> dict[str, Any]:
    return {"schedule_id": stored.schedule_id, **stored.body}


# v4 handlers ------------------------------------------------------------------------------


async def create_schedule(request: Request) -> Response:
    emu = _emulator(request)
    app_key, now = _app_key(request), _now(request)
    raw = await _json_body(request)
    checked = emu.rules.check(raw, now=now, site_zone=emu.zone(app_key))
    schedule_id = str(uuid.uuid4())
    created = emu.store.create(
        app_key=app_key,
        schedule_id=schedule_id,
        quota=emu.settings.quota,
        **emu.stored_fields(app_key, checked, now),
    )
    if not created:
        raise Refusal(
            errors.INVALID,
            f"quota exceeded: the app already has {emu.settings.quota} active schedules",
        )
    return ApiJSON({"schedule_id": schedule_id, "name": checked.name})


async def list_schedules(request: Request) -> Response:
    emu = _emulator(request)
    text = request.query_params.get("page", "").strip()
    try:
        page = int(text) if text else 1  # the documents: no page means page 1
    except ValueError:
        page = 0
    if page < 1:
        raise Refusal(errors.INVALID, f"page must be a positive integer, got {text!r}")
    total, rows = emu.store.page(_app_key(request), page, PAGE_SIZE)
    if emu.settings.list_detail == "full":
        schedules = [_entry(row) for row in rows]
    else:
        schedules = [
            {"schedule_id": row.schedule_id, "name": row.name, "enabled": row.body["enabled"]}
            for row in rows
        ]
    return ApiJSON(
        {
            "total_count": total,
            "total_pages": math.ceil(total / PAGE_SIZE),
            "page": page,
            "schedules": schedules,
        }
    )


async def get_schedule(request: Request) -> Response:
    emu = _emulator(request)
    schedule_id = _schedule_id(request)
    stored = emu.store.get(_app_key(request), schedule_id)
    if stored is None:
        raise _not_found(schedule_id)
    entry = _entry(stored)
    # The German document and all official SDKs: a list of one; JPush: a bare object.
    return ApiJSON([entry] if emu.settings.detail_shape == "array" else entry)


async def get_msg_ids(request: Request) -> Response:
    emu = _emulator(request)
    schedule_id = _schedule_id(request)
    # Runs of an expired schedule stay readable: the service keeps its history.
    stored = emu.store.get(_app_key(request), schedule_id, with_expired=True)
    if stored is None:
        raise _not_found(schedule_id)
    msg_ids = [
        json.dumps(
            {
                "msg_id": run.msg_id,
                "error": {"code": run.error_code, "message": run.error_message},
                "needRetry": False,
                "ts": run.ts_ms,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        )
        for run in emu.store.runs(schedule_id)
    ]
    return ApiJSON({"count": len(msg_ids), "MsgIds": msg_ids})


async def update_schedule(request: Request) -> Response:
    emu = _emulator(request)
    app_key, now = _app_key(request), _now(request)
    schedule_id = _schedule_id(request)
    stored = emu.store.get(app_key, schedule_id, with_expired=True)
    if stored is None:
        raise _not_found(schedule_id)
    if stored.expired:
        raise Refusal(errors.NOT_FOUND, f"schedule {schedule_id} has expired and cannot be updated")
    raw = await _json_body(request)
    checked = emu.rules.check(raw, now=now, site_zone=emu.zone(app_key), existing=stored.body)
    refire = isinstance(checked.trigger, Intelligent) and checked.trigger.backup_time is None
    replaced = emu.store.replace(
        app_key=app_key,
        schedule_id=schedule_id,
        refire_now=refire,
        **emu.stored_fields(app_key, checked, now),
    )
    if not replaced:
        raise _not_found(schedule_id)
    return ApiJSON(checked.body)


async def delete_schedule(request: Request) -> Response:
    emu = _emulator(request)
    schedule_id = _schedule_id(request)
    if not emu.store.delete(_app_key(request), schedule_id):
        raise _not_found(schedule_id)
    return Response(b"", status_code=200, media_type="application/json")


# Admin handlers ---------------------------------------------------------------------------


def _admin_error(message: str) -> Response:
    return ApiJSON({"error": {"code": errors.INVALID, "message": message}}, status_code=400)


async def _admin_body(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads((await request.body()).decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        return None
    return body if isinstance(body, dict) else None


def _clock_view(emu: Emulator, now: datetime) -> dict[str, Any]:
    return {"now": now.isoformat(), "fixed": emu.clock.fixed() is not None}


async def admin_state(request: Request) -> Response:
    emu = _emulator(request)
    schedules = emu.store.snapshot()
    keys = list(emu.apps) + [key for key in schedules if key not in emu.apps]
    apps = {
        key: {
            "site_timezone": emu.apps[key].site_timezone if key in emu.apps else "UTC",
            "schedules": schedules.get(key, []),
        }
        for key in keys
    }
    settings = emu.settings
    return ApiJSON(
        {
            "clock": _clock_view(emu, _now(request)),
            **emu.injector.describe(),
            "settings": {
                "list_detail": settings.list_detail,
                "detail_shape": settings.detail_shape,
                "lenient": settings.lenient,
                "quota": settings.quota,
                "state": settings.state,
            },
            "apps": apps,
        }
    )


async def admin_reset(request: Request) -> Response:
    emu = _emulator(request)
    emu.store.reset()
    emu.injector.configure((), emu.injector.seed, None)
    return ApiJSON({"reset": True})


async def admin_clock(request: Request) -> Response:
    emu = _emulator(request)
    if request.method == "GET":
        return ApiJSON(_clock_view(emu, _now(request)))
    body = await _admin_body(request)
    if body is None or "now" not in body:
        return _admin_error('expected {"now": "2026-01-01T00:00:00+00:00"} (or null: wall clock)')
    value = body["now"]
    if value is None:
        emu.clock.set(None)
    elif isinstance(value, str):
        try:
            emu.clock.set(parse_instant(value))
        except ValueError as err:
            return _admin_error(f"now: {err}")
    else:
        return _admin_error(f"now must be an ISO 8601 string or null, got {value!r}")
    return ApiJSON(_clock_view(emu, emu.tick()))


async def admin_faults(request: Request) -> Response:
    emu = _emulator(request)
    if request.method == "GET":
        return ApiJSON(emu.injector.describe())
    body = await _admin_body(request)
    specs = None if body is None else body.get("faults")
    if body is None or not isinstance(specs, list) or not all(isinstance(s, str) for s in specs):
        return _admin_error(
            'expected {"faults": ["error=503:0.2", ...], "seed": N, "rate_limit": N}'
        )
    seed = body.get("seed", emu.injector.seed)
    rate_limit = body.get("rate_limit", emu.injector.rate_limit)
    if isinstance(seed, bool) or not isinstance(seed, int):
        return _admin_error(f"seed must be an integer, got {seed!r}")
    if rate_limit is not None and (
        isinstance(rate_limit, bool) or not isinstance(rate_limit, int | float)
    ):
        return _admin_error(f"rate_limit must be a number or null, got {rate_limit!r}")
    try:
        emu.injector.configure(specs, seed, None if rate_limit is None else float(rate_limit))
    except FaultSpecError as err:
        return _admin_error(str(err))
    return ApiJSON(emu.injector.describe())


def _both(path: str, endpoint: Any, methods: list[str]) -> list[BaseRoute]:
    """A route with and without the trailing slash (the JPush client adds one)."""
    return [Route(path, endpoint, methods=methods), Route(path + "/", endpoint, methods=methods)]


def create_app(settings: Settings = Settings()) -> Starlette:  # noqa: B008 (a frozen value)
    """The emulator as a Starlette ASGI app; `app.state.emulator` holds its state."""
    emu = Emulator(settings)
    routes: list[BaseRoute] = [
        *_both("/v4/schedules", create_schedule, ["POST"]),
        *_both("/v4/schedules", list_schedules, ["GET"]),
        *_both("/v4/schedules/{schedule_id}", get_schedule, ["GET"]),
        *_both("/v4/schedules/{schedule_id}", update_schedule, ["PUT"]),
        *_both("/v4/schedules/{schedule_id}", delete_schedule, ["DELETE"]),
        *_both("/v4/schedules/{schedule_id}/msg-ids", get_msg_ids, ["GET"]),
        *_both("/_emulator/state", admin_state, ["GET"]),
        *_both("/_emulator/reset", admin_reset, ["POST"]),
        *_both("/_emulator/clock", admin_clock, ["GET", "PUT"]),
        *_both("/_emulator/faults", admin_faults, ["GET", "PUT"]),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        emu.store.close()

    app = Starlette(
        routes=routes,
        middleware=[Middleware(EmulatorMiddleware, emulator=emu)],
        exception_handlers={Refusal: on_refusal, HTTPException: on_http_exception},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    app.state.emulator = emu
    return app
