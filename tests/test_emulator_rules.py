"""Each documented rule of the Schedules API, refused with its documented code and status."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.emulator import DEMO_APP, AppCredentials, Settings
from tests.support.clock import NOW
from tests.support.emulator import Api, error_of


@pytest.fixture
def lenient() -> Iterator[Api]:
    with Api(Settings(now=NOW, lenient=True)) as client:
        yield client


PUSH = {
    "from": "push",
    "to": {"registration_id": ["1a0018970ab49abda3e"]},
    "body": {"platform": "android", "notification": {"alert": "hello"}},
}


def body(name: str = "news", trigger: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "name": name,
        "enabled": True,
        "trigger": trigger
        if trigger is not None
        else {"single": {"time": "2027-01-19 12:00:00", "zone_type": 1}},
        "push": PUSH,
    }
    result.update(extra)
    return result


def single(time: str, **extra: Any) -> dict[str, Any]:
    return {"single": {"time": time, **extra}}


def periodical(**fields: Any) -> dict[str, Any]:
    spec = {
        "start": "2026-11-22 00:00:00",
        "end": "2027-04-21 00:00:00",
        "time": "12:00:00",
        "time_unit": "day",
        "point": [],
        "zone_type": 1,
    }
    spec.update(fields)
    return {"periodical": {k: v for k, v in spec.items() if v is not ...}}


def refused(
    api: Api, payload: Any, method: str = "POST", sid: str | None = None
) -> tuple[int, int]:
    url = "/v4/schedules" if sid is None else f"/v4/schedules/{sid}"
    return error_of(api.request(method, url, json=payload))


# Names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["a", "news_2026", "定时推送示例", "Mixed_中文_123", "x" * 255, "中" * 85, "𠀀"],
)
def test_names_accepted(api: Api, name: str) -> None:
    api.create(body(name))


@pytest.mark.parametrize(
    "name",
    ["", "x" * 256, "中" * 86, "with space", "dash-ed", "dot.ted", "emoji🙂", "ümlaut", 7, None],
)
def test_names_refused_28100(api: Api, name: object) -> None:
    assert refused(api, body(name)) == (400, 28100)  # type: ignore[arg-type]


def test_names_with_spaces_only_when_lenient(api: Api, lenient: Api) -> None:
    assert refused(api, body("Timed Push Example_single")) == (400, 28100)
    lenient.create(body("Timed Push Example_single"))
    assert refused(lenient, body("still-no-dash")) == (400, 28100)


# enabled and the four fields --------------------------------------------------------------


def test_enabled_must_be_true_on_create(api: Api) -> None:
    assert refused(api, {**body(), "enabled": False}) == (400, 28100)
    assert refused(api, {**body(), "enabled": "true"}) == (400, 28100)
    assert refused(api, {**body(), "enabled": 1}) == (400, 28100)


@pytest.mark.parametrize("missing", ["name", "enabled", "trigger", "push"])
def test_create_without_a_field_is_28100(api: Api, missing: str) -> None:
    payload = body()
    del payload[missing]
    assert refused(api, payload) == (400, 28100)


def test_unknown_top_level_field_is_28100(api: Api) -> None:
    assert refused(api, body(previous_name="old")) == (400, 28100)


# Time formats (28103) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "time",
    [
        "2026-2-15 13:16:59",  # the documents' own incomplete examples
        "2026-12-15 13:16",
        "2027-01-19T12:00:00",
        "2027-01-19 12:00:00 ",
        "2026-02-30 12:00:00",
        "2027-01-19 24:00:00",
        "now",
        20260301,
        None,
    ],
)
def test_malformed_single_time_is_28103(api: Api, time: object) -> None:
    assert refused(api, body(trigger=single(time))) == (400, 28103)  # type: ignore[arg-type]


def test_single_time_in_the_past_or_beyond_a_year_is_28103(api: Api) -> None:
    assert refused(api, body(trigger=single("2026-11-20 23:59:59"))) == (400, 28103)
    assert refused(api, body(trigger=single("2026-11-21 00:00:00"))) == (400, 28103)
    assert refused(api, body(trigger=single("2027-11-21 00:00:01"))) == (400, 28103)
    api.create(body(trigger=single("2027-11-21 00:00:00")))
    api.create(body(trigger=single("2026-11-21 00:00:01")))


def test_single_time_is_read_in_the_site_zone() -> None:
    shanghai = AppCredentials("cn_app", "cn_secret", "Asia/Shanghai")
    api = Api(Settings(apps=(shanghai,), now=NOW))  # 08:00 in Shanghai
    try:
        assert refused(api, body(trigger=single("2026-11-21 07:59:59"))) == (400, 28103)
        api.create(body(trigger=single("2026-11-21 08:00:01")))
    finally:
        api.close()


def test_device_zone_single_is_valid_until_it_has_passed_everywhere(api: Api) -> None:
    # zone_type 2: 2026-11-21 06:00 local is still ahead in UTC-12 at 00:00 UTC...
    api.create(body(trigger=single("2026-11-21 06:00:00", zone_type=2)))
    # ...but 2026-11-20 11:00 local has passed even there.
    assert refused(api, body(trigger=single("2026-11-20 11:00:00", zone_type=2))) == (400, 28103)


@pytest.mark.parametrize(
    "fields",
    [
        {"start": "2026-1-02 00:00:00"},
        {"end": "2027-04-21"},
        {"time": "12:00"},
        {"time": "25:00:00"},
        {"time": "2026-11-22 12:00:00"},
        {"start": "2027-04-21 00:00:00", "end": "2027-04-21 00:00:00"},  # start == end
        {"start": "2027-04-22 00:00:00"},  # start after end
        {"start": "2025-11-21 00:00:00", "end": "2026-11-20 00:00:00"},  # over already
    ],
)
def test_periodical_time_errors_are_28103(api: Api, fields: dict[str, Any]) -> None:
    assert refused(api, body(trigger=periodical(**fields))) == (400, 28103)


def test_periodical_start_in_the_past_is_fine(api: Api) -> None:
    api.create(body(trigger=periodical(start="2026-04-21 00:00:00")))


@pytest.mark.parametrize("backup", ["2026-1-1 00:00:00", "tomorrow", "", 0, "2026-11-20 00:00:00"])
def test_intelligent_backup_time_errors_are_28103(api: Api, backup: object) -> None:
    payload = body(trigger={"intelligent": {"backup_time": backup}})
    assert refused(api, payload) == (400, 28103)


def test_intelligent_backup_time_accepts_now_and_a_time(api: Api) -> None:
    api.create(body(trigger={"intelligent": {"backup_time": "now"}}))
    api.create(body(trigger={"intelligent": {"backup_time": "2026-12-22 10:00:00"}}))


# zone_type, time_unit and point (28100) --------------------------------------------------


@pytest.mark.parametrize("zone_type", [0, 3, "1", True, None, 1.5])
def test_zone_type_must_be_1_or_2(api: Api, zone_type: object) -> None:
    assert refused(api, body(trigger=single("2027-01-19 00:00:00", zone_type=zone_type))) == (
        400,
        28100,
    )
    assert refused(api, body(trigger=periodical(zone_type=zone_type))) == (400, 28100)


def test_absent_zone_type_is_accepted(api: Api) -> None:
    api.create(body(trigger=single("2027-01-19 00:00:00")))
    api.create(body(trigger=periodical(zone_type=...)))


@pytest.mark.parametrize(
    "fields",
    [
        {"time_unit": "hour"},
        {"time_unit": ""},
        {"time_unit": None},
        {"time_unit": "day", "point": ["MON"]},
        {"time_unit": "week", "point": []},
        {"time_unit": "week", "point": ["MONDAY"]},
        {"time_unit": "week", "point": ["01"]},
        {"time_unit": "month", "point": ["1"]},
        {"time_unit": "month", "point": ["32"]},
        {"time_unit": "month", "point": ["00"]},
        {"time_unit": "month", "point": [1]},
        {"time_unit": "month", "point": None},
        {"time_unit": "week", "point": {"MON": True}},
        {"frequency": 0},
        {"frequency": 101},
        {"frequency": "2"},
        {"extra": 1},
        {"time_unit": ...},
    ],
)
def test_time_unit_and_point_must_fit_28100(api: Api, fields: dict[str, Any]) -> None:
    assert refused(api, body(trigger=periodical(**fields))) == (400, 28100)


@pytest.mark.parametrize(
    "fields",
    [
        {"time_unit": "DAY", "point": None},
        {"time_unit": "Day", "point": ...},
        {"time_unit": "week", "point": ["mon", "Fri", "SUN"]},
        {"time_unit": "WEEK", "point": "MON,WED"},  # the table types point as a String
        {"time_unit": "month", "point": ["01", "15", "31"]},
        {"time_unit": "month", "point": "31"},
        {"time_unit": "day", "frequency": 3},
    ],
)
def test_valid_units_and_points(api: Api, fields: dict[str, Any]) -> None:
    api.create(body(trigger=periodical(**fields)))


def test_trigger_must_hold_exactly_one_known_kind(api: Api) -> None:
    both = {**single("2027-01-19 00:00:00"), **periodical()}
    for trigger in ({}, both, {"cron": {}}, {"single": "2027-01-19 00:00:00"}, ["single"]):
        assert refused(api, body(trigger=trigger)) == (400, 28100)  # type: ignore[arg-type]
    assert refused(api, body(trigger={"single": {"zone_type": 1}})) == (400, 28100)


def test_window_without_any_fire_time_is_28105(api: Api) -> None:
    only_february = periodical(
        start="2027-02-01 00:00:00", end="2027-02-28 23:59:59", time_unit="month", point=["31"]
    )
    assert refused(api, body(trigger=only_february)) == (404, 28105)
    no_friday = periodical(
        start="2026-11-23 00:00:00", end="2026-11-26 00:00:00", time_unit="week", point=["FRI"]
    )
    assert refused(api, body(trigger=no_friday)) == (404, 28105)
    # 2026-11-22 13:00 to 2026-11-23 11:00 never reaches 12:00.
    short = periodical(start="2026-11-22 13:00:00", end="2026-11-23 11:00:00")
    assert refused(api, body(trigger=short)) == (404, 28105)


# push (28102) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "push",
    [
        None,
        "all",
        {},
        {"to": "all"},
        {"body": {"platform": "all", "notification": {"alert": "x"}}},
        {"to": "everyone", "body": {"platform": "all", "notification": {"alert": "x"}}},
        {"to": {}, "body": {"platform": "all", "notification": {"alert": "x"}}},
        {"to": "all", "body": {"platform": "web", "notification": {"alert": "x"}}},
        {"to": "all", "body": {"platform": [], "notification": {"alert": "x"}}},
        {"to": "all", "body": {"notification": {"alert": "x"}}},
        {"to": "all", "body": {"platform": "all"}},  # neither notification nor message
        {"to": "all", "body": {"platform": "all", "options": {"time_to_live": 60}}},
        {"to": "all", "body": {"platform": "all", "notification": {"alert": 5}}},
        {"to": "all", "body": {"platform": "all", "notification": {"alert": "x"}}, "x": 1},
        {
            "to": "all",
            "body": {"platform": "all", "notification": {"alert": "x"}},
            "request_id": 12345,
        },
        {
            "to": "all",
            "body": {
                "platform": "all",
                "notification": {"alert": "x"},
                "options": {"time_to_live": -1},
            },
        },
    ],
)
def test_invalid_push_is_28102(api: Api, push: object) -> None:
    assert refused(api, body(push=push)) == (400, 28102)


@pytest.mark.parametrize(
    "push",
    [
        {"to": "all", "body": {"platform": "all", "notification": {"alert": "x"}}},
        {"to": {"tag": ["vip"]}, "body": {"platform": ["ios", "android"], "message": {}}},
        {
            "to": {"alias": ["u1"]},
            "body": {"platform": "hmos", "message": {"msg_content": "x", "title": "t"}},
        },
        {"to": {"registration_id": []}, "body": {"platform": "ios", "notification": {}}},
    ],
)
def test_valid_pushes(api: Api, push: dict[str, Any]) -> None:
    api.create(body(push=push))


# Updates ---------------------------------------------------------------------------------


def test_put_is_a_full_replacement(api: Api, lenient: Api) -> None:
    sid = api.create(body())
    for partial in ({"name": "x"}, {"push": PUSH}, {"name": "n", "enabled": True, "push": PUSH}):
        assert refused(api, partial, "PUT", sid) == (400, 28100)
    # Lenient: the fields sent are merged into the stored schedule.
    lsid = lenient.create(body(trigger=periodical()))
    answer = lenient.request(
        "PUT", f"/v4/schedules/{lsid}", json={"push": {"body": {"platform": "ios"}}}
    )
    assert answer.status_code == 200
    assert answer.json()["push"]["body"] == {"platform": "ios", "notification": {"alert": "hello"}}
    assert answer.json()["push"]["to"] == PUSH["to"]
    end = {"trigger": {"periodical": {"end": "2027-05-21 00:00:00"}}}
    merged = lenient.request("PUT", f"/v4/schedules/{lsid}", json=end).json()
    assert merged["trigger"] == periodical(end="2027-05-21 00:00:00")


def test_update_may_disable_but_not_break_the_rules(api: Api) -> None:
    sid = api.create(body())
    assert refused(api, body(enabled="no"), "PUT", sid) == (400, 28100)
    assert refused(api, body(trigger=single("2025-11-21 00:00:00")), "PUT", sid) == (400, 28103)
    assert refused(api, body(push={"to": "all"}), "PUT", sid) == (400, 28102)
    assert api.request("PUT", f"/v4/schedules/{sid}", json=body(enabled=False)).status_code == 200


def test_no_zone_type_switch_on_update(api: Api) -> None:
    local = api.create(body(trigger=single("2027-01-19 00:00:00", zone_type=1)))
    device = api.create(body(trigger=single("2027-01-19 00:00:00", zone_type=2)))
    absent = api.create(body(trigger=single("2027-01-19 00:00:00")))
    to_device = body(trigger=single("2027-01-20 00:00:00", zone_type=2))
    to_site = body(trigger=single("2027-01-20 00:00:00", zone_type=1))
    assert refused(api, to_device, "PUT", local) == (400, 28100)
    assert refused(api, to_site, "PUT", device) == (400, 28100)
    assert refused(api, to_device, "PUT", absent) == (400, 28100)
    # Absent reads as the site zone, like 1: no switch.
    assert api.request("PUT", f"/v4/schedules/{absent}", json=to_site).status_code == 200
    assert api.request("PUT", f"/v4/schedules/{local}", json=body()).status_code == 200
    periodic = api.create(body(trigger=periodical(zone_type=2)))
    assert refused(api, body(trigger=periodical(zone_type=1)), "PUT", periodic) == (400, 28100)


def test_no_trigger_kind_switch_on_update(api: Api) -> None:
    one_off = api.create(body(trigger=single("2027-01-19 00:00:00")))
    repeating = api.create(body(trigger=periodical()))
    smart = api.create(body(trigger={"intelligent": {"backup_time": "2027-01-19 00:00:00"}}))
    assert refused(api, body(trigger=periodical()), "PUT", one_off) == (400, 28100)
    assert refused(api, body(trigger=single("2027-01-19 00:00:00")), "PUT", repeating) == (
        400,
        28100,
    )
    assert refused(api, body(trigger=single("2027-01-19 00:00:00")), "PUT", smart) == (400, 28100)


def test_quota_counts_only_active_schedules() -> None:
    api = Api(Settings(now=NOW, quota=2))
    try:
        api.create(body(trigger=single("2026-11-21 00:00:30")))
        api.create(body())
        assert refused(api, body()) == (400, 28100)
        api.request("PUT", "/_emulator/clock", json={"now": "2026-11-21T00:01:00+00:00"})
        api.create(body())  # the first one expired, freeing a slot
    finally:
        api.close()


def test_the_demo_app_constant() -> None:
    assert AppCredentials("demo_app_key", "demo_master_secret", "UTC") == DEMO_APP
