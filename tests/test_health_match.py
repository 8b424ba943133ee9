"""Health's time rules, pure: expected fires as spans, runs matched to them, the class.

These run the matching alone on runs written by hand (what a server might record);
tests/test_health_check.py runs the same against the emulator's own runs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reconciler.core.model import Intelligent, Periodical, Single, Trigger
from reconciler.health.expected import EARLY, GRACE, LATE, Segment, expected_fires
from reconciler.health.match import Seen, classify, judge
from reconciler.health.window import MAX_SINCE, parse_duration, shown

UTC_ZONE = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def daily(time: str, zone_type: int | None = 1, **over: object) -> Periodical:
    fields: dict[str, object] = {
        "start": "2026-10-01 00:00:00",
        "end": "2027-06-01 00:00:00",
        "time": time,
        "time_unit": "day",
        "zone_type": zone_type,
        **over,
    }
    return Periodical(**fields)  # type: ignore[arg-type]


def check(
    trigger: Trigger | list[Segment],
    runs: list[str],
    start: str,
    now: str,
    site: ZoneInfo = UTC_ZONE,
    codes: dict[str, int] | None = None,
) -> tuple[dict[str, str], list[str], str]:
    """({wall: state}, unexpected run times, class) of runs at `runs` (ISO instants)."""
    segments = trigger if isinstance(trigger, list) else [Segment(None, None, trigger)]
    lower, upper = at(start), at(now)
    fires = expected_fires(segments, site, lower - timedelta(days=2), upper)
    seen = [Seen(at(r), (codes or {}).get(r, 0), "x") for r in runs]
    judged, unexpected = judge(fires, seen, lower, upper)
    states = {f"{j.fire.wall:%m-%d %H:%M}": j.state for j in judged}
    return states, [f"{r.at:%m-%d %H:%M}" for r in unexpected], classify(judged, unexpected)


# zone_type 1: an instant in the site zone ----------------------------------------------------


def test_zone_type_1_each_class() -> None:
    start, now = "2026-11-18T00:00:00+00:00", "2026-11-21T00:00:00+00:00"
    runs = [f"2026-11-{d}T09:00:00+00:00" for d in (18, 19, 20)]
    assert check(daily("09:00:00"), runs, start, now)[2] == "ok"
    failed = check(daily("09:00:00"), runs, start, now, codes={runs[1]: 1011})
    assert failed[0]["11-19 09:00"] == "failed"
    assert failed[2] == "failed"
    missed = check(daily("09:00:00"), [runs[0], runs[2]], start, now)
    assert missed[0] == {"11-18 09:00": "sent", "11-19 09:00": "missed", "11-20 09:00": "sent"}
    assert missed[2] == "missed"
    stray = check(daily("09:00:00"), [*runs, "2026-11-19T03:00:00+00:00"], start, now)
    assert stray[1:] == (["11-19 03:00"], "unexpected")
    future = Single("2026-12-24 18:00:00", 1)
    assert check(future, [], start, now) == ({}, [], "quiet")


def test_the_tolerance_is_five_minutes_early_and_thirty_late() -> None:
    start, now = "2026-11-19T00:00:00+00:00", "2026-11-20T00:00:00+00:00"
    fire = datetime(2026, 11, 19, 9, tzinfo=UTC)
    for run, state in [
        (fire - EARLY, "sent"),
        (fire + LATE, "sent"),
        (fire - EARLY - timedelta(seconds=1), "missed"),
        (fire + LATE + timedelta(seconds=1), "missed"),
    ]:
        states, _, _ = check(daily("09:00:00"), [run.isoformat()], start, now)
        assert states == {"11-19 09:00": state}, run


def test_a_fire_is_judged_once_its_deadline_passes_and_only_in_its_window() -> None:
    trigger = daily("09:00:00")
    # 09:20: the 09:00 fire's deadline (09:30) has not passed, run or not: pending.
    assert check(trigger, [], "2026-11-19T00:00:00+00:00", "2026-11-19T09:20:00+00:00")[0] == {
        "11-19 09:00": "pending"
    }
    # Two windows back to back judge each fire once.
    first = check(trigger, [], "2026-11-18T00:00:00+00:00", "2026-11-19T00:00:00+00:00")[0]
    second = check(trigger, [], "2026-11-19T00:00:00+00:00", "2026-11-20T00:00:00+00:00")[0]
    assert (first, second) == ({"11-18 09:00": "missed"}, {"11-19 09:00": "missed"})


def test_a_dst_change_inside_the_window_moves_the_instants() -> None:
    """New York falls back on 2026-11-01: 09:00 is 13:00 UTC before, 14:00 UTC after."""
    trigger = daily("09:00:00")
    runs = ["2026-10-31T13:00:00+00:00", "2026-11-01T14:00:00+00:00", "2026-11-02T14:00:00+00:00"]
    window = ("2026-10-31T00:00:00+00:00", "2026-11-03T00:00:00+00:00")
    assert check(trigger, runs, *window, site=NEW_YORK)[2] == "ok"
    # Reading the wall time at the summer offset after the change would be an hour off.
    naive = [*runs[:1], "2026-11-01T13:00:00+00:00", "2026-11-02T13:00:00+00:00"]
    states, unexpected, state = check(trigger, naive, *window, site=NEW_YORK)
    assert states["11-01 09:00"] == states["11-02 09:00"] == "missed"
    assert (unexpected, state) == (["11-01 13:00", "11-02 13:00"], "missed")


@pytest.mark.parametrize(
    ("time", "day", "readings"),
    [
        # 01:30 happens twice on 2026-11-01 (EDT, then EST): either reading counts.
        ("01:30:00", "2026-11-01", ["2026-11-01T05:30:00+00:00", "2026-11-01T06:30:00+00:00"]),
        # 02:30 never happens on 2027-03-14: either side of the gap counts.
        ("02:30:00", "2027-03-14", ["2027-03-14T06:30:00+00:00", "2027-03-14T07:30:00+00:00"]),
    ],
)
def test_a_wall_time_dst_repeats_or_skips_accepts_both_readings(
    time: str, day: str, readings: list[str]
) -> None:
    window = (f"{day}T00:00:00-05:00", f"{day}T23:00:00-05:00")
    wall = f"{day[5:]} {time[:5]}"
    for run in readings:
        assert check(daily(time), [run], *window, site=NEW_YORK)[0] == {wall: "sent"}, run
    early = (at(readings[0]) - EARLY - timedelta(minutes=1)).isoformat()
    assert check(daily(time), [early], *window, site=NEW_YORK)[0] == {wall: "missed"}


# zone_type 2: a wall time on every device's clock -----------------------------------------------


def test_zone_type_2_spans_26_hours_from_utc_plus_14_to_utc_minus_12() -> None:
    (fire,) = expected_fires(
        [Segment(None, None, Single("2026-11-20 09:00:00", 2))],
        UTC_ZONE,
        at("2026-11-18T00:00:00+00:00"),
        at("2026-11-22T00:00:00+00:00"),
    )
    assert (fire.first, fire.last) == (
        at("2026-11-19T19:00:00+00:00"),
        at("2026-11-20T21:00:00+00:00"),
    )
    assert fire.deadline == fire.last + LATE


def test_zone_type_2_one_run_when_first_reached_or_one_per_zone() -> None:
    trigger = daily("09:00:00", zone_type=2)
    # Judged: the wall times whose last zone (UTC-12) is past by now: 11-18 .. 11-21.
    start, now = "2026-11-18T00:00:00+00:00", "2026-11-22T00:00:00+00:00"
    days = (18, 19, 20, 21)
    # The emulator: one run as UTC+14 reaches 09:00 (19:00 UTC the day before).
    first_reached = [f"2026-11-{d - 1}T19:00:00+00:00" for d in days]
    states, unexpected, state = check(trigger, first_reached, start, now)
    assert states == {**{f"11-{d} 09:00": "sent" for d in days}, "11-22 09:00": "pending"}
    assert (unexpected, state) == ([], "ok")
    # A server recording one run per zone: 09:00 in UTC+14, +9, +1, 0, -5, -12.
    per_zone = [
        (datetime(2026, 11, d, 9) - timedelta(hours=h)).replace(tzinfo=UTC).isoformat()
        for d in days
        for h in (14, 9, 1, 0, -5, -12)
    ]
    states, unexpected, state = check(trigger, per_zone, start, now)
    assert states == {**{f"11-{d} 09:00": "sent" for d in days}, "11-22 09:00": "pending"}
    assert (unexpected, state) == ([], "ok")
    # Zones that found nobody (1011) beside ones that sent: the fire went out.
    some_failed = {run: 1011 for run in per_zone if run.endswith("T19:00:00+00:00")}
    assert check(trigger, per_zone, start, now, codes=some_failed)[2] == "ok"
    # Every zone failed, every day: every fire failed.
    all_failed = dict.fromkeys(per_zone, 1011)
    states, _, state = check(trigger, per_zone, start, now, codes=all_failed)
    assert (set(states.values()), state) == ({"failed", "pending"}, "failed")


def test_zone_type_2_overlapping_spans_each_get_their_run() -> None:
    """Daily spans are 26.5 h long: two fires may share a stretch of time; a run there
    counts for one, and a lone run cannot hide the other fire's miss."""
    trigger = daily("09:00:00", zone_type=2)
    start, now = "2026-11-19T22:00:00+00:00", "2026-11-22T00:00:00+00:00"
    # 11-20 09:00 spans 11-19 19:00 .. 11-20 21:30 UTC; 11-21 09:00 spans 11-20 19:00 .. 11-21 21:30.
    both = ["2026-11-20T20:00:00+00:00", "2026-11-20T20:30:00+00:00"]
    judged = {"11-20 09:00": "sent", "11-21 09:00": "sent", "11-22 09:00": "pending"}
    assert check(trigger, both, start, now)[0] == judged
    states, _, state = check(trigger, both[:1], start, now)
    assert (states["11-20 09:00"], states["11-21 09:00"], state) == ("missed", "sent", "missed")


