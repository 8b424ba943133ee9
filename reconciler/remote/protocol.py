"""The provider seam: what plan, apply, import, history and drift need of a remote.

A provider is a kind of remote a target may name (`provider:` in
reconciler.yaml; `engagelab` is the one there is). It opens, for a target, a
`ScheduleProvider`: the schedules of one app, listed whole and changed one by
one, and the runs of one schedule. The planner reads `RemoteSchedule`s,
apply calls the four changes, import writes the listing as files, history
reads `Run`s, drift plans. Errors are `ReconcilerError`s (the EngageLab
client's `ApiError` tree); nothing of the provider's HTTP library leaks out.
A schedule that is not there (deleted meanwhile, expired, never there) is a
`ScheduleMissing`, the one error apply tells apart by its kind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, Self

from reconciler.errors import ReconcilerError

__all__ = [
    "Connect",
    "Provider",
    "RemoteSchedule",
    "Run",
    "ScheduleMissing",
    "ScheduleProvider",
    "TargetLike",
]


class ScheduleMissing(ReconcilerError):
    """The remote has no such schedule; a provider raises its own kind of it (EngageLab's
    `ScheduleNotFound`), so apply can say why without knowing the provider."""

    def with_explanation(self, explanation: str) -> Self:
        """This error in other words (a provider's error keeps what it said of the request)."""
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        Exception.__init__(clone, explanation)
        return clone


class RemoteSchedule(Protocol):
    """A schedule as the remote holds it: its id, name, place in creation order, and body."""

    @property
    def schedule_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def position(self) -> int:
        """Its index in creation order (-1 when read alone)."""
        ...

    @property
    def problem(self) -> str | None:
        """Why it cannot be read (too deep, too big, a shape we do not know), or None."""
        ...

    def body(self) -> dict[str, Any]:
        """name, enabled, trigger and push, as the remote gave them."""
        ...


class Run(Protocol):
    """One execution of a schedule."""

    @property
    def msg_id(self) -> str: ...
    @property
    def error_code(self) -> int: ...
    @property
    def error_message(self) -> str: ...
    @property
    def need_retry(self) -> bool: ...
    @property
    def timestamp(self) -> datetime: ...
    @property
    def meaning(self) -> str:
        """What the error code means, in the provider's words."""
        ...


class ScheduleProvider(Protocol):
    """The schedules of one app: what every stage after planning asks of a remote."""

    async def list_schedules(self) -> Sequence[RemoteSchedule]:
        """Every active schedule, complete and in creation order."""
        ...

    async def create_schedule(self, body: Any) -> str:
        """Create one (never two of one call) and return its id."""
        ...

    async def update_schedule(self, schedule_id: str, body: Any) -> None:
        """Replace one's name, enabled, trigger and push."""
        ...

    async def delete_schedule(self, schedule_id: str, *, missing_ok: bool = False) -> bool:
        """Delete one; False if it was already gone (and `missing_ok`)."""
        ...

    async def msg_ids(self, schedule_id: str) -> Sequence[Run]:
        """The runs of one schedule, active or expired."""
        ...


class TargetLike(Protocol):
    """What a provider reads of a target (reconciler.config's Target)."""

    @property
    def name(self) -> str: ...
    @property
    def provider(self) -> str: ...
    @property
    def endpoint(self) -> str | None: ...
    @property
    def region(self) -> str | None: ...
    @property
    def app_key_env(self) -> str: ...
    @property
    def master_secret_env(self) -> str: ...
    @property
    def site_timezone(self) -> str: ...
    @property
    def concurrency(self) -> int: ...
    @property
    def rate_limit(self) -> float: ...
    @property
    def request_timeout(self) -> float: ...
    @property
    def is_local(self) -> bool: ...
    @property
    def root(self) -> Path:
        """The repository's root, which paths in messages are shown relative to."""
        ...

    @property
    def state_file(self) -> Path: ...


class Connect(Protocol):
    """Opens a target's remote: `async with connect(target, now) as remote:`.

    `now` is the planner's clock. `writable` False says the caller only reads (plan,
    import, history, drift): a provider may then open its remote read-only (the
    embedded emulator reads its state file as a snapshot and never writes to it).
    """

    def __call__(
        self, target: TargetLike, now: datetime, *, writable: bool = True
    ) -> AbstractAsyncContextManager[ScheduleProvider]: ...


@dataclass(frozen=True)
class Provider:
    """One kind of remote: its name, its credentials' default variables, how to open it."""

    name: str
    app_key_env: str
    master_secret_env: str
    #: `async with connect(target, now) as remote:` (now: the planner's clock).
    connect: Connect
    #: The base URL of (endpoint, region): where the credentials go (a ConfigError if neither
    #: places an app). What an approval is compared with (reconciler.remote.approval).
    locate: Callable[[str | None, str | None], str]
