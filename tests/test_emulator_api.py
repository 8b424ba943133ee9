"""Contract tests of the emulator's v4 endpoints: shapes, auth, isolation, pagination, store."""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import DEMO_APP, AppCredentials, Settings
from tests.support.clock import NOW, NOW_ISO
from tests.support.emulator import Api, error_of


def schedule(name: str = "daily_news", **trigger: Any) -> dict[str, Any]:
    return {
        "name": name,
        "enabled": True,
        "trigger": trigger or {"single": {"time": "2027-01-19 12:00:00", "zone_type": 1}},
        "push": {
            "from": "push",
            "to": {"registration_id": ["1a0018970ab49abda3e"]},
            "body": {"platform": "android", "notification": {"alert": "hello"}},
            "request_id": "r1",
        },
    }


# Endpoints ------------------------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_every_endpoint_with_and_without_trailing_slash(api: Api, slash: str) -> None:
    created = api.post(f"/v4/schedules{slash}", json=schedule())
    assert created.status_code == 200
    assert created.json()["name"] == "daily_news"
    sid = created.json()["schedule_id"]

    listing = api.get(f"/v4/schedules{slash}", params={"page": 1})
    assert listing.status_code == 200
    assert [s["schedule_id"] for s in listing.json()["schedules"]] == [sid]

    details = api.get(f"/v4/schedules/{sid}{slash}")
    assert details.status_code == 200
    assert details.json() == [{"schedule_id": sid, **schedule()}]

    msg_ids = api.get(f"/v4/schedules/{sid}/msg-ids{slash}")
    assert msg_ids.json() == {"count": 0, "MsgIds": []}

    changed = schedule("renamed")
    updated = api.put(f"/v4/schedules/{sid}{slash}", json=changed)
    assert updated.status_code == 200
    assert updated.json() == changed

    deleted = api.delete(f"/v4/schedules/{sid}{slash}")
    assert deleted.status_code == 200
    assert deleted.content == b""
    assert deleted.headers["content-length"] == "0"
    assert deleted.headers["content-type"].startswith("application/json")
    assert error_of(api.delete(f"/v4/schedules/{sid}{slash}")) == (404, 28104)
    assert error_of(api.get(f"/v4/schedules/{sid}{slash}")) == (404, 28104)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset:utf-8",  # the JPush client's malformed header
        "application/x-www-form-urlencoded",  # the documents' PUT header
        "text/plain",
        None,
    ],
)
def test_bodies_are_json_whatever_the_content_type(api: Api, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    raw = json.dumps(schedule()).encode()
    created = api.post("/v4/schedules", content=raw, headers=headers)
    assert created.status_code == 200, created.text
    sid = created.json()["schedule_id"]
    updated = api.put(f"/v4/schedules/{sid}", content=raw, headers=headers)
    assert updated.status_code == 200, updated.text


def test_body_that_is_not_json_is_28100(api: Api) -> None:
    assert error_of(api.post("/v4/schedules", content=b"name=x&enabled=true")) == (400, 28100)
    assert error_of(api.post("/v4/schedules", content=b"")) == (400, 28100)
    assert error_of(api.post("/v4/schedules", content=b"\xff\xfe")) == (400, 28100)
    assert error_of(api.post("/v4/schedules", json=[schedule()])) == (400, 28100)


def test_odd_json_is_refused_not_crashed_on(api: Api) -> None:
    nan = json.dumps(schedule()).replace('"r1"', "NaN").encode()
    assert error_of(api.post("/v4/schedules", content=nan)) == (400, 28100)
    deep = b"[" * 100_000 + b"]" * 100_000
    assert error_of(api.post("/v4/schedules", content=deep)) == (400, 28100)
    assert api.get(f"/v4/schedules?page={10**30}").json()["schedules"] == []


def test_answers_return_what_the_client_sent_verbatim(api: Api) -> None:
    body = schedule(
        "weekly",
        periodical={
            "zone_type": 1,
            "time_unit": "WeEk",
            "point": ["sun", "MON"],
            "time": "09:30:00",
            "end": "2027-04-21 00:00:00",
            "start": "2026-11-22 00:00:00",
        },
    )
    body["push"]["custom_args"] = {"z": 1, "a": [3, 2, 1], "nested": {"ü": "中文"}}
    sid = api.create(body)
    stored = api.get(f"/v4/schedules/{sid}").json()[0]
    assert json.dumps(stored) == json.dumps({"schedule_id": sid, **body})
    listed = api.get("/v4/schedules").json()["schedules"][0]
    assert json.dumps(listed) == json.dumps({"schedule_id": sid, **body})
    assert json.dumps(api.put(f"/v4/schedules/{sid}", json=body).json()) == json.dumps(body)


def test_put_may_carry_the_schedule_id_it_got_from_get(api: Api) -> None:
    sid = api.create(schedule())
    got = api.get(f"/v4/schedules/{sid}").json()[0]
    got["enabled"] = False
    answer = api.put(f"/v4/schedules/{sid}", json=got)
    assert answer.status_code == 200
    assert answer.json()["enabled"] is False
    assert "schedule_id" not in api.put(f"/v4/schedules/{sid}", json=got).json()


def test_a_disabled_schedule_can_be_updated(api: Api) -> None:
    sid = api.create(schedule())
    disabled = schedule()
    disabled["enabled"] = False
    assert api.put(f"/v4/schedules/{sid}", json=disabled).status_code == 200
    assert api.put(f"/v4/schedules/{sid}", json=schedule()).status_code == 200


def test_unknown_and_malformed_ids_are_404_28104(api: Api) -> None:
    unknown = "0eac1b80-c2ac-4b69-948b-c65b34b96512"
    for sid in (unknown, "not-a-uuid", "1234"):
        assert error_of(api.get(f"/v4/schedules/{sid}")) == (404, 28104)
        assert error_of(api.get(f"/v4/schedules/{sid}/msg-ids")) == (404, 28104)
        assert error_of(api.put(f"/v4/schedules/{sid}", json=schedule())) == (404, 28104)
        assert error_of(api.delete(f"/v4/schedules/{sid}")) == (404, 28104)


def test_unknown_paths_and_methods_answer_json(api: Api) -> None:
    assert error_of(api.get("/v4/nothing")) == (404, 28104)
    assert error_of(api.request("PATCH", "/v4/schedules")) == (405, 28100)


# Auth -----------------------------------------------------------------------------------


def _basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Basic",
        "Basic !!!not-base64!!!",
        "Bearer " + base64.b64encode(b"demo_app_key:demo_master_secret").decode(),
        _basic("demo_app_key"),
        _basic("demo_app_key:wrong"),
        _basic("other_key:demo_master_secret"),
        _basic(":"),
    ],
)
def test_missing_garbled_or_wrong_credentials_are_401_28101(authorization: str | None) -> None:
    api = Api(Settings(now=NOW), auth=None)
    try:
        headers = {} if authorization is None else {"Authorization": authorization}
        for method, path in [
            ("POST", "/v4/schedules"),
            ("GET", "/v4/schedules"),
            ("GET", "/v4/schedules/0eac1b80-c2ac-4b69-948b-c65b34b96512"),
            ("GET", "/v4/schedules/0eac1b80-c2ac-4b69-948b-c65b34b96512/msg-ids"),
            ("PUT", "/v4/schedules/0eac1b80-c2ac-4b69-948b-c65b34b96512"),
            ("DELETE", "/v4/schedules/0eac1b80-c2ac-4b69-948b-c65b34b96512"),
        ]:
            response = api.request(method, path, headers=headers, json=schedule())
            assert error_of(response) == (401, 28101)
    finally:
        api.close()


