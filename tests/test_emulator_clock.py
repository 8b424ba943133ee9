"""The emulator's clock, fire times, msg-ids after firing, and expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reconciler.emulator import DEMO_APP, AppCredentials, Settings, create_app
from tests.support.clock import NOW
from tests.support.emulator import Api

PUSH = {"to": {"alias": ["u1"]}, "body": {"platform": "all", "notification": {"alert": "x"}}}


def schedule(trigger: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "n", "enabled": True, "trigger": trigger, "push": PUSH, **extra}


def create(api: Api, trigger: dict[str, Any], **extra: Any) -> str:
    return api.create(schedule(trigger, **extra))


def periodical(start: str, end: str, unit: str = "day", point: Any = None, **extra: Any) -> Any:
    spec = {"start": start, "end": end, "time": "12:00:00", "time_unit": unit, **extra}
    if point is not None:
        spec["point"] = point
    return {"periodical": spec}


# The clock ------------------------------------------------------------------------------


def test_clock_from_settings_env_and_admin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2030-05-05T05:05:05+02:00")
    from_env = Api(Settings())
    from_settings = Api(Settings(now=NOW))
    try:
        state = from_env.request("GET", "/_emulator/state").json()
        assert state["clock"] == {"now": "2030-05-05T03:05:05+00:00", "fixed": True}
        assert from_settings.set_clock("2026-12-22T00:00:00Z") == {
            "now": "2026-12-22T00:00:00+00:00",
            "fixed": True,
        }
        # A fixed clock does not tick.
        first = from_settings.request("GET", "/_emulator/clock").json()
        second = from_settings.request("GET", "/_emulator/clock").json()
        assert first == second == {"now": "2026-12-22T00:00:00+00:00", "fixed": True}
        # null: back to the wall clock.
        wall = from_settings.set_clock(None)
        assert wall["fixed"] is False
        moment = datetime.fromisoformat(wall["now"])
        assert abs(moment - datetime.now(UTC)) < timedelta(minutes=5)
    finally:
        from_env.close()
        from_settings.close()


def test_wall_clock_without_any_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECONCILER_NOW", raising=False)
    api = Api(Settings())
    try:
        clock = api.request("GET", "/_emulator/clock").json()
        assert clock["fixed"] is False
        assert abs(datetime.fromisoformat(clock["now"]) - datetime.now(UTC)) < timedelta(minutes=5)
    finally:
        api.close()


def test_bad_clock_values(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    for body in ({"now": "2026-11-21 00:00:00"}, {"now": "yesterday"}, {"now": 5}, {}, []):
        response = api.request("PUT", "/_emulator/clock", json=body)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == 28100
    monkeypatch.setenv("RECONCILER_NOW", "2026-11-21T00:00:00")  # no offset
    with pytest.raises(ValueError, match="RECONCILER_NOW"):
        create_app(Settings())


# Single and intelligent -------------------------------------------------------------------


def test_single_fires_then_expires_but_its_msg_ids_stay(api: Api) -> None:
    sid = create(api, {"single": {"time": "2026-11-25 08:00:00", "zone_type": 1}})
    api.set_clock("2026-11-25T07:59:59+00:00")
    assert api.runs(sid) == []
    assert api.status(sid) == 200
    api.set_clock("2026-11-25T08:00:00+00:00")
    (run,) = api.runs(sid)
    assert run["msg_id"].isdigit()
    assert run["msg_id"] != "0"
    assert run["error"] == {"code": 0, "message": ""}
    assert run["needRetry"] is False
    assert run["ts"] == int(datetime(2026, 11, 25, 8, tzinfo=UTC).timestamp() * 1000)
    # Expired: out of the list, 404 on GET, PUT and DELETE; the history stays readable.
    assert api.status(sid) == 404
    assert api.request("GET", "/v4/schedules").json()["total_count"] == 0
    update = schedule({"single": {"time": "2026-12-22 00:00:00"}})
    put = api.request("PUT", f"/v4/schedules/{sid}", json=update)
    assert (put.status_code, put.json()["error"]["code"]) == (404, 28104)
    assert api.request("DELETE", f"/v4/schedules/{sid}").status_code == 404
    assert len(api.runs(sid)) == 1
    # Setting the clock back neither revives nor refires it.
    api.set_clock("2026-11-22T00:00:00+00:00")
    assert api.status(sid) == 404
    assert len(api.runs(sid)) == 1


def test_single_is_read_in_the_app_site_zone() -> None:
    app = AppCredentials("cn", "secret", "Asia/Shanghai")
    api = Api(Settings(apps=(app,), now=NOW))
    try:
        sid = create(api, {"single": {"time": "2026-11-21 20:00:00"}})  # absent zone_type
        api.set_clock("2026-11-21T11:59:59+00:00")
        assert api.runs(sid) == []
        api.set_clock("2026-11-21T12:00:00+00:00")
        assert api.fire_times(sid) == ["2026-11-21 12:00"]
        assert api.status(sid) == 404
    finally:
        api.close()


def test_device_zone_single_runs_at_utc_plus_14_and_expires_at_utc_minus_12(api: Api) -> None:
    sid = create(api, {"single": {"time": "2026-11-22 00:00:00", "zone_type": 2}})
    api.set_clock("2026-11-21T10:00:00+00:00")  # midnight in UTC+14
    assert api.fire_times(sid) == ["2026-11-21 10:00"]
    assert api.status(sid) == 200  # still ahead in other zones
    api.set_clock("2026-11-22T11:59:59+00:00")
    assert api.status(sid) == 200
    api.set_clock("2026-11-22T12:00:00+00:00")  # midnight in UTC-12
    assert api.status(sid) == 404
    assert len(api.runs(sid)) == 1


def test_intelligent_fires_at_backup_time_and_expires(api: Api) -> None:
    sid = create(api, {"intelligent": {"backup_time": "2026-11-23 09:30:00"}})
    api.set_clock("2026-11-23T09:29:00+00:00")
    assert api.status(sid) == 200
    assert api.runs(sid) == []
    api.set_clock("2026-11-23T09:30:00+00:00")
    assert api.fire_times(sid) == ["2026-11-23 09:30"]
    assert api.status(sid) == 404


def test_intelligent_now_fires_at_once_and_expires(api: Api) -> None:
    sid = create(api, {"intelligent": {"backup_time": "now"}})
    assert api.fire_times(sid) == ["2026-11-21 00:00"]
    assert api.status(sid) == 404


def test_disabled_schedules_do_not_fire_but_still_expire(api: Api) -> None:
    sid = create(api, periodical("2026-11-21 00:00:00", "2026-11-30 00:00:00"))
    api.set_clock("2026-11-23T00:00:00+00:00")
    body = schedule(periodical("2026-11-21 00:00:00", "2026-11-30 00:00:00"), enabled=False)
    assert api.request("PUT", f"/v4/schedules/{sid}", json=body).status_code == 200
    api.set_clock("2026-11-29T13:00:00+00:00")
    assert api.fire_times(sid) == ["2026-11-21 12:00", "2026-11-22 12:00"]
    api.set_clock("2026-11-30T00:00:00+00:00")
    assert api.status(sid) == 404


def test_a_push_to_no_one_records_error_1011(api: Api) -> None:
    body = {
        "name": "nobody",
        "enabled": True,
        "trigger": {"single": {"time": "2026-11-21 01:00:00"}},
        "push": {"to": {"registration_id": [], "tag": []}, "body": PUSH["body"]},
    }
    sid = api.request("POST", "/v4/schedules", json=body).json()["schedule_id"]
    api.set_clock("2026-11-21T02:00:00+00:00")
    (run,) = api.runs(sid)
    assert run["msg_id"] == "0"
    assert run["error"] == {"code": 1011, "message": "Cannot find sending target"}


# Periodical -------------------------------------------------------------------------------


def test_daily_runs_and_expiry_at_the_end(api: Api) -> None:
    sid = create(api, periodical("2026-11-21 13:00:00", "2026-11-24 12:00:00", point=[]))
    api.set_clock("2026-11-30T00:00:00+00:00")
    # 2026-11-21 12:00 is before the start; 2026-11-24 12:00 is exactly the end.
    assert api.fire_times(sid) == ["2026-11-22 12:00", "2026-11-23 12:00", "2026-11-24 12:00"]
    assert api.status(sid) == 404


def test_weekly_points(api: Api) -> None:
    sid = create(
        api, periodical("2026-11-26 00:00:00", "2026-12-15 00:00:00", "week", ["mon", "FRI"])
    )
    api.set_clock("2026-12-27T00:00:00+00:00")
    assert api.fire_times(sid) == [
        "2026-11-27 12:00",  # Friday: the start is a Thursday
        "2026-11-30 12:00",
        "2026-12-04 12:00",
        "2026-12-07 12:00",
        "2026-12-11 12:00",
        "2026-12-14 12:00",
    ]


def test_monthly_points_skip_dates_a_month_lacks(api: Api) -> None:
    sid = create(
        api, periodical("2027-01-01 00:00:00", "2027-07-01 00:00:00", "month", ["31", "30"])
    )
    api.set_clock("2027-08-01T00:00:00+00:00")
    assert api.fire_times(sid) == [
        "2027-01-30 12:00",
        "2027-01-31 12:00",
        "2027-03-30 12:00",  # no 30th or 31st in February
        "2027-03-31 12:00",
        "2027-04-30 12:00",
        "2027-05-30 12:00",
        "2027-05-31 12:00",
        "2027-06-30 12:00",
    ]


def test_frequency_counts_from_the_start(api: Api) -> None:
    every_3rd_day = create(
        api, periodical("2026-12-01 00:00:00", "2026-12-10 23:00:00", frequency=3)
    )
    every_2nd_week = create(
        api, periodical("2026-12-01 00:00:00", "2027-01-01 00:00:00", "week", ["MON"], frequency=2)
    )
    every_2nd_month = create(
        api, periodical("2026-12-01 00:00:00", "2027-06-01 00:00:00", "month", ["15"], frequency=2)
    )
    api.set_clock("2027-07-01T00:00:00+00:00")
    assert api.fire_times(every_3rd_day) == [
        "2026-12-01 12:00",
        "2026-12-04 12:00",
        "2026-12-07 12:00",
        "2026-12-10 12:00",
    ]
    # The start's week (30 Nov..6 Dec) counts as week 0 and has no Monday in the window.
    assert api.fire_times(every_2nd_week) == ["2026-12-14 12:00", "2026-12-28 12:00"]
    assert api.fire_times(every_2nd_month) == [
        "2026-12-15 12:00",
        "2027-02-15 12:00",
        "2027-04-15 12:00",
    ]


def test_periodical_times_follow_the_site_zone_across_dst() -> None:
    app = AppCredentials("eu", "secret", "Europe/Berlin")
    api = Api(Settings(apps=(app,), now=datetime(2026, 3, 1, tzinfo=UTC)))
    try:
        sid = create(api, periodical("2026-03-27 00:00:00", "2026-03-31 00:00:00", zone_type=1))
        api.set_clock("2026-04-01T00:00:00+00:00")
        assert api.fire_times(sid) == [
            "2026-03-27 11:00",
            "2026-03-28 11:00",
            "2026-03-29 10:00",  # summer time from 29 March
            "2026-03-30 10:00",
        ]
    finally:
        api.close()


def test_device_zone_periodical(api: Api) -> None:
    sid = create(api, periodical("2026-11-22 00:00:00", "2026-11-23 23:00:00", zone_type=2))
    api.set_clock("2026-11-22T22:00:00+00:00")
    # 12:00 local is reached first at 22:00 UTC the day before (UTC+14).
    assert api.fire_times(sid) == ["2026-11-21 22:00", "2026-11-22 22:00"]
    api.set_clock("2026-11-24T10:59:00+00:00")
    assert api.status(sid) == 200  # 23:00 on the 3rd is still ahead in UTC-12
    api.set_clock("2026-11-24T11:00:00+00:00")
    assert api.status(sid) == 404


def test_runs_are_recorded_once_across_ticks_and_updates(api: Api) -> None:
    trigger = periodical("2026-11-21 00:00:00", "2026-12-22 00:00:00")
    sid = create(api, trigger)
    for day in range(1, 6):
        api.set_clock(f"2026-11-{20 + day}T12:00:00+00:00")
        api.set_clock(f"2026-11-{20 + day}T12:00:00+00:00")
    body = schedule(trigger, name="n2")
    assert api.request("PUT", f"/v4/schedules/{sid}", json=body).status_code == 200
    api.set_clock("2026-11-26T00:00:00+00:00")
    runs = api.runs(sid)
    assert len(runs) == 5
    assert len({run["msg_id"] for run in runs}) == 5


def test_catch_up_is_capped_at_10000_runs(api: Api) -> None:
    sid = create(api, periodical("2026-11-22 00:00:00", "2056-11-20 00:00:00"))
    api.set_clock("2057-04-21T00:00:00+00:00")
    state = api.request("GET", "/_emulator/state").json()
    (entry,) = state["apps"][DEMO_APP.key]["schedules"]
    assert entry["runs"] == 10_000
    assert entry["expired"] is True
    assert api.status(sid) == 404
