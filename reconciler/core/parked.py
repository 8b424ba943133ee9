"""Parked: how an unfinished create is marked in the app, and how it is recognised.

`reconciler apply` creates every schedule *parked* first (see
``reconciler/remote/engagelab/_claim.py``): its fire times as far ahead as the API allows and
``push.request_id`` set to this module's mark, ``reconciler-parked:<when>:<token>``,
where ``<when>`` is the apply's clock when it parked the copy (UTC, to the second) and
``<token>`` its writer. A copy stays parked only if its apply was interrupted (killed,
or cut off from the API) between the POST and the promoting PUT, or if another writer
is settling it right now.

Whatever meets a remote schedule asks `mark_of` first: a parked copy is never a user's
schedule and never fired. The plan completes or withdraws it, drift reports it (and
flags one waiting for longer than `STALE_AFTER`), import does not write it as a file,
and nothing shows its fire times as pushes. Copies parked by earlier versions carry
``reconciler-parked:<token>`` without the time: they are recognised too, their time
unknown.

No imports beyond the standard library: the planner, the importer, drift, validation
and the API client all read this (hence its place in core, below them all).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["PREFIX", "STALE_AFTER", "Mark", "mark_of", "request_id"]

PREFIX = "reconciler-parked:"
#: A parked copy older than this is worth a human's look: no apply has run since.
STALE_AFTER = timedelta(days=1)
_STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class Mark:
    """What a parked copy's request_id says: its writer, and when it was parked (if known)."""

    token: str
    parked_at: datetime | None

    def when(self) -> str:
        """`2026-11-21 00:00 UTC`, or words for a copy that does not say."""
        if self.parked_at is None:
            return "an unknown date (by an earlier version, which did not record it)"
        return f"{self.parked_at:%Y-%m-%d %H:%M} UTC"

    def describe(self) -> str:
        return f"parked by an interrupted apply on {self.when()}"

    def stale(self, now: datetime) -> bool:
        """Waiting longer than STALE_AFTER (a copy of unknown age counts as waiting long)."""
        return self.parked_at is None or now - self.parked_at > STALE_AFTER


def request_id(parked_at: datetime, token: str) -> str:
    """The mark of a copy parked at `parked_at` (aware) by the writer `token`."""
    return f"{PREFIX}{parked_at.astimezone(UTC):{_STAMP}}:{token}"


def mark_of(body: Mapping[str, Any]) -> Mark | None:
    """The parked mark of a schedule body, or None for a schedule that is not parked."""
    push = body.get("push")
    found = push.get("request_id") if isinstance(push, Mapping) else None
    if not isinstance(found, str) or not found.startswith(PREFIX):
        return None
    rest = found[len(PREFIX) :]
    stamp, sep, token = rest.partition(":")
    if sep:
        try:
            return Mark(token, datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC))
        except ValueError:
            pass
    return Mark(rest, None)