def test_apps_are_isolated_from_each_other() -> None:
    one, two = AppCredentials("app_one", "s1"), AppCredentials("app_two", "s2", "Asia/Shanghai")
    settings = Settings(apps=(one, two), now=NOW)
    first = Api(settings, auth=(one.key, one.secret))
    second = Api(settings, auth=(two.key, two.secret), app=first.app)  # same store
    try:
        sid = first.create(schedule("mine"))
        assert second.get("/v4/schedules").json()["total_count"] == 0
        assert error_of(second.get(f"/v4/schedules/{sid}")) == (404, 28104)
        assert error_of(second.get(f"/v4/schedules/{sid}/msg-ids")) == (404, 28104)
        assert error_of(second.put(f"/v4/schedules/{sid}", json=schedule())) == (404, 28104)
        assert error_of(second.delete(f"/v4/schedules/{sid}")) == (404, 28104)
        assert first.get(f"/v4/schedules/{sid}").status_code == 200
        # The demo app is not accepted when apps are configured.
        demo = {"Authorization": _basic("demo_app_key:demo_master_secret")}
        assert first.get("/v4/schedules", auth=None, headers=demo).status_code == 401
    finally:
        first.close()
        second.close()


# List and details -----------------------------------------------------------------------


def test_pagination_across_1000_schedules_and_the_quota() -> None:
    api = Api(Settings(now=NOW))
    try:

        async def fill() -> list[str]:
            ids = []
            for i in range(1000):
                response = await api.client.post("/v4/schedules", json=schedule(f"s{i:04d}"))
                ids.append(response.json()["schedule_id"])
            return ids

        ids = api.run(fill())
        page1 = api.get("/v4/schedules", params={"page": 1}).json()
        assert (page1["total_count"], page1["total_pages"], page1["page"]) == (1000, 20, 1)
        assert [s["schedule_id"] for s in page1["schedules"]] == ids[:50]
        page20 = api.get("/v4/schedules?page=20").json()
        assert page20["page"] == 20
        assert [s["name"] for s in page20["schedules"]] == [f"s{i:04d}" for i in range(950, 1000)]
        for past in (21, 999):
            beyond = api.get(f"/v4/schedules?page={past}").json()
            assert beyond == {
                "total_count": 1000,
                "total_pages": 20,
                "page": past,
                "schedules": [],
            }
        # No page (or the documents' empty "page=") is page 1.
        assert api.get("/v4/schedules").json() == page1
        assert api.get("/v4/schedules?page=").json() == page1

        # The quota: the 1001st active schedule is refused; a delete makes room.
        assert error_of(api.post("/v4/schedules", json=schedule("one_more"))) == (400, 28100)
        assert api.delete(f"/v4/schedules/{ids[0]}").status_code == 200
        assert api.post("/v4/schedules", json=schedule("one_more")).status_code == 200
        last = api.get("/v4/schedules?page=20").json()["schedules"][-1]
        assert last["name"] == "one_more"  # sorted by creation
    finally:
        api.close()