def test_zone_type_2_a_missing_run_is_charged_to_its_own_fire() -> None:
    """The emulator's runs (UTC+14) lie in the previous day's span too: without its run,
    a fire must read missed, not borrow the next day's and pass the miss on."""
    trigger = daily("09:00:00", zone_type=2)
    start, now = "2026-11-18T00:00:00+00:00", "2026-11-22T00:00:00+00:00"
    runs = [f"2026-11-{d - 1}T19:00:00+00:00" for d in (17, 18, 20, 21, 22)]  # no 11-19
    states, unexpected, state = check(trigger, runs, start, now)
    assert states == {
        "11-18 09:00": "sent",
        "11-19 09:00": "missed",
        "11-20 09:00": "sent",
        "11-21 09:00": "sent",
        "11-22 09:00": "pending",
    }
    assert (unexpected, state) == ([], "missed")


def test_zone_type_2_a_run_outside_every_span_is_unexpected() -> None:
    weekly = Periodical(
        "2026-10-01 00:00:00", "2027-06-01 00:00:00", "09:00:00", "week", ("MON",), 2
    )
    start, now = "2026-11-16T00:00:00+00:00", "2026-11-23T00:00:00+00:00"
    monday = "2026-11-15T19:00:00+00:00"  # Monday 09:00 in UTC+14
    thursday = "2026-11-18T19:00:00+00:00"
    assert check(weekly, [monday], start, now)[2] == "ok"
    assert check(weekly, [monday, thursday], start, now)[1:] == (["11-18 19:00"], "unexpected")


