"""Timing: strict formats, zones, expiry and the next fire times."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import pytest

from reconciler.core.model import Intelligent, Periodical, Single
from reconciler.core.timing import (
    LAST_ZONE,
    describe_zone,
    expiry_zone,
    format_runs,
    is_expired,
    last_moment,
    next_runs,
    now_from_env,
    parse_datetime,
    parse_time,
    zone,
)
from tests.support.clock import NOW, NOW_ISO

UTC_ZONE = zone("UTC")
SGT = zone("Asia/Singapore")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- formats -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2026-12-24 18:00:00", datetime(2026, 12, 24, 18)),
        ("2024-02-29 00:00:00", datetime(2024, 2, 29)),
        ("2026-01-01 23:59:59", datetime(2026, 1, 1, 23, 59, 59)),
    ],
)
def test_parse_datetime(text: str, value: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == value
    assert parsed.tzinfo is None


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-24T18:00:00",
        "2026-12-24 18:00",
        "2026-12-24",
        "2026-1-1 00:00:00",
        "2026-01-01 0:00:00",
        " 2026-01-01 00:00:00",
        "2026-01-01 00:00:00 ",
        "2026-01-01 00:00:00\n",
        "2026-01-01  00:00:00",
        "2026-01-01 00:00:00.5",
        "2026-01-01 00:00:00+08:00",
        "2026/01/01 00:00:00",
        "26-01-01 00:00:00",
        "２０２６-01-01 00:00:00",
        "now",
        "",
    ],
)
def test_parse_datetime_refuses_other_formats(text: str) -> None:
    with pytest.raises(
        ValueError, match=r"is not yyyy-MM-dd HH:mm:ss \(e\.g\. \"2026-12-24 18:00:00\"\)"
    ):
        parse_datetime(text)


@pytest.mark.parametrize(
    "text",
    [
        "2024-02-30 00:00:00",
        "2026-02-29 00:00:00",
        "2026-04-31 00:00:00",
        "2026-13-01 00:00:00",
        "2026-00-10 00:00:00",
        "2026-01-00 00:00:00",
        "2026-01-01 25:00:00",
        "2026-01-01 24:00:00",
        "2026-01-01 12:60:00",
        "2026-01-01 12:00:60",
        "0000-01-01 00:00:00",
    ],
)
def test_parse_datetime_refuses_unreal_dates(text: str) -> None:
    with pytest.raises(ValueError, match="is not a real date and time"):
        parse_datetime(text)


def test_parse_time() -> None:
    assert parse_time("00:00:00") == time(0)
    assert parse_time("23:59:59") == time(23, 59, 59)


@pytest.mark.parametrize(
    "text",
    ["12:00", "1:00:00", "12:00:00.0", "12:00:00 ", "T12:00:00", "12-00-00", "１２:00:00", ""],
)
def test_parse_time_refuses_other_formats(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not HH:mm:ss \(e\.g\. \"12:00:00\"\)"):
        parse_time(text)


@pytest.mark.parametrize("text", ["25:00:00", "24:00:00", "12:60:00", "12:00:60", "99:99:99"])
def test_parse_time_refuses_unreal_times(text: str) -> None:
    with pytest.raises(ValueError, match="is not a real time of day"):
        parse_time(text)


# --- zones and the clock ---------------------------------------------------------------------


def test_zone_by_name() -> None:
    assert datetime(2026, 6, 1, tzinfo=SGT).utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "utc+8", "../etc/passwd"])
def test_unknown_zone_is_a_value_error_naming_it(name: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        zone(name)


def test_now_from_env() -> None:
    assert now_from_env({"RECONCILER_NOW": "2026-06-01T00:00:00+00:00"}) == datetime(
        2026, 6, 1, tzinfo=UTC
    )
    assert now_from_env({"RECONCILER_NOW": "2026-06-01T08:00:00+08:00"}).utcoffset() == timedelta(
        hours=8
    )
    wall = now_from_env({})
    assert wall.tzinfo is not None
    assert abs(wall - datetime.now(UTC)) < timedelta(minutes=1)


def test_now_from_env_refuses_bad_values() -> None:
    with pytest.raises(ValueError, match="is not ISO 8601"):
        now_from_env({"RECONCILER_NOW": "tomorrow"})
    with pytest.raises(ValueError, match="needs an offset"):
        now_from_env({"RECONCILER_NOW": "2026-06-01T00:00:00"})


# --- expiry ----------------------------------------------------------------------------------


def test_expiry_zone() -> None:
    assert expiry_zone(2, SGT) is LAST_ZONE
    assert expiry_zone(1, SGT) is SGT
    assert expiry_zone(None, SGT) is SGT
    assert LAST_ZONE.utcoffset(None) == timedelta(hours=-12)


def test_zone_type_2_expires_when_utc_minus_12_passes_the_time() -> None:
    single = Single("2026-06-01 06:00:00", zone_type=2)
    assert last_moment(single, SGT) == datetime(2026, 6, 1, 18, tzinfo=UTC)
    assert not is_expired(single, at("2026-06-01T17:59:59+00:00"), SGT)
    assert is_expired(single, at("2026-06-01T18:00:00+00:00"), SGT)


def test_zone_type_1_expires_in_the_site_zone() -> None:
    single = Single("2026-06-01 06:00:00", zone_type=1)
    assert not is_expired(single, at("2026-05-31T21:59:59+00:00"), SGT)
    assert is_expired(single, at("2026-05-31T22:00:00+00:00"), SGT)
    assert is_expired(Single("2026-06-01 06:00:00"), at("2026-05-31T22:00:00+00:00"), SGT)


def test_periodical_expires_at_its_end_and_intelligent_at_its_backup_time() -> None:
    periodical = Periodical(
        "2026-01-01 00:00:00", "2026-06-01 00:00:00", "09:00:00", "day", zone_type=2
    )
    assert last_moment(periodical, UTC_ZONE) == datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert is_expired(Intelligent("2026-06-01 07:00:00"), at("2026-06-01T00:00:00+01:00"), SGT)
    assert not is_expired(Intelligent("2026-06-01 09:00:00"), at("2026-06-01T00:00:00+00:00"), SGT)


# --- next fire times -------------------------------------------------------------------------


def runs(
    trigger: Periodical | Single | Intelligent, now: str, count: int = 3, site: str = "UTC"
) -> list[str]:
    return [d.strftime("%Y-%m-%d %H:%M:%S") for d in next_runs(trigger, at(now), zone(site), count)]


def periodical(
    unit: str, point: tuple[str, ...] = (), frequency: int | None = None, **kw: str
) -> Periodical:
    start = kw.get("start", "2026-01-01 00:00:00")
    end = kw.get("end", "2027-01-01 00:00:00")
    return Periodical(start, end, kw.get("time", "08:00:00"), unit, point, 1, frequency)


def test_day() -> None:
    assert runs(periodical("day"), "2026-03-15T12:00:00+00:00") == [
        "2026-03-16 08:00:00",
        "2026-03-17 08:00:00",
        "2026-03-18 08:00:00",
    ]


def test_day_later_today() -> None:
    assert runs(periodical("day"), "2026-03-15T07:59:59+00:00", 1) == ["2026-03-15 08:00:00"]
    assert runs(periodical("day"), "2026-03-15T08:00:00+00:00", 1) == ["2026-03-16 08:00:00"]


def test_day_with_frequency_counts_from_start() -> None:
    trigger = periodical("day", frequency=3, start="2026-03-10 00:00:00")
    assert runs(trigger, "2026-03-15T00:00:00+00:00") == [
        "2026-03-16 08:00:00",
        "2026-03-19 08:00:00",
        "2026-03-22 08:00:00",
    ]


def test_before_start_begins_at_start() -> None:
    trigger = periodical("day", start="2026-07-01 09:00:00")
    assert runs(trigger, "2026-06-01T00:00:00+00:00", 2) == [
        "2026-07-02 08:00:00",  # 08:00 on the 1st is before the 09:00 start
        "2026-07-03 08:00:00",
    ]


def test_end_is_the_last_possible_run() -> None:
    trigger = periodical("day", end="2026-03-17 08:00:00")
    assert runs(trigger, "2026-03-15T12:00:00+00:00", 5) == [
        "2026-03-16 08:00:00",
        "2026-03-17 08:00:00",
    ]
    assert runs(trigger, "2026-03-17T08:00:00+00:00") == []


def test_week() -> None:
    trigger = periodical("week", ("MON", "FRI"))
    # 2026-03-15 is a Sunday.
    assert runs(trigger, "2026-03-15T00:00:00+00:00", 4) == [
        "2026-03-16 08:00:00",
        "2026-03-20 08:00:00",
        "2026-03-23 08:00:00",
        "2026-03-27 08:00:00",
    ]


def test_week_with_frequency_counts_weeks_from_the_start_week() -> None:
    trigger = periodical("week", ("MON", "FRI"), 2, start="2026-03-04 00:00:00")  # a Wednesday
    assert runs(trigger, "2026-03-04T00:00:00+00:00", 4) == [
        "2026-03-06 08:00:00",
        "2026-03-16 08:00:00",
        "2026-03-20 08:00:00",
        "2026-03-30 08:00:00",
    ]


def test_month_skips_days_a_month_lacks() -> None:
    trigger = periodical("month", ("31",))
    assert runs(trigger, "2026-03-15T00:00:00+00:00", 4) == [
        "2026-03-31 08:00:00",
        "2026-05-31 08:00:00",  # no 31 April
        "2026-07-31 08:00:00",  # no 31 June
        "2026-08-31 08:00:00",
    ]


def test_month_29_in_february_only_in_leap_years() -> None:
    trigger = periodical("month", ("29",), start="2027-01-01 00:00:00", end="2028-12-31 00:00:00")
    assert runs(trigger, "2027-01-30T00:00:00+00:00", 2) == [
        "2027-03-29 08:00:00",
        "2027-04-29 08:00:00",
    ]
    assert runs(trigger, "2028-02-01T00:00:00+00:00", 1) == ["2028-02-29 08:00:00"]


def test_month_with_frequency_counts_months_from_start() -> None:
    trigger = periodical("month", ("01", "15"), 2)
    assert runs(trigger, "2026-03-15T00:00:00+00:00", 4) == [
        "2026-03-15 08:00:00",
        "2026-05-01 08:00:00",
        "2026-05-15 08:00:00",
        "2026-07-01 08:00:00",
    ]


def test_sparsest_periodical_still_finds_its_runs() -> None:
    trigger = periodical(
        "month", ("31",), 100, start="2026-01-01 00:00:00", end="2040-01-01 00:00:00"
    )
    assert runs(trigger, "2026-01-01T00:00:00+00:00", 1) == ["2026-01-31 08:00:00"]
    # 100 months on from January 2026 is May 2034 (the 31st exists then).
    assert runs(trigger, "2026-02-01T00:00:00+00:00", 1) == ["2034-05-31 08:00:00"]


def test_runs_are_wall_times_of_the_site_zone() -> None:
    trigger = periodical("day")
    # 2026-03-15T23:30Z is already 07:30 on the 16th in Singapore.
    assert runs(trigger, "2026-03-15T23:30:00+00:00", 1, "Asia/Singapore") == [
        "2026-03-16 08:00:00"
    ]
    assert runs(trigger, "2026-03-16T00:30:00+00:00", 1, "Asia/Singapore") == [
        "2026-03-17 08:00:00"
    ]


def test_zone_type_2_runs_are_judged_in_utc_minus_12() -> None:
    trigger = Periodical("2026-01-01 00:00:00", "2027-01-01 00:00:00", "08:00:00", "day", (), 2)
    # 2026-03-15T19:00Z is 07:00 on the 15th in UTC-12: devices there have not fired yet.
    assert runs(trigger, "2026-03-15T19:00:00+00:00", 1) == ["2026-03-15 08:00:00"]


def test_single_and_intelligent_run_once_if_ahead() -> None:
    assert runs(Single("2026-12-21 09:00:00", 1), NOW_ISO) == ["2026-12-21 09:00:00"]
    assert runs(Single("2026-10-21 09:00:00", 1), NOW_ISO) == []
    assert runs(Intelligent("2026-12-21 09:00:00"), NOW_ISO) == ["2026-12-21 09:00:00"]


def test_format_runs_labels_the_zone() -> None:
    assert format_runs(Single("2026-12-21 09:00:00", 2), NOW, UTC_ZONE, "UTC") == [
        "2026-12-21 09:00:00 device-local"
    ]
    assert format_runs(Single("2026-12-21 09:00:00", 1), NOW, SGT, "Asia/Singapore") == [
        "2026-12-21 09:00:00 Asia/Singapore"
    ]
    assert format_runs(Single("2026-12-21 09:00:00"), NOW, UTC_ZONE, "UTC") == [
        "2026-12-21 09:00:00 UTC, server zone assumed"
    ]
    assert describe_zone(2, "UTC") == "device-local"


def test_next_runs_accepts_any_aware_now() -> None:
    trigger = periodical("day")
    east = datetime(2026, 3, 15, 20, 0, tzinfo=timezone(timedelta(hours=14)))  # 06:00Z
    assert runs(trigger, east.isoformat(), 1) == ["2026-03-15 08:00:00"]
