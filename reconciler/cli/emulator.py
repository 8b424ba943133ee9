"""`reconciler emulator ...`: run the v4 Schedules API emulator as a real HTTP server."""

from __future__ import annotations

import socket
import sqlite3
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from reconciler.emulator.clock import parse_instant
from reconciler.emulator.faults import FaultSpecError, parse_fault
from reconciler.emulator.settings import DEMO_APP, AppCredentials, Settings

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["emulator"]


@click.group()
def emulator() -> None:
    """The EngageLab v4 Schedules API emulator.

    \b
    Example:
      reconciler emulator serve --port 8787 --state emulator.db
    """


def _is_zone(text: str) -> bool:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _parse_apps(
    ctx: click.Context, param: click.Parameter, values: Sequence[str]
) -> tuple[AppCredentials, ...]:
    apps: list[AppCredentials] = []
    for value in values:
        key, sep, rest = value.partition(":")
        if not key or not sep or not rest:
            raise click.BadParameter(f"{value!r} is not KEY:SECRET[:ZONE]")
        secret, zone = rest, "UTC"
        # The zone is optional and a secret could hold a colon: a trailing part is a zone
        # only when it names one.
        head, colon, tail = rest.rpartition(":")
        if colon and head and _is_zone(tail):
            secret, zone = head, tail
        elif colon and head and "/" in tail:
            raise click.BadParameter(f"{tail!r} in {key}:…:{tail} is not an IANA time zone")
        apps.append(AppCredentials(key, secret, zone))
    return tuple(apps)


def _parse_now(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


def _check_faults(
    ctx: click.Context, param: click.Parameter, values: Sequence[str]
) -> tuple[str, ...]:
    for value in values:
        try:
            parse_fault(value)
        except FaultSpecError as err:
            raise click.BadParameter(str(err)) from None
    return tuple(values)


def _masked(secret: str) -> str:
    return "*" * len(secret) if len(secret) <= 2 else f"{secret[0]}…{secret[-1]}"


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8787,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@click.option(
    "--state",
    type=click.Path(dir_okay=False),
    default=None,
    help="SQLite file that keeps schedules, runs and the clock across restarts.",
)
@click.option(
    "--app",
    "apps",
    multiple=True,
    metavar="KEY:SECRET[:ZONE]",
    callback=_parse_apps,
    help="An app to accept (repeatable); ZONE is its site time zone. Default: the demo app.",
)
@click.option(
    "--now",
    callback=_parse_now,
    metavar="ISO",
    help="Fix the clock at this instant (e.g. 2026-01-01T00:00:00+00:00).",
)
@click.option(
    "--latency-ms", type=click.FloatRange(min=0), help="Add this latency to every /v4 answer."
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="SPEC",
    callback=_check_faults,
    help="latency=MS[,jitter=MS] | error=500|503|429:RATE | drop-after-commit=RATE | "
    "run-error=SCHEDULE:CODE[:N] | run-drop=SCHEDULE[:N] (repeatable).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the fault stream.")
@click.option(
    "--list-detail",
    type=click.Choice(["full", "summary"]),
    default="full",
    show_default=True,
    help="List entries with trigger and push, or only schedule_id, name, enabled.",
)
@click.option(
    "--detail-shape",
    type=click.Choice(["array", "object"]),
    default="array",
    show_default=True,
    help="GET details as a list of one object, or a bare object.",
)
@click.option(
    "--rate-limit",
    type=click.FloatRange(min=0, min_open=True),
    help="Answer 429 above this many requests per second per app.",
)
@click.option("--lenient", is_flag=True, help="Accept names with spaces and partial PUTs.")
@click.option(
    "--quota",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Active schedules allowed per app.",
)
def serve(host: str, port: int, apps: tuple[AppCredentials, ...], **options: Any) -> None:
    """Serve the v4 Schedules API over HTTP until Ctrl-C.

    It accepts Basic auth for the demo app (demo_app_key / demo_master_secret) unless --app
    is given. The admin API under /_emulator/ has no auth: keep it on loopback.

    \b
    Example:
      reconciler emulator serve --port 8787 --state emulator.db \\
          --now 2026-01-01T00:00:00+00:00 --fault error=503:0.1 --seed 7
      curl -u demo_app_key:demo_master_secret http://127.0.0.1:8787/v4/schedules
    """
    # Imported here so that `reconciler --help` does not pay for uvicorn.
    from reconciler.emulator.server import base_url, make_server

    app, sock = _start(host, port, _settings(apps, **options))
    click.echo(f"emulator listening on {base_url(host, sock.getsockname()[1])}")
    click.echo(f"credentials: {_shown(apps)}")
    sys.stdout.flush()
    try:
        make_server(app).run(sockets=[sock])
    finally:
        sock.close()


def _settings(
    apps: tuple[AppCredentials, ...],
    *,
    latency_ms: float | None,
    faults: tuple[str, ...],
    list_detail: str,
    detail_shape: str,
    **rest: Any,
) -> Settings:
    """The emulator's settings from serve's options (--latency-ms is one more fault)."""
    return Settings(
        apps=apps or (DEMO_APP,),
        list_detail=cast(Literal["full", "summary"], list_detail),
        detail_shape=cast(Literal["array", "object"], detail_shape),
        faults=faults if latency_ms is None else (f"latency={latency_ms}", *faults),
        **rest,
    )


def _start(host: str, port: int, settings: Settings) -> tuple[Starlette, socket.socket]:
    """The app on its state, and the socket it will listen on; one clear line if either fails."""
    from reconciler.emulator.app import create_app
    from reconciler.emulator.server import bind

    try:
        app = create_app(settings)
    except (ValueError, sqlite3.Error, OSError) as err:
        raise click.ClickException(f"cannot start the emulator: {err}") from None
    try:
        sock = bind(host, port)
    except OSError as err:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {err.strerror or err}"
        ) from None
    return app, sock


def _shown(apps: tuple[AppCredentials, ...]) -> str:
    """The credentials to print: the demo app's in full, a given app's secret masked."""
    if apps:
        return "; ".join(
            f"app key {a.key}, master secret {_masked(a.secret)} ({a.site_timezone})" for a in apps
        )
    return f"app key {DEMO_APP.key}, master secret {DEMO_APP.secret}"