def test_bad_page_numbers_are_28100(api: Api) -> None:
    for page in ("0", "-1", "abc", "1.5"):
        assert error_of(api.get(f"/v4/schedules?page={page}")) == (400, 28100)


def test_list_detail_summary_and_full() -> None:
    for mode in ("full", "summary"):
        api = Api(Settings(now=NOW, list_detail=mode))  # type: ignore[arg-type]
        try:
            sid = api.create(schedule())
            entry = api.get("/v4/schedules").json()["schedules"][0]
            if mode == "full":
                assert entry == {"schedule_id": sid, **schedule()}
            else:
                assert entry == {"schedule_id": sid, "name": "daily_news", "enabled": True}
        finally:
            api.close()


def test_detail_shape_array_and_object() -> None:
    for shape in ("array", "object"):
        api = Api(Settings(now=NOW, detail_shape=shape))  # type: ignore[arg-type]
        try:
            sid = api.create(schedule())
            expected = {"schedule_id": sid, **schedule()}
            got = api.get(f"/v4/schedules/{sid}").json()
            assert got == ([expected] if shape == "array" else expected)
        finally:
            api.close()


def test_names_need_not_be_unique(api: Api) -> None:
    first, second = api.create(schedule("twin")), api.create(schedule("twin"))
    assert first != second
    assert [s["name"] for s in api.get("/v4/schedules").json()["schedules"]] == ["twin", "twin"]


def test_concurrent_creates_never_exceed_the_quota() -> None:
    api = Api(Settings(now=NOW, quota=40))
    try:

        async def burst() -> list[int]:
            sends = [api.client.post("/v4/schedules", json=schedule(f"c{i}")) for i in range(60)]
            return [r.status_code for r in await asyncio.gather(*sends)]

        codes = api.run(burst())
        assert codes.count(200) == 40
        assert codes.count(400) == 20
        assert api.get("/v4/schedules").json()["total_count"] == 40
    finally:
        api.close()