# Triggers: frequency, month dates, intelligent, edits ----------------------------------------------


def test_frequency_2_expects_every_other_day() -> None:
    trigger = daily("09:00:00", start="2026-11-01 00:00:00", frequency=2)
    start, now = "2026-11-14T00:00:00+00:00", "2026-11-21T00:00:00+00:00"
    states, _, _ = check(trigger, [], start, now)
    assert list(states) == ["11-15 09:00", "11-17 09:00", "11-19 09:00"]
    runs = [f"2026-11-{d}T09:00:00+00:00" for d in (15, 17, 19)]
    assert check(trigger, runs, start, now)[2] == "ok"
    off_day = check(trigger, [*runs, "2026-11-16T09:00:00+00:00"], start, now)
    assert off_day[1:] == (["11-16 09:00"], "unexpected")


def test_month_dates_a_month_lacks_are_never_expected() -> None:
    monthly = Periodical(
        "2026-10-01 00:00:00", "2027-06-01 00:00:00", "09:00:00", "month", ("31",), 1
    )
    november = ("2026-11-01T00:00:00+00:00", "2026-12-01T00:00:00+00:00")
    assert check(monthly, [], *november) == ({}, [], "quiet")
    october = ("2026-10-15T00:00:00+00:00", "2026-11-14T00:00:00+00:00")
    assert check(monthly, ["2026-10-31T09:00:00+00:00"], *october)[0] == {"10-31 09:00": "sent"}


