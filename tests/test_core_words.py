"""Words: every trigger kind, unit, point set, frequency and zone type said in one sentence;
counts in the singular and the plural."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from reconciler.core.model import trigger_from_json
from reconciler.core.timing import next_runs, zone
from reconciler.core.words import describe_trigger, ordinal, plural, weekdays
from tests.support.clock import NOW
from tests.support.policy import intelligent, periodical, single

WINDOW = {"start": "2026-11-22 00:00:00", "end": "2027-11-21 00:00:00"}


def said(trigger: dict[str, Any], site: str = "UTC") -> str:
    return describe_trigger(trigger_from_json(trigger), site)


@pytest.mark.parametrize(
    ("trigger", "site", "words"),
    [
        # The issue's own examples.
        (
            periodical("09:00:00", unit="week", point=["MON", "THU"], **WINDOW),
            "Asia/Singapore",
            "every Mon and Thu at 09:00 Asia/Singapore, 2026-11-22 to 2027-11-21",
        ),
        (
            periodical("19:30:00", zone_type=2, **WINDOW),
            "UTC",
            "daily at 19:30 on each device's clock, 2026-11-22 to 2027-11-21",
        ),
        (
            periodical(
                "10:00:00", unit="week", point=["fri"], frequency=2, zone_type=None, **WINDOW
            ),
            "UTC",
            "every 2 weeks on Fri at 10:00 UTC (server zone assumed), 2026-11-22 to 2027-11-21",
        ),
        (
            periodical("08:00:00", unit="month", point=["31"], **WINDOW),
            "UTC",
            "monthly on the 31st (months without one are skipped) at 08:00 UTC, "
            "2026-11-22 to 2027-11-21",
        ),
        # Day: every N days.
        (
            periodical("07:15:00", frequency=3, **WINDOW),
            "Europe/Berlin",
            "every 3 days at 07:15 Europe/Berlin, 2026-11-22 to 2027-11-21",
        ),
        # Week: runs of days, the whole week, the working week, in any case and order.
        (
            periodical("09:00:00", unit="week", point=["wed", "MON", "TUE", "FRI"], **WINDOW),
            "UTC",
            "every Mon to Wed and Fri at 09:00 UTC, 2026-11-22 to 2027-11-21",
        ),
        (
            periodical(
                "09:00:00", unit="week", point=["MON", "TUE", "WED", "THU", "FRI"], **WINDOW
            ),
            "UTC",
            "every weekday (Mon to Fri) at 09:00 UTC, 2026-11-22 to 2027-11-21",
        ),
        (
            periodical(
                "09:00:00",
                unit="week",
                point=["SUN", "SAT", "FRI", "THU", "WED", "TUE", "MON"],
                **WINDOW,
            ),
            "UTC",
            "every day (Mon to Sun) at 09:00 UTC, 2026-11-22 to 2027-11-21",
        ),
        (
            periodical("09:00:00", unit="week", point=["SAT", "SUN"], frequency=3, **WINDOW),
            "UTC",
            "every 3 weeks on Sat and Sun at 09:00 UTC, 2026-11-22 to 2027-11-21",
        ),
        # Month: ordinals, every N months, dates some months lack.
        (
            periodical("10:00:00", unit="month", point=["15", "01"], **WINDOW),
            "UTC",
            "monthly on the 1st and 15th at 10:00 UTC, 2026-11-22 to 2027-11-21",
        ),
        (
            periodical("10:00:00", unit="month", point=["02", "03", "22"], frequency=2, **WINDOW),
            "UTC",
            "every 2 months on the 2nd, 3rd and 22nd at 10:00 UTC, 2026-11-22 to 2027-11-21",
        ),
        (
            periodical("10:00:00", unit="month", point=["15", "30"], **WINDOW),
            "UTC",
            "monthly on the 15th and 30th (the 30th only in months that have one) at 10:00 UTC, "
            "2026-11-22 to 2027-11-21",
        ),
        (
            periodical("10:00:00", unit="month", point=["29", "31"], zone_type=2, **WINDOW),
            "UTC",
            "monthly on the 29th and 31st (each only in months that have it) at 10:00 on each "
            "device's clock, 2026-11-22 to 2027-11-21",
        ),
        # Seconds and a window that does not start or end at midnight.
        (
            periodical(
                "09:00:30", start="2026-11-22 08:30:00", end="2027-01-31 23:59:59", zone_type=1
            ),
            "UTC",
            "daily at 09:00:30 UTC, 2026-11-22 08:30 to 2027-01-31 23:59:59",
        ),
        # Single: once, on its day, on the clock of its zone type.
        (single("2026-12-21 10:00:00"), "UTC", "once on Mon 2026-12-21 at 10:00 UTC"),
        (
            single("2026-12-21 10:00:00", 2),
            "UTC",
            "once on Mon 2026-12-21 at 10:00 on each device's clock",
        ),
        (
            single("2026-12-21 10:00:00", None),
            "America/Los_Angeles",
            "once on Mon 2026-12-21 at 10:00 America/Los_Angeles (server zone assumed)",
        ),
        # Intelligent: each user's own time, the backup time in the main site's zone.
        (
            intelligent("2026-12-24 18:00:00"),
            "Asia/Tokyo",
            "once, at each user's most active time (intelligent delivery); users without "
            "activity data on Thu 2026-12-24 at 18:00 Asia/Tokyo",
        ),
    ],
)
def test_every_trigger_kind_in_words(trigger: dict[str, Any], site: str, words: str) -> None:
    assert said(trigger, site) == words


def test_server_zone_assumed_is_said_once() -> None:
    words = said(periodical("10:00:00", unit="week", point=["MON"], zone_type=None, **WINDOW))
    assert words.count("server zone assumed") == 1


def test_a_week_with_no_day_says_it_never_fires() -> None:
    words = said(periodical("09:00:00", unit="week", point=[], **WINDOW))
    assert words == "on no day (week with an empty point: it never fires), 2026-11-22 to 2027-11-21"


def test_the_words_for_a_date_some_months_lack_are_what_the_fires_do() -> None:
    """The 31st is skipped in the months without one, not moved to their last day."""
    trigger = trigger_from_json(
        periodical(
            "08:00:00",
            unit="month",
            point=["31"],
            start="2027-01-01 00:00:00",
            end="2027-06-30 00:00:00",
        )
    )
    assert "(months without one are skipped)" in describe_trigger(trigger, "UTC")
    fires = next_runs(trigger, NOW, zone("UTC"), count=5)
    assert fires == [datetime(2027, month, 31, 8) for month in (1, 3, 5)]


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (30, "30th"),
        (31, "31st"),
    ],
)
def test_ordinals(number: int, text: str) -> None:
    assert ordinal(number) == text


def test_weekdays_join_runs_and_singles() -> None:
    assert weekdays(("MON",)) == "Mon"
    assert weekdays(("MON", "WED")) == "Mon and Wed"
    assert weekdays(("MON", "TUE")) == "Mon and Tue"
    assert weekdays(("MON", "TUE", "WED", "FRI", "SUN")) == "Mon to Wed, Fri and Sun"


@pytest.mark.parametrize(
    ("count", "noun", "nouns", "text"),
    [
        (0, "file", None, "0 files"),
        (1, "file", None, "1 file"),
        (2, "valid schedule", None, "2 valid schedules"),
        (1, "push", "pushes", "1 push"),
        (3, "push", "pushes", "3 pushes"),
        (1, "parked copy", "parked copies", "1 parked copy"),
        (2, "parked copy", "parked copies", "2 parked copies"),
    ],
)
def test_plural(count: int, noun: str, nouns: str | None, text: str) -> None:
    assert plural(count, noun, nouns) == text