# Store ----------------------------------------------------------------------------------


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    state = str(tmp_path / "sub" / "emulator.db")
    first = Api(Settings(state=state, now=NOW))
    sid = first.create(schedule())
    first.put("/_emulator/clock", json={"now": "2026-12-22T00:00:00+00:00"})
    first.close()
    # Restarted without a clock setting: the stored clock and schedule are still there.
    second = Api(Settings(state=state))
    try:
        assert second.get(f"/v4/schedules/{sid}").json()[0]["name"] == "daily_news"
        assert second.get("/_emulator/state").json()["clock"] == {
            "now": "2026-12-22T00:00:00+00:00",
            "fixed": True,
        }
    finally:
        second.close()


def test_two_processes_sharing_a_state_file_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    state = tmp_path / "shared.db"
    Api(Settings(state=str(state), now=NOW)).close()  # creates the file and fixes the clock
    worker = textwrap.dedent(
        """
        import asyncio, sys, httpx
        from reconciler.emulator import Settings, create_app
        from reconciler.emulator.transport import EmulatorTransport

        async def main(tag):
            app = create_app(Settings(state=sys.argv[1], quota=1000))
            async with httpx.AsyncClient(
                transport=EmulatorTransport(app), base_url="http://e",
                auth=("demo_app_key", "demo_master_secret"),
            ) as client:
                for i in range(100):
                    body = {"name": f"{tag}_{i}", "enabled": True,
                            "trigger": {"single": {"time": "2027-01-19 00:00:00"}},
                            "push": {"to": "all", "body": {"platform": "all",
                                     "notification": {"alert": "x"}}}}
                    response = await client.post("/v4/schedules", json=body)
                    assert response.status_code == 200, response.text

        asyncio.run(main(sys.argv[2]))
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", worker, str(state), tag]) for tag in ("a", "b")
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    with sqlite3.connect(state) as db:
        names = [row[0] for row in db.execute("SELECT name FROM schedules")]
        ids = [row[0] for row in db.execute("SELECT schedule_id FROM schedules")]
    assert sorted(names) == sorted(f"{t}_{i}" for t in "ab" for i in range(100))
    assert len(set(ids)) == 200


def test_unexpected_exception_is_500_28200_without_traceback(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    state = str(tmp_path / "broken.db")
    api = Api(Settings(state=state, now=NOW))
    try:
        sid = api.create(schedule())
        # Corrupt the stored body behind the emulator's back.
        with sqlite3.connect(state) as db:
            db.execute("UPDATE schedules SET body = 'not json'")
        assert error_of(api.get(f"/v4/schedules/{sid}")) == (500, 28200)
        assert error_of(api.get("/v4/schedules")) == (500, 28200)
    finally:
        api.close()
    assert "Traceback" not in capfd.readouterr().err


def test_admin_state_shows_schedules_by_app_key_never_secrets(api: Api) -> None:
    sid = api.create(schedule())
    state = api.get("/_emulator/state").json()
    assert DEMO_APP.secret not in json.dumps(state)
    (entry,) = state["apps"][DEMO_APP.key]["schedules"]
    assert entry == {
        "schedule_id": sid,
        "name": "daily_news",
        "body": schedule(),
        "created": entry["created"],
        "expired": False,
        "runs": 0,
    }
    assert state["clock"] == {"now": NOW_ISO, "fixed": True}
    assert (state["faults"], state["seed"], state["rate_limit"]) == ([], 0, None)


def test_admin_reset_clears_schedules_and_faults(api: Api) -> None:
    api.create(schedule())
    api.put("/_emulator/faults", json={"faults": ["latency=1"], "seed": 3})
    assert api.post("/_emulator/reset").status_code == 200
    state = api.get("/_emulator/state").json()
    assert state["apps"][DEMO_APP.key]["schedules"] == []
    assert state["faults"] == []
    assert api.get("/v4/schedules").json()["total_count"] == 0
