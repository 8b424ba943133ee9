"""ScheduleClient: the reconciler's one door to the schedules of one EngageLab app."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import httpx

from reconciler.remote.engagelab._claim import Claims, create_claimed
from reconciler.remote.engagelab._create import NameFinder, create_once
from reconciler.remote.engagelab._http import Session
from reconciler.remote.engagelab._listing import detail_path, list_app
from reconciler.remote.engagelab._models import (
    RemoteSchedule,
    Run,
    runs_from_json,
    schedule_from_json,
    unwrap_detail,
)
from reconciler.remote.engagelab._retry import RetryPolicy, call_with_retries
from reconciler.remote.engagelab.errors import ApiError, ScheduleNotFound
from reconciler.remote.engagelab.settings import SETTINGS


class ScheduleClient:
    """Async client of the v4 Schedules API: one connection pool, polite and fault-tolerant.

    Use as ``async with ScheduleClient(...) as client:``. At most ``concurrency``
    requests are in flight and at most ``rate_limit`` leave per second; GET, PUT and
    DELETE are retried per ``retry``; POST is made safe by ``_create``. Every failure
    is an ``ApiError``; no httpx exception and no credential ever leaves it.
    """

    def __init__(
        self,
        *,
        base_url: str,
        app_key: str,
        master_secret: str,
        concurrency: int = 32,
        rate_limit: float = 400,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 (frozen, so sharing it is safe)
        credential_names: tuple[str, str] = (SETTINGS.app_key_env, SETTINGS.master_secret_env),
        park_creates_from: datetime | None = None,
    ) -> None:
        self._settings: dict[str, Any] = {
            "base_url": base_url,
            "app_key": app_key,
            "master_secret": master_secret,
            "concurrency": concurrency,
            "rate_limit": rate_limit,
            "transport": transport,
            "timeout": timeout,
            "credential_names": credential_names,
            "retry_after_cap": retry.retry_after_cap,
        }
        self._retry = retry
        # The whole of one call, retries and waits included: a hung endpoint fails
        # within about (retries + 1) x timeout, never hangs a CI job.
        self._deadline = retry.max_attempts * timeout
        self._base_url = base_url
        # Built on entering, inside the event loop the semaphore and limiter belong to.
        self._session: Session | None = None
        self._finder = NameFinder()
        # Set: creates are parked and claimed (one per name among concurrent writers,
        # see ``_claim``), their parked fire times counted from this instant.
        self._park_from = park_creates_from
        self._claims = Claims(self._pause)
        self._token = secrets.token_hex(8)

    def __repr__(self) -> str:
        return f"ScheduleClient(base_url={self._base_url!r})"

    async def __aenter__(self) -> Self:
        self._session = Session(**self._settings)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.aclose()
            self._session = None

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self._session.sent if self._session else 0

    @property
    def _open(self) -> Session:
        if self._session is None:
            raise RuntimeError("use ScheduleClient as 'async with ScheduleClient(...) as client'")
        return self._session

    # -- plumbing -----------------------------------------------------------------

    async def _get(self, path: str) -> Any:
        session = self._open

        async def attempt(_: int) -> Any:
            return await session.send("GET", path)

        return await call_with_retries(self._retry, f"GET {path}", attempt, self._deadline)

    async def _pause(self, attempt: int) -> None:
        await asyncio.sleep(self._retry.delay(attempt))

    # -- the API ------------------------------------------------------------------

    async def list_schedules(self) -> list[RemoteSchedule]:
        """Every unexpired schedule of the app, complete, in creation order.

        Raises ListingUnstable if the app keeps changing while it is read.
        """
        return await list_app(self._get, pause=self._pause)

    async def get_schedule(self, schedule_id: str) -> RemoteSchedule:
        """One schedule by id (position -1: a lone schedule has no place in a listing)."""
        path = detail_path(schedule_id)
        detail = unwrap_detail(await self._get(path), schedule_id, where=f"GET {path}")
        if detail is None:
            raise ScheduleNotFound(
                "the schedule does not exist (an empty answer)", method="GET", path=path
            )
        return schedule_from_json(detail, position=-1, where=f"GET {path}")

    async def create_schedule(self, body: Mapping[str, Any]) -> str:
        """Create a schedule and return its id; never creates two (see ``_create``).

        With ``park_creates_from``, never two of one name among concurrent writers
        either (see ``_claim``): CreateContended when another writer's came first.
        """
        if self._park_from is None:
            return await self._post(body)
        return await create_claimed(
            body,
            now=self._park_from,
            token=self._token,
            create=lambda parked: self._claims.post(self._post, parked),
            settle=lambda name, mine: self._claims.settle(name, mine, self._get),
            promote=self.update_schedule,
            withdraw=self.delete_schedule,
        )

    async def _post(self, body: Mapping[str, Any]) -> str:
        return await create_once(
            body,
            send=self._open.send,
            finder=self._finder,
            policy=self._retry,
            deadline=self._deadline,
        )

    async def update_schedule(self, schedule_id: str, body: Mapping[str, Any]) -> None:
        """Replace a schedule's name, enabled, trigger and push (the API has no partial PUT)."""
        session = self._open
        path = detail_path(schedule_id)
        # A full-replacement PUT is idempotent, so it is retried like a GET.
        payload = dict(body)

        async def attempt(_: int) -> None:
            await session.send("PUT", path, payload)

        await call_with_retries(self._retry, f"PUT {path}", attempt, self._deadline)

    async def delete_schedule(self, schedule_id: str, *, missing_ok: bool = False) -> bool:
        """Delete a schedule; True if this call deleted it, False if it was already gone.

        A 404 after an earlier, unanswered attempt means it is done. A 404 at the first
        attempt raises ScheduleNotFound, unless `missing_ok` (apply: another writer,
        or expiry, got there first; the goal, no such schedule, holds either way).
        """
        session = self._open
        path = detail_path(schedule_id)
        deleted = True

        async def attempt(number: int) -> None:
            nonlocal deleted
            gone: ApiError | None = None
            try:
                await session.send("DELETE", path)
            except ScheduleNotFound as not_found:
                gone = not_found
            if gone is not None and number == 1:
                if not missing_ok:
                    raise gone
                deleted = False
            # number > 1: an earlier attempt failed in transit, most likely after the
            # server deleted it; the goal (no such schedule) holds either way.

        await call_with_retries(self._retry, f"DELETE {path}", attempt, self._deadline)
        return deleted

    async def msg_ids(self, schedule_id: str) -> list[Run]:
        """The runs of a schedule: each execution's msg_id, error and time."""
        path = f"{detail_path(schedule_id)}/msg-ids"
        return runs_from_json(await self._get(path), where=f"GET {path}")
