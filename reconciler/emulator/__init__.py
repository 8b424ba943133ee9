"""The EngageLab v4 Schedules API emulator: a faithful, fault-injecting stand-in for the real
service, as an ASGI app (`create_app`), in-process (`transport.EmulatorTransport`) or over
HTTP (`server.serve_in_thread`, `reconciler emulator serve`)."""

from __future__ import annotations

from reconciler.emulator.app import create_app
from reconciler.emulator.settings import DEMO_APP, AppCredentials, Settings

__all__ = ["DEMO_APP", "AppCredentials", "Settings", "create_app"]
