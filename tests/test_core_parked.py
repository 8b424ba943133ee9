"""The parked mark (reconciler/core/parked.py): written by the claim, read by everyone else."""

from __future__ import annotations

from datetime import timedelta

from reconciler.core.parked import PREFIX, STALE_AFTER, mark_of, request_id
from reconciler.remote.engagelab._claim import park
from tests.support.api import create_body
from tests.support.clock import NOW


def test_a_parked_body_says_when_it_was_parked_and_by_whom() -> None:
    mark = mark_of(park(create_body("a"), NOW, "f00d"))
    assert mark is not None
    assert (mark.token, mark.parked_at) == ("f00d", NOW)
    assert mark.describe() == "parked by an interrupted apply on 2026-11-21 00:00 UTC"


def test_a_mark_of_an_earlier_version_is_recognised_its_time_unknown() -> None:
    body = create_body("a")
    body["push"]["request_id"] = PREFIX + "0123456789abcdef"
    mark = mark_of(body)
    assert mark is not None
    assert (mark.token, mark.parked_at) == ("0123456789abcdef", None)
    assert "unknown date" in mark.describe()
    assert mark.stale(NOW)  # of unknown age: worth a look


def test_schedules_that_are_not_parked_have_no_mark() -> None:
    body = create_body("a")
    assert mark_of(body) is None
    body["push"]["request_id"] = "12345"
    assert mark_of(body) is None
    assert mark_of({"push": "not an object"}) is None


def test_a_mark_is_stale_after_a_day() -> None:
    mark = mark_of({"push": {"request_id": request_id(NOW, "t")}})
    assert mark is not None
    assert not mark.stale(NOW + STALE_AFTER)
    assert mark.stale(NOW + STALE_AFTER + timedelta(seconds=1))
