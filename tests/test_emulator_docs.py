"""Every request example of the two API documents, accepted or refused as the documents say.

The examples are in tests/fixtures/emulator/ (copied verbatim). Their names have spaces,
which the documented name rule forbids: the strict default refuses them with 28100 and
`lenient` accepts them; the same bodies under a valid name pass the strict rules too.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator import Settings
from tests.support.emulator import Api, error_of

FIXTURES = Path(__file__).parent / "fixtures" / "emulator"
# The documents' headers, as they print them.
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
PUT_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
BEFORE_2022_EXAMPLE = datetime(2022, 11, 1, tzinfo=UTC)
BEFORE_2024_EXAMPLES = datetime(2023, 12, 1, tzinfo=UTC)


def example(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / name).read_text("utf-8")))


def renamed(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "name": body["name"].replace(" ", "_")}


def create(api: Api, body: dict[str, Any]) -> httpx.Response:
    """POST as the documents do (their headers)."""
    return api.post("/v4/schedules", json=body, headers=HEADERS)


def update(api: Api, sid: str, body: dict[str, Any]) -> httpx.Response:
    """PUT as the documents do (their headers: a form content type on a JSON body)."""
    return api.put(f"/v4/schedules/{sid}", json=body, headers=PUT_HEADERS)


def emulator(now: datetime, *, lenient: bool) -> Api:
    return Api(Settings(now=now, lenient=lenient))


@pytest.fixture(params=[False, True], ids=["strict", "lenient"])
def mode(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


CREATE_EXAMPLES = [
    ("en_create_single.json", BEFORE_2022_EXAMPLE),
    ("de_create_single.json", BEFORE_2022_EXAMPLE),
    ("en_create_periodical.json", BEFORE_2024_EXAMPLES),
    ("de_create_periodical.json", BEFORE_2024_EXAMPLES),
    ("de_create_intelligent.json", BEFORE_2024_EXAMPLES),
]


@pytest.mark.parametrize(("fixture", "now"), CREATE_EXAMPLES)
def test_create_examples(fixture: str, now: datetime, mode: bool) -> None:
    with emulator(now, lenient=mode) as api:
        body = example(fixture)
        answer = create(api, body)
        if mode:
            assert answer.status_code == 200, answer.text
            assert set(answer.json()) == {"schedule_id", "name"}
            assert answer.json()["name"] == body["name"]
        else:
            assert error_of(answer) == (400, 28100)
            assert "name" in answer.json()["error"]["message"]
        # The body itself is right: under a valid name even the strict rules take it.
        again = create(api, renamed(body))
        assert again.status_code == 200, again.text
        sid = again.json()["schedule_id"]
        got = api.request("GET", f"/v4/schedules/{sid}", headers=HEADERS)
        assert got.json() == [{"schedule_id": sid, **renamed(body)}]


@pytest.mark.parametrize(("fixture", "now"), CREATE_EXAMPLES)
def test_create_examples_after_their_date_are_28103(fixture: str, now: datetime) -> None:
    with emulator(datetime(2024, 6, 1, tzinfo=UTC), lenient=True) as api:
        answer = create(api, example(fixture))
        assert error_of(answer) == (400, 28103)


UPDATE_BASES = {"en": "en_create_periodical.json", "de": "de_create_periodical.json"}


@pytest.mark.parametrize("doc", ["en", "de"])
@pytest.mark.parametrize("wrong", ["update_wrong_platform.json", "update_wrong_end.json"])
def test_wrong_partial_updates(doc: str, wrong: str, mode: bool) -> None:
    with emulator(BEFORE_2024_EXAMPLES, lenient=mode) as api:
        sid = create(api, renamed(example(UPDATE_BASES[doc]))).json()["schedule_id"]
        answer = update(api, sid, example(f"{doc}_{wrong}"))
    if not mode:
        assert error_of(answer) == (400, 28100)
        assert "partial" in answer.json()["error"]["message"]
        return
    assert answer.status_code == 200, answer.text
    merged = answer.json()
    if "platform" in wrong:
        assert merged["push"]["body"]["platform"] == "ios"
        assert merged["push"]["to"] == example(UPDATE_BASES[doc])["push"]["to"]
    else:
        assert merged["trigger"]["periodical"]["end"] == "2024-03-10 00:00:00"
        assert merged["trigger"]["periodical"]["start"] == "2024-01-01 00:00:00"


@pytest.mark.parametrize("doc", ["en", "de"])
@pytest.mark.parametrize("right", ["update_right_platform.json", "update_right_end.json"])
def test_right_full_updates(doc: str, right: str, mode: bool) -> None:
    with emulator(BEFORE_2024_EXAMPLES, lenient=mode) as api:
        sid = create(api, renamed(example(UPDATE_BASES[doc]))).json()["schedule_id"]
        body = example(f"{doc}_{right}")
        answer = update(api, sid, body)
        if mode:
            assert answer.status_code == 200, answer.text
            assert answer.json() == body  # the documents answer the updated object
        else:
            assert error_of(answer) == (400, 28100)
        strict_body = renamed(body)
        answer = update(api, sid, strict_body)
        assert answer.status_code == 200, answer.text
        assert answer.json() == strict_body
        got = api.request("GET", f"/v4/schedules/{sid}", headers=HEADERS).json()
        assert got == [{"schedule_id": sid, **strict_body}]


def test_the_documented_walkthrough() -> None:
    """List with the documents' empty page, details, msg-ids, expiry and delete."""
    with emulator(BEFORE_2024_EXAMPLES, lenient=False) as api:
        body = renamed(example("en_create_periodical.json"))
        sid = create(api, body).json()["schedule_id"]
        listing = api.request("GET", "/v4/schedules?page=", headers=HEADERS).json()
        assert set(listing) == {"total_count", "total_pages", "page", "schedules"}
        assert (listing["total_count"], listing["total_pages"], listing["page"]) == (1, 1, 1)
        # Run through January: one push a day at 12:00 from 2024-01-01 on.
        api.request("PUT", "/_emulator/clock", json={"now": "2024-01-31T23:00:00+00:00"})
        runs = api.request("GET", f"/v4/schedules/{sid}/msg-ids", headers=HEADERS).json()
        assert runs["count"] == 31 == len(runs["MsgIds"])
        first = json.loads(runs["MsgIds"][0])
        assert set(first) == {"msg_id", "error", "needRetry", "ts"}
        assert first["error"] == {"code": 0, "message": ""}
        assert first["needRetry"] is False
        assert first["ts"] == int(datetime(2024, 1, 1, 12, tzinfo=UTC).timestamp() * 1000)
        # The RIGHT example extends the end by a month; after the old end it still runs.
        update(api, sid, renamed(example("en_update_right_end.json")))
        api.request("PUT", "/_emulator/clock", json={"now": "2024-02-20T00:00:00+00:00"})
        assert api.request("GET", f"/v4/schedules/{sid}", headers=HEADERS).status_code == 200
        # Past the end it expires: gone from the list, 404 on GET and PUT.
        api.request("PUT", "/_emulator/clock", json={"now": "2024-03-11T00:00:00+00:00"})
        assert api.request("GET", "/v4/schedules", headers=HEADERS).json()["total_count"] == 0
        gone = api.request("GET", f"/v4/schedules/{sid}", headers=HEADERS)
        assert error_of(gone) == (404, 28104)
        refused = update(api, sid, renamed(example("en_update_right_end.json")))
        assert error_of(refused) == (404, 28104)
        assert api.request("GET", f"/v4/schedules/{sid}/msg-ids").json()["count"] == 69
        deleted = api.request("DELETE", f"/v4/schedules/{sid}", headers=HEADERS)
        assert error_of(deleted) == (404, 28104)
