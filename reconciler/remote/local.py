"""The embedded emulator: `endpoint: local` is the EngageLab emulator, in-process, on a file.

The target's state lives in `.reconciler/<target>.db`; the emulator's one app
has the demo credentials and the target's site zone, and its clock is set to
`now`, the planner's clock: one clock for both sides, whether RECONCILER_NOW
fixes it or not (a clock left in the state file by an earlier run must not
linger). Requests reach it through an httpx transport, with no socket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reconciler.emulator import DEMO_APP, AppCredentials, Settings, create_app
from reconciler.emulator.transport import EmulatorTransport
from reconciler.remote.protocol import TargetLike

__all__ = ["LOCAL_BASE_URL", "Embedded", "embedded"]

LOCAL_BASE_URL = "http://emulator.local"


@dataclass(frozen=True)
class Embedded:
    """How a client reaches the embedded emulator: its base URL, credentials and transport."""

    base_url: str
    app_key: str
    master_secret: str
    transport: EmulatorTransport


def embedded(target: TargetLike, now: datetime) -> Embedded:
    """The emulator of `target`, on its state file, its clock at `now`."""
    target.state_file.parent.mkdir(parents=True, exist_ok=True)
    app_creds = AppCredentials(DEMO_APP.key, DEMO_APP.secret, target.site_timezone)
    app = create_app(Settings(apps=(app_creds,), state=str(target.state_file), now=now))
    return Embedded(LOCAL_BASE_URL, app_creds.key, app_creds.secret, EmulatorTransport(app))
