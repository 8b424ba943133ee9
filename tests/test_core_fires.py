"""Fires: the expansion of each trigger over a window, and where each fire lands in a zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.core.fires import Landing, trigger_fires, window_fires, zone_type_of
from reconciler.core.model import WEEKDAYS, Periodical, trigger_from_json
from reconciler.core.timing import next_runs, parse_datetime, parse_time, wall_times, zone
from tests.support.clock import NOW
from tests.support.policy import intelligent, periodical, schedule, single

BERLIN = zone("Europe/Berlin")
LA = zone("America/Los_Angeles")
SGT = zone("Asia/Singapore")


def reference_days(p: Periodical, first: date, last: date) -> list[date]:
    """The API's rule, read literally: test every day of [first, last]."""
    start = parse_datetime(p.start).date()
    frequency = p.frequency or 1
    found = []
    day = first
    while day <= last:
        if p.time_unit == "day":
            ok = (day - start).days % frequency == 0
        elif p.time_unit == "week":
            weeks = (day - (start - timedelta(days=start.weekday()))).days // 7
            ok = WEEKDAYS[day.weekday()] in p.point and weeks % frequency == 0
        else:
            months = (day.year - start.year) * 12 + day.month - start.month
            ok = f"{day.day:02d}" in p.point and months % frequency == 0
        if ok:
            found.append(day)
        day += timedelta(days=1)
    return found


@st.composite
def periodicals(draw: st.DrawFn) -> Periodical:
    unit = draw(st.sampled_from(["day", "week", "month"]))
    start = datetime(2026, 1, 1) + timedelta(
        days=draw(st.integers(0, 500)), minutes=draw(st.integers(0, 1439))
    )
    end = start + timedelta(days=draw(st.integers(1, 400)), minutes=draw(st.integers(0, 1439)))
    points: list[str] = []
    if unit == "week":
        points = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True))
    elif unit == "month":
        days = st.integers(1, 31).map(lambda d: f"{d:02d}")
        points = draw(st.lists(days, min_size=1, max_size=5, unique=True))
    trigger = periodical(
        f"{draw(st.integers(0, 23)):02d}:{draw(st.sampled_from([0, 30, 59])):02d}:00",
        unit=unit,
        point=points,
        start=start.strftime("%Y-%m-%d %H:%M:%S"),
        end=end.strftime("%Y-%m-%d %H:%M:%S"),
        frequency=draw(st.one_of(st.none(), st.integers(1, 5), st.just(100))),
    )
    built = trigger_from_json(trigger)
    assert isinstance(built, Periodical)
    return built


@settings(max_examples=300, deadline=None)
@given(p=periodicals(), offset=st.integers(-60, 500), length=st.integers(0, 120))
def test_wall_times_are_the_days_the_api_rule_gives(
    p: Periodical, offset: int, length: int
) -> None:
    start, end = parse_datetime(p.start), parse_datetime(p.end)
    first = start + timedelta(days=offset, hours=offset % 24)
    last = first + timedelta(days=length)
    at = parse_time(p.time)
    expected = [
        moment
        for day in reference_days(p, first.date(), last.date())
        if start <= (moment := datetime.combine(day, at)) <= end and first <= moment < last
    ]
    assert wall_times(p, first, last) == expected


@settings(max_examples=100, deadline=None)
@given(p=periodicals(), offset=st.integers(-30, 400))
def test_next_runs_still_follow_the_rule(p: Periodical, offset: int) -> None:
    start, end = parse_datetime(p.start), parse_datetime(p.end)
    now = (start + timedelta(days=offset)).replace(tzinfo=UTC)
    at = parse_time(p.time)
    local_now = now.replace(tzinfo=None)
    expected = [
        moment
        for day in reference_days(p, max(start, local_now).date(), end.date())
        if start <= (moment := datetime.combine(day, at)) <= end and moment > local_now
    ][:3]
    assert next_runs(p, now, UTC) == expected


def test_single_and_intelligent_fire_once_inside_the_window() -> None:
    first, last = datetime(2027, 1, 1), datetime(2027, 1, 2)
    assert wall_times(trigger_from_json(single("2027-01-01 00:00:00")), first, last) == [first]
    assert wall_times(trigger_from_json(single("2027-01-02 00:00:00")), first, last) == []
    backup = trigger_from_json(intelligent("2027-01-01 12:00:00"))
    assert wall_times(backup, first, last) == [datetime(2027, 1, 1, 12)]


