"""The emulator's configuration values: which apps it accepts and how it behaves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = ["DEMO_APP", "AppCredentials", "Settings"]


@dataclass(frozen=True)
class AppCredentials:
    """One EngageLab app the emulator accepts over Basic auth."""

    key: str
    secret: str
    # IANA zone in which zone_type 1 (and absent zone_type) times are read.
    site_timezone: str = "UTC"


DEMO_APP = AppCredentials("demo_app_key", "demo_master_secret")


@dataclass(frozen=True)
class Settings:
    """Everything `create_app` needs; the command line maps one flag to one field."""

    apps: tuple[AppCredentials, ...] = (DEMO_APP,)
    # SQLite file path; None keeps the store in ":memory:" (one store implementation).
    state: str | None = None
    # Start from `state` but never write to it: every change stays in memory.
    state_snapshot: bool = False
    # Seconds a writer waits for another process's transaction on `state`.
    busy_timeout: float = 30.0
    # Fixed start of the clock (aware); None: RECONCILER_NOW if set, else the stored clock
    # or the wall clock.
    now: datetime | None = None
    list_detail: Literal["full", "summary"] = "full"
    detail_shape: Literal["array", "object"] = "array"
    # Fault specs exactly as on the command line (see faults.parse_fault).
    faults: tuple[str, ...] = ()
    seed: int = 0
    # Requests per second per app; None means unlimited.
    rate_limit: float | None = None
    # Accept names with spaces and partial PUTs, as the documents' own examples use them.
    lenient: bool = False
    quota: int = 1000
