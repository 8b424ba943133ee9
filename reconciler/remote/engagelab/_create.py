"""Create a schedule exactly once, even when the answer to the POST is lost.

POST is the one request that is not idempotent: sending it twice makes two schedules
of one name, which the reconciler then reports as a conflict forever. And a POST may
fail *after* the server committed it: the connection is cut before the answer
(``drop-after-commit``), the answer is late (timeout), or a 5xx comes from a layer
behind which the work was in fact done. So the client never blindly sends it again.

* A clear refusal (400, 401, 404: the request was read and rejected) is raised at once.
* 429 means "not done, come back later": wait (at least Retry-After) and send again.
  So does a connection that was never made (refused, connect timeout): nothing left.
* An ambiguous failure (no answer, a timeout, a protocol error, any 5xx including
  28203) means "maybe done". The client then looks the name up (``NameFinder``: a
  scan of the app that needs no stable app, see ``_listing.scan_for_names``, with
  details for the schedules of that name only) and compares ``name``, ``enabled``,
  ``trigger`` and ``push`` of each schedule of that name with what it sent, as plain
  JSON:

  - exactly one equal: that is our POST, committed; adopt its id (others of that
    name, if any, are someone else's: warned about, and the next plan shows them);
  - none of that name: the POST did not happen; send it again (bounded by the policy);
  - some of that name but none equal, or several equal: someone else is creating that
    name too. Guessing could make a duplicate or steal theirs, so raise
    ``CreateAmbiguous`` and let the user re-plan.

  If the look-up itself fails, the outcome is unknown: ``CreateAmbiguous`` too.

The reconciler only creates names that did not exist when it planned, so "a schedule
of that name with our exact payload" appearing right after our POST is ours. Two
writers posting the same name and payload at the same moment would share one
schedule, which is the outcome both wanted.

Why not the consistent listing (``list_app``): during an apply our own creates and
deletes (up to ``concurrency`` in flight) keep changing the app, so a listing that
insists on a stable ``total_count`` keeps failing, and the create with it. The scan
only promises to see every schedule that exists throughout it, and that is all the
look-up needs: a committed POST exists before the look-up is asked for, and nobody
else knows its id to delete it. Look-ups that overlap share scans, so a burst of
failed POSTs costs a few scans, not one listing each.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from reconciler.remote.engagelab._listing import Fetch, scan_for_names
from reconciler.remote.engagelab._models import BODY_KEYS, RemoteSchedule
from reconciler.remote.engagelab._retry import RetryPolicy, call_with_retries, gave_up
from reconciler.remote.engagelab.errors import (
    ApiError,
    ConnectionFailed,
    CreateAmbiguous,
    MalformedResponse,
    RateLimited,
    ServerError,
    ServiceUnavailable,
)
from reconciler.remote.engagelab.settings import SETTINGS

log = logging.getLogger("reconciler.api")

CREATE_PATH = SETTINGS.schedules_path  # a POST creates at the listing's path

Send = Callable[[str, str, Any], Awaitable[Any]]
FindByName = Callable[[str], Awaitable[list[RemoteSchedule]]]


class NameFinder:
    """Look names up for the safe POST, concurrent look-ups sharing scans (single flight).

    A look-up may only be answered by a scan that *started after* it was asked for:
    it is asked for after its POST failed, so only such a scan is sure to find the
    POST's schedule if it was committed. So: a request joins the queue; whenever no
    scan is running and the queue is not empty, a scan starts and takes the whole
    queue with it, in one step and before its first request. Everyone it answers
    therefore asked before it started; whoever asks while it runs waits in the new
    queue for the next one. One scan at a time, one driver task running them.

    ``asked`` counts the look-ups asked for, ``scans`` the scans started (the point of
    sharing is that the second stays far below the first).
    """

    def __init__(self) -> None:
        self._queue: list[tuple[str, asyncio.Future[list[RemoteSchedule]]]] = []
        self._driver: asyncio.Task[None] | None = None
        self.asked = 0
        self.scans = 0

    async def find(self, name: str, fetch: Fetch) -> list[RemoteSchedule]:
        """The schedules named ``name`` (see ``scan_for_names`` for what is promised)."""
        answer: asyncio.Future[list[RemoteSchedule]] = asyncio.get_running_loop().create_future()
        self._queue.append((name, answer))
        self.asked += 1
        if self._driver is None:
            self._driver = asyncio.create_task(self._drive(fetch))
        return await answer

    async def _drive(self, fetch: Fetch) -> None:
        # Any requester's fetch will do: they all belong to the same session.
        batch: list[tuple[str, asyncio.Future[list[RemoteSchedule]]]] = []
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                self.scans += 1
                try:
                    found = await scan_for_names(fetch, {name for name, _ in batch})
                except Exception as failed:  # an ApiError, or a bug: each requester sees it
                    for _, answer in batch:
                        if not answer.done():  # done: its requester was cancelled
                            answer.set_exception(failed)
                    continue
                for name, answer in batch:
                    if not answer.done():
                        answer.set_result(list(found[name]))
        except BaseException:
            # Cancelled (the loop is closing): nobody may be left waiting for ever.
            for _, answer in batch + self._queue:
                answer.cancel()
            self._queue = []
            raise
        finally:
            # No await between the empty-queue check and here: no request slips past.
            self._driver = None


def _plain(value: Any) -> Any:
    """The value as JSON would carry it (tuples become lists, mappings dicts)."""
    return json.loads(json.dumps(value, sort_keys=True, default=_mapping_default))


def _mapping_default(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def same_payload(body: Mapping[str, Any], remote: RemoteSchedule) -> bool:
    """Whether a remote schedule carries exactly what we sent (name, enabled, trigger, push)."""
    sent = {key: body.get(key) for key in BODY_KEYS}
    return bool(_plain(sent) == _plain(remote.body()))


async def create_once(
    body: Mapping[str, Any],
    *,
    send: Send,
    policy: RetryPolicy,
    finder: NameFinder,
    deadline: float | None = None,
) -> str:
    """POST ``body`` and return the new schedule's id, never making two (see module doc).

    The look-up is ``finder`` (one per client, so that concurrent creates share
    scans), reading with ``send`` and retrying GETs per ``policy``. ``deadline``
    (seconds) bounds the whole create: past it, whether the schedule exists is
    unknown, which is CreateAmbiguous (the next plan sees what is there).
    """

    async def fetch(path: str) -> Any:
        return await call_with_retries(
            policy, f"GET {path}", lambda _: send("GET", path, None), deadline
        )

    async def find(wanted: str) -> list[RemoteSchedule]:
        return await finder.find(wanted, fetch)

    failure: ApiError
    try:
        async with asyncio.timeout(deadline):
            return await _create(body, send, policy, find)
    except TimeoutError:
        failure = CreateAmbiguous(
            f"creating {body.get('name')!r} timed out: no settled answer within {deadline:g} s; "
            "it may or may not exist now: re-plan",
            method="POST",
            path=CREATE_PATH,
        )
    raise failure


async def _create(
    body: Mapping[str, Any], send: Send, policy: RetryPolicy, find: FindByName
) -> str:
    name = body.get("name")
    payload = _plain(body)
    last: ApiError | None = None
    attempt = 0
    while attempt < policy.max_attempts:
        attempt += 1
        if last is not None:
            await asyncio.sleep(policy.delay(attempt - 1, last))
        failure: ApiError | None = None
        answer: Any = None
        try:
            answer = await send("POST", CREATE_PATH, payload)
        except RateLimited as refused:
            failure = refused
        except ConnectionFailed as lost:
            failure = lost
        except (ServerError, ServiceUnavailable) as ambiguous:
            failure = ambiguous
        if failure is None:
            return _schedule_id(answer)
        last = failure
        if isinstance(failure, RateLimited) or (
            isinstance(failure, ConnectionFailed) and not failure.request_sent
        ):
            # Refused, or never left: certainly not done.
            log.warning(
                "POST %s (%s) not delivered (%s); sending it again",
                CREATE_PATH,
                name,
                failure.explanation,
            )
            continue
        log.warning(
            "POST %s (%s) failed ambiguously (%s); looking the name up before anything else",
            CREATE_PATH,
            name,
            failure.explanation,
        )
        adopted = await _look_up(body, failure, find, attempt)
        if adopted is not None:
            return adopted
    assert last is not None
    raise gave_up(last, attempt, "no schedule of that name was created")


async def _look_up(
    body: Mapping[str, Any], failure: ApiError, find_by_name: FindByName, attempt: int
) -> str | None:
    """The id of our committed POST, None if it was not committed, or CreateAmbiguous."""
    name = str(body.get("name"))
    problem: ApiError | None = None
    try:
        found = await find_by_name(name)
    except ApiError as lookup_failed:
        problem = CreateAmbiguous(
            f"creating {name!r} failed ambiguously ({failure.explanation}) and looking it up "
            f"failed too ({lookup_failed}); it may or may not exist now: re-plan",
            method="POST",
            path=CREATE_PATH,
        )
        found = []
    if problem is not None:
        raise problem
    equal = [remote for remote in found if same_payload(body, remote)]
    if len(equal) == 1:
        if len(found) > 1:
            # Our schedule exists; the others are someone else's, and the next plan
            # shows them as a conflict. Adopting makes nothing worse; refusing would
            # not undo them.
            others = len(found) - 1
            log.warning(
                "POST %s (%s): %d other %s of that name %s",
                CREATE_PATH,
                name,
                others,
                *(("schedule", "exists") if others == 1 else ("schedules", "exist")),
            )
        log.info(
            "POST %s (%s): the lost answer was a success; adopting %s",
            CREATE_PATH,
            name,
            equal[0].schedule_id,
        )
        return equal[0].schedule_id
    if not found:
        log.info(
            "POST %s (%s): not created (attempt %d); sending it again", CREATE_PATH, name, attempt
        )
        return None
    raise CreateAmbiguous(
        f"creating {name!r} failed ambiguously ({failure.explanation}) and now "
        f"{len(found)} {'schedule of that name exists' if len(found) == 1 else 'schedules of that name exist'}, "
        f"{len(equal)} with our payload; "
        "someone else is changing this app: re-plan before applying again",
        method="POST",
        path=CREATE_PATH,
    )


def _schedule_id(answer: Any) -> str:
    if isinstance(answer, Mapping):
        schedule_id = answer.get("schedule_id")
        if isinstance(schedule_id, str) and schedule_id:
            return schedule_id
    raise MalformedResponse(
        "the create answer carries no schedule_id", method="POST", path=CREATE_PATH
    )