def test_intelligent_delivery_counts_up_to_a_day_before_backup_time() -> None:
    trigger = Intelligent("2026-11-20 18:00:00")
    window = ("2026-11-18T00:00:00+00:00", "2026-11-21T00:00:00+00:00")
    assert check(trigger, ["2026-11-19T20:00:00+00:00"], *window)[2] == "ok"
    assert check(trigger, ["2026-11-19T17:00:00+00:00"], *window)[2] == "missed"


def test_a_trigger_edited_in_the_window_is_matched_against_the_one_in_force() -> None:
    """09:00 until the commit on 11-17 12:00 that moved it to 18:00."""
    change = at("2026-11-17T12:00:00+00:00")
    segments = [
        Segment(None, change, daily("09:00:00")),
        Segment(change, None, daily("18:00:00"), recorded=True),
    ]
    runs = [f"2026-11-{d}T09:00:00+00:00" for d in (15, 16, 17)]
    runs += [f"2026-11-{d}T18:00:00+00:00" for d in (17, 18, 19)]
    window = ("2026-11-15T00:00:00+00:00", "2026-11-20T00:00:00+00:00")
    states, unexpected, state = check(segments, runs, *window)
    assert (unexpected, state) == ([], "ok")
    assert states["11-17 09:00"] == "sent"  # before the change: the old trigger's
    # Known only today's trigger, the same runs read as missed 18:00 and stray 09:00 fires.
    states, unexpected, state = check(daily("18:00:00"), runs, *window)
    assert [w for w, s in states.items() if s == "missed"] == ["11-15 18:00", "11-16 18:00"]
    assert (unexpected, state) == (["11-15 09:00", "11-16 09:00", "11-17 09:00"], "missed")


def test_around_a_recorded_change_either_trigger_may_fire_for_the_grace() -> None:
    """Merged at 08:30, applied some minutes later: the old 09:00 may still fire that day,
    or the new 08:45 already; neither is a miss, both are welcome."""
    change = at("2026-11-17T08:30:00+00:00")
    segments = [
        Segment(None, change, daily("09:00:00")),
        Segment(change, None, daily("08:45:00"), recorded=True),
    ]
    assert timedelta(hours=1) == GRACE
    window = ("2026-11-17T00:00:00+00:00", "2026-11-19T00:00:00+00:00")
    late_apply = ["2026-11-17T09:00:00+00:00", "2026-11-18T08:45:00+00:00"]
    states, unexpected, state = check(segments, late_apply, *window)
    assert states == {"11-17 09:00": "sent", "11-18 08:45": "sent"}
    assert (unexpected, state) == ([], "ok")
    early_apply = ["2026-11-17T08:45:00+00:00", "2026-11-18T08:45:00+00:00"]
    assert check(segments, early_apply, *window)[2] == "ok"
    assert check(segments, ["2026-11-18T08:45:00+00:00"], *window)[2] == "ok"


def test_before_the_repository_declared_a_schedule_nothing_is_expected() -> None:
    added = at("2026-11-18T12:00:00+00:00")
    segments = [Segment(None, added, None), Segment(added, None, daily("09:00:00"), recorded=True)]
    window = ("2026-11-14T00:00:00+00:00", "2026-11-21T00:00:00+00:00")
    states, unexpected, state = check(segments, [], *window)
    assert (states, unexpected, state) == (
        {"11-19 09:00": "missed", "11-20 09:00": "missed"},
        [],
        "missed",
    )
    runs = ["2026-11-19T09:00:00+00:00", "2026-11-20T09:00:00+00:00"]
    assert check(segments, runs, *window)[2] == "ok"


# --since ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7d", timedelta(days=7)), ("36h", timedelta(hours=36)), ("90m", timedelta(minutes=90)),
     ("1d12h", timedelta(days=1, hours=12)), (" 2D ", timedelta(days=2)), ("31d", MAX_SINCE)],
)  # fmt: skip
def test_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "7", "d", "7 d", "7w", "-1d", "0d", "32d", "745h", "1.5d"])
def test_bad_durations_say_what_a_duration_is(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|no time at all|further back") as caught:
        parse_duration(text)
    assert "\n" not in str(caught.value)


def test_durations_are_shown_as_they_are_written() -> None:
    assert [shown(parse_duration(t)) for t in ("7d", "36h", "90m")] == ["7d", "1d12h", "1h30m"]
