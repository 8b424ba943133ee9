"""The emulator's clock: a fixed instant kept in the store (so it survives restarts), or wall time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from reconciler.emulator.store import Store

__all__ = ["ENV_NOW", "EPOCH", "Clock", "from_ms", "initial_now", "parse_instant", "to_ms"]

ENV_NOW = "RECONCILER_NOW"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with an offset ("2026-01-01T00:00:00+00:00" or "...Z")."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{text!r} has no UTC offset (write e.g. 2026-01-01T00:00:00+00:00)")
    return moment.astimezone(UTC)


def to_ms(moment: datetime) -> int:
    # Integer arithmetic on the timedelta keeps microsecond-exact instants exact.
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def initial_now(fixed: datetime | None, environ: Mapping[str, str] = os.environ) -> datetime | None:
    """The instant to fix the clock at on start: the setting, else RECONCILER_NOW, else none."""
    if fixed is not None:
        if fixed.tzinfo is None or fixed.utcoffset() is None:
            raise ValueError("Settings.now must be an aware datetime")
        return fixed.astimezone(UTC)
    text = environ.get(ENV_NOW, "").strip()
    if not text:
        return None
    try:
        return parse_instant(text)
    except ValueError as err:
        raise ValueError(f"{ENV_NOW}: {err}") from None


class Clock:
    """Reads the time for every request: fixed until set again, or the wall clock."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def fixed(self) -> datetime | None:
        ms = self._store.clock_ms()
        return None if ms is None else from_ms(ms)

    def now(self) -> datetime:
        fixed = self.fixed()
        if fixed is not None:
            return fixed
        return from_ms(to_ms(datetime.now(UTC)))

    def now_ms(self) -> int:
        ms = self._store.clock_ms()
        return to_ms(datetime.now(UTC)) if ms is None else ms

    def set(self, moment: datetime | None) -> None:
        self._store.set_clock_ms(None if moment is None else to_ms(moment))