def test_periodical_bounds_are_inclusive_like_the_api() -> None:
    p = trigger_from_json(
        periodical("09:00:00", start="2027-01-01 09:00:00", end="2027-01-03 09:00:00")
    )
    walls = wall_times(p, datetime(2026, 12, 1), datetime(2027, 2, 1))
    assert walls == [datetime(2027, 1, d, 9) for d in (1, 2, 3)]


def test_zone_type_1_is_an_instant_in_the_site_zone_and_2_a_wall_time() -> None:
    start, end = NOW, NOW + timedelta(days=2)
    one = trigger_fires(trigger_from_json(single("2026-11-21 09:00:00", 1)), start, end, SGT)
    assert one == [(datetime(2026, 11, 21, 9), 1, datetime(2026, 11, 21, 9, tzinfo=SGT))]
    # 08:00 in Singapore is midnight UTC: before NOW is not in the window.
    early = trigger_fires(trigger_from_json(single("2026-11-21 07:59:59", 1)), start, end, SGT)
    assert early == []
    two = trigger_fires(trigger_from_json(single("2026-11-21 09:00:00", 2)), start, end, SGT)
    assert two == [(datetime(2026, 11, 21, 9), 2, None)]


def test_absent_zone_type_and_intelligent_behave_as_1() -> None:
    assert zone_type_of(trigger_from_json(single("2027-01-01 00:00:00", None))) == 1
    assert zone_type_of(trigger_from_json(intelligent("2027-01-01 00:00:00"))) == 1
    assert zone_type_of(trigger_from_json(single("2027-01-01 00:00:00", 2))) == 2


def test_a_wall_time_in_a_dst_gap_is_the_instant_after_it() -> None:
    # 2027-03-28: Berlin skips 02:00..03:00. RFC 5545 and the zoneinfo default read
    # 02:30 with the offset before the gap: 01:30 UTC, which is 03:30 summer time.
    fires = trigger_fires(
        trigger_from_json(single("2027-03-28 02:30:00")),
        datetime(2027, 3, 27, tzinfo=UTC),
        datetime(2027, 3, 29, tzinfo=UTC),
        BERLIN,
    )
    [(wall, _, instant)] = fires
    assert wall == datetime(2027, 3, 28, 2, 30)
    assert instant is not None
    assert instant.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert instant.isoformat() == "2027-03-28T03:30:00+02:00"


def test_window_fires_skip_disabled_schedules_and_sort_by_time_then_name() -> None:
    schedules = [
        schedule("b", single("2026-11-22 09:00:00")),
        schedule("a", single("2026-11-22 09:00:00")),
        schedule("early", single("2026-11-21 12:00:00")),
        schedule("off", single("2026-11-21 13:00:00"), enabled=False),
    ]
    fires = window_fires(schedules, NOW, NOW + timedelta(days=3), UTC)
    assert [(f.schedule.name, f.at) for f in fires] == [
        ("early", "2026-11-21T12:00:00+00:00"),
        ("a", "2026-11-22T09:00:00+00:00"),
        ("b", "2026-11-22T09:00:00+00:00"),
    ]


def test_landing_zone_type_1_moves_with_the_zone_and_2_keeps_its_wall_time() -> None:
    wall = datetime(2026, 11, 23, 14, 0)
    epoch, local, own, day, second = Landing(UTC, LA).land(wall, 1)
    assert (local, own) == (datetime(2026, 11, 23, 6, 0), wall)
    assert epoch == int(datetime(2026, 11, 23, 14, tzinfo=UTC).timestamp())
    assert (day, second) == (date(2026, 11, 23).toordinal(), 6 * 3600)
    epoch_la, local_la, *_ = Landing(UTC, LA).land(wall, 2)
    epoch_berlin, local_berlin, *_ = Landing(UTC, BERLIN).land(wall, 2)
    assert local_la == local_berlin == wall
    assert epoch_la - epoch_berlin == 9 * 3600  # the same 14:00, nine hours apart
