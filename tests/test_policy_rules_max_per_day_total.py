"""max_per_day_total: a cap on every push of the app per local day, whatever the audience."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from reconciler.config.load import load_config
from reconciler.core.model import Schedule
from reconciler.errors import ConfigError
from reconciler.policy.evaluation import evaluate
from reconciler.policy.violation import Violation
from tests.support.cli import config, doc, run, write
from tests.support.clock import NOW, NOW_ISO
from tests.support.policy import periodical, schedule, single, target

BERLIN = "Europe/Berlin"


def check(
    schedules: list[Schedule], *, site: str = "UTC", now: datetime = NOW, **policies: Any
) -> dict[tuple[str, str], Violation]:
    t = target(site, **policies)
    found = evaluate(schedules, t.policies, t.site_zone, t.site_timezone, now)
    return {(v.schedule.name, v.rule): v for v in found}


def three_audiences_on_one_day() -> list[Schedule]:
    return [
        schedule("breakfast", single("2026-11-23 09:00:00"), to={"tag": ["news"]}),
        schedule("lunch", single("2026-11-23 12:00:00"), to={"tag": ["deals"]}),
        schedule("dinner", single("2026-11-23 18:00:00"), to={"alias": ["u1"]}),
        schedule("next_day", single("2026-11-24 09:00:00"), to={"tag": ["news"]}),
    ]


def test_a_day_over_the_total_flags_every_schedule_firing_on_it_whatever_its_audience() -> None:
    found = check(three_audiences_on_one_day(), max_per_day_total={"count": 2})
    assert set(found) == {(n, "max_per_day_total") for n in ("breakfast", "lunch", "dinner")}
    assert str(found["lunch", "max_per_day_total"]) == (
        "policy max_per_day_total: fires at 2026-11-23 12:00 (Mon) UTC: 3 pushes of the app "
        "on that day, more than max_per_day_total 2; with breakfast (09:00), dinner (18:00)"
    )
    assert found["dinner", "max_per_day_total"].walls == {datetime(2026, 11, 23, 18)}


def test_unlike_the_audience_cap_it_counts_pushes_that_share_no_audience() -> None:
    assert check(three_audiences_on_one_day(), max_per_audience={"count": 2}) == {}


def test_exactly_count_pushes_a_day_is_allowed() -> None:
    assert check(three_audiences_on_one_day(), max_per_day_total={"count": 3}) == {}


@pytest.mark.parametrize(("zones", "over"), [([], False), ([BERLIN], True)])
def test_the_day_is_each_audience_zones_local_day(zones: list[str], over: bool) -> None:
    # 22:30 and 23:30 UTC on the 23rd: one UTC day, but 23:30 and 00:30 in Berlin (two days);
    # 23:30 on the 22nd and 00:30 UTC on the 23rd: two UTC days, one Berlin day (the 23rd).
    schedules = [
        schedule("late", single("2026-11-22 23:30:00"), to={"tag": ["a"]}),
        schedule("early", single("2026-11-23 00:30:00"), to={"tag": ["b"]}),
    ]
    found = check(schedules, audience_zones=zones, max_per_day_total={"count": 1})
    assert (("late", "max_per_day_total") in found) is over
    assert (("early", "max_per_day_total") in found) is over


def test_a_daily_schedule_counts_once_a_day_and_reports_its_other_offending_fires() -> None:
    daily = schedule("daily", periodical("10:00:00"), to={"tag": ["a"]})
    twice = schedule("twice", periodical("11:00:00"), to={"tag": ["b"]})
    found = check([daily, twice], horizon_days=3, max_per_day_total={"count": 1})
    assert str(found["daily", "max_per_day_total"]).endswith(
        "with twice (11:00) (2 more offending fires)"
    )


def test_its_level_and_its_bound_are_read_from_the_config(tmp_path: Path) -> None:
    config(tmp_path, policies={"max_per_day_total": {"count": 4, "level": "warning"}})
    rule = load_config(None, tmp_path).target().policies.max_per_day_total
    assert (rule.count, rule.level) == (4, "warning")


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"level": "warning"}, "policies: max_per_day_total needs count"),
        ({"count": 0}, "less than the minimum of 1"),
        (
            {"count": 2, "per": "week"},
            "unknown key 'per' in policies.max_per_day_total (known: count, level)",
        ),
    ],
)
def test_a_bad_setting_is_one_clear_config_error(
    tmp_path: Path, setting: dict[str, Any], message: str
) -> None:
    config(tmp_path, policies={"max_per_day_total": setting})
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        load_config(None, tmp_path)
    assert "\n" not in str(raised.value)


def test_validate_reports_it_at_the_trigger_time_and_fails(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_NOW", NOW_ISO)
    for name, hour in (("one", 9), ("two", 12)):
        trigger = {"single": {"time": f"2026-11-23 {hour:02d}:00:00", "zone_type": 1}}
        write(repo, doc(name, trigger=trigger))
    config(repo, policies={"max_per_day_total": {"count": 1}})
    result = run("validate")
    assert result.exit_code == 1
    lines = [x for x in result.output.splitlines() if "max_per_day_total" in x]
    assert lines == [
        "schedules.d/one.yaml:11:5: error: policy max_per_day_total: fires at 2026-11-23 09:00 "
        "(Mon) UTC: 2 pushes of the app on that day, more than max_per_day_total 1; "
        "with two (12:00) (schedule one)",
        "schedules.d/two.yaml:11:5: error: policy max_per_day_total: fires at 2026-11-23 12:00 "
        "(Mon) UTC: 2 pushes of the app on that day, more than max_per_day_total 1; "
        "with one (09:00) (schedule two)",
    ]
    report = json.loads(run("validate", "--format", "json").output)
    assert report["errors"] == 2
