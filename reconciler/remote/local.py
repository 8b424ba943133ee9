"""The embedded emulator: `endpoint: local` is the EngageLab emulator, in-process, on a file.

The target's state lives in `.reconciler/<target>.db`; the emulator's one app
has the demo credentials and the target's site zone, and its clock is set to
`now`, the planner's clock: one clock for both sides, whether RECONCILER_NOW
fixes it or not (a clock left in the state file by an earlier run must not
linger). Requests reach it through an httpx transport, with no socket.

`apply` writes the state file; `plan`, `import`, `history` and drift only read
it (`writable` False), as a snapshot (the emulator's `state_snapshot`): they
never write to the file, create nothing beside it, and work on a file they may
only read. Before a writer opens the file, it checks that SQLite may write the
file, its directory and the `-wal` and `-shm` files beside it, so a read-only
state fails before SQLite has made anything (a failed open used to leave a
read-only `-wal` and `-shm` behind, and the error outlived its fix). Whatever
still fails is one line naming the file and what to do (`LocalStateError`):
read-only, locked by another process past `request_timeout`, or not a state
file at all.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reconciler.emulator import DEMO_APP, AppCredentials, Settings, create_app
from reconciler.emulator.transport import EmulatorTransport
from reconciler.errors import LocalStateError
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


def embedded(target: TargetLike, now: datetime, *, writable: bool = True) -> Embedded:
    """The emulator of `target`, on its state file (read as a snapshot unless `writable`),
    its clock at `now`.

    Raises LocalStateError (one line) when the file cannot be used.
    """
    state = _State(target)
    if writable:
        state.check_writable()
    app_creds = AppCredentials(DEMO_APP.key, DEMO_APP.secret, target.site_timezone)
    settings = Settings(
        apps=(app_creds,),
        state=str(state.path),
        state_snapshot=not writable,
        busy_timeout=target.request_timeout,
        now=now,
    )
    try:
        app = create_app(settings)
    except sqlite3.Error as err:
        raise state.explained(err) from None
    except OSError as err:
        raise LocalStateError(
            f"the local state {state.shown(state.path)} cannot be used: "
            f"{err.strerror or err}; {state.fresh}"
        ) from None
    return Embedded(LOCAL_BASE_URL, app_creds.key, app_creds.secret, EmulatorTransport(app))


class _State:
    """The state file of one target, and the words for what is wrong with it."""

    def __init__(self, target: TargetLike) -> None:
        self.target = target
        self.path = target.state_file
        self.directory = self.path.parent
        self.fresh = f"or remove {self.shown(self.directory)} to start from an empty app"

    def shown(self, path: Path) -> str:
        """The path as the user knows it: relative to the repository when inside it."""
        try:
            return str(path.relative_to(self.target.root))
        except ValueError:
            return str(path)

    def check_writable(self) -> None:
        """LocalStateError unless SQLite may make and write everything it needs."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise LocalStateError(
                f"cannot create {self.shown(self.directory)} for the local state: "
                f"{err.strerror or err}: make its parent writable, or move away what is "
                "in its place"
            ) from None
        if not os.access(self.directory, os.W_OK | os.X_OK):
            raise LocalStateError(
                f"{self.shown(self.directory)} is read-only, and the local state needs to "
                f"write in it: make it writable (chmod u+w), {self.fresh}"
            )
        name = self.path.name
        for part in (self.path, *(self.path.with_name(name + end) for end in ("-wal", "-shm"))):
            try:
                mode = part.stat().st_mode
            except FileNotFoundError:
                continue
            if not stat.S_ISREG(mode):
                raise LocalStateError(
                    f"the local state {self.shown(part)} is not a file: move it away, {self.fresh}"
                )
            if not os.access(part, os.R_OK | os.W_OK):
                raise LocalStateError(
                    f"the local state {self.shown(part)} is read-only: make it writable "
                    f"(chmod u+w {self.shown(self.directory)}/{name}*), {self.fresh}"
                )

    def explained(self, err: sqlite3.Error) -> LocalStateError:
        """One line for what SQLite said about the file."""
        code = str(getattr(err, "sqlite_errorname", ""))
        shown = self.shown(self.path)
        if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return LocalStateError(
                f"the local state {shown} is locked by another process (waited "
                f"{self.target.request_timeout:g} s, the target's request_timeout): let it "
                "finish, or stop it, and run this again"
            )
        if code.startswith("SQLITE_READONLY"):
            return LocalStateError(
                f"the local state {shown} is read-only ({err}): make it and "
                f"{self.shown(self.directory)} writable, {self.fresh}"
            )
        return LocalStateError(f"the local state {shown} cannot be used ({err}): {self.fresh}")
