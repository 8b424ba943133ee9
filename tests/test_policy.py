"""Policies: each rule in both zone types, across DST changes, the audience overlap, levels,
per-target overrides, and the engine against a brute-force reading of the rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.config.load import load_config
from reconciler.core.model import Schedule
from reconciler.core.timing import wall_times, zone
from reconciler.errors import ConfigError
from reconciler.policy.engine import when
from reconciler.policy.evaluation import evaluate
from reconciler.policy.rules import RULES, schema_names
from reconciler.policy.settings import Policies, merge_policies
from reconciler.policy.violation import Violation
from tests.support.cli import config, doc, run, write
from tests.support.clock import NOW
from tests.support.policy import periodical, schedule, single, target

LA = "America/Los_Angeles"
BERLIN = "Europe/Berlin"


def check(
    schedules: list[Schedule], *, site: str = "UTC", now: datetime = NOW, **policies: Any
) -> dict[tuple[str, str], Violation]:
    t = target(site, **policies)
    found = evaluate(schedules, t.policies, t.site_zone, t.site_timezone, now)
    by_key = {(v.schedule.name, v.rule): v for v in found}
    assert len(by_key) == len(found), "one finding per schedule and rule"
    return by_key


QUIET = {"start": "22:00", "end": "08:00"}


# --- quiet hours ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("utc_time", "quiet"),
    [
        ("2026-11-23 05:59:00", False),  # 21:59 in Los Angeles
        ("2026-11-23 06:00:00", True),  # 22:00: the start is quiet
        ("2026-11-23 14:00:00", True),  # 06:00
        ("2026-11-23 15:59:59", True),  # 07:59:59
        ("2026-11-23 16:00:00", False),  # 08:00: the end is not
    ],
)
def test_quiet_hours_wrap_midnight_zone_type_1_in_an_audience_zone(
    utc_time: str, quiet: bool
) -> None:
    found = check([schedule("promo", single(utc_time, 1))], audience_zones=[LA], quiet_hours=QUIET)
    assert (("promo", "quiet_hours") in found) is quiet


def test_quiet_hours_message_names_the_local_time_and_zone() -> None:
    found = check(
        [schedule("promo", single("2026-11-23 14:00:00", 1))],
        audience_zones=[BERLIN, LA],
        quiet_hours=QUIET,
    )
    violation = found["promo", "quiet_hours"]
    assert violation.level == "error"
    assert str(violation) == (
        "policy quiet_hours: fires at 2026-11-23 06:00 (Mon) America/Los_Angeles, "
        "inside the quiet hours 22:00-08:00"
    )
    assert violation.pointer == "/trigger/single/time"


@pytest.mark.parametrize(("wall", "quiet"), [("12:30:00", True), ("14:00:00", False)])
def test_quiet_hours_without_wrap(wall: str, quiet: bool) -> None:
    found = check(
        [schedule("lunch", single(f"2026-11-23 {wall}", 1))],
        quiet_hours={"start": "12:00", "end": "14:00"},
    )
    assert (("lunch", "quiet_hours") in found) is quiet


def test_quiet_hours_zone_type_2_is_the_same_wall_time_everywhere() -> None:
    found = check(
        [
            schedule("late", single("2026-11-23 23:00:00", 2)),
            schedule("noon", single("2026-11-23 12:00:00", 2)),
        ],
        audience_zones=[LA, BERLIN],
        quiet_hours=QUIET,
    )
    assert ("noon", "quiet_hours") not in found
    # 23:00 is quiet in both zones; Berlin's 23:00 comes first.
    assert "fires at 2026-11-23 23:00 (Mon) Europe/Berlin" in str(found["late", "quiet_hours"])


def test_quiet_hours_follow_a_dst_change_in_the_audience_zone() -> None:
    # 15:00 UTC is 07:00 in Los Angeles before 2027-03-14 (PST), 08:00 after (PDT).
    now = datetime(2027, 3, 10, tzinfo=UTC)
    daily = schedule("daily", periodical("15:00:00", start="2027-03-01 00:00:00"))
    found = check(
        [daily],
        now=now,
        audience_zones=[LA],
        quiet_hours={"start": "00:00", "end": "08:00"},
        horizon_days=10,
    )
    walls = sorted(found["daily", "quiet_hours"].walls)
    assert walls == [datetime(2027, 3, d, 15) for d in (10, 11, 12, 13)]


# --- caps -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "over"), [(10, False), (20, True)])
def test_caps_count_the_local_day_across_a_dst_change(day: int, over: bool) -> None:
    # 07:30 and 08:30 UTC: 23:30 and 00:30 in Los Angeles under PST (two days),
    # 00:30 and 01:30 under PDT (one day).
    schedules = [
        schedule("a", single(f"2027-03-{day} 07:30:00", 1), to={"tag": ["vip"]}),
        schedule("b", single(f"2027-03-{day} 08:30:00", 1), to={"tag": ["vip"]}),
    ]
    found = check(
        schedules,
        now=datetime(2027, 3, 1, tzinfo=UTC),
        audience_zones=[LA],
        max_per_audience={"count": 1},
    )
    assert (("a", "max_per_audience") in found) is over
    assert (("b", "max_per_audience") in found) is over


def test_caps_zone_type_2_count_the_wall_day_and_name_the_others() -> None:
    schedules = [
        schedule(name, single(f"2026-11-23 {hour}:00:00", 2), to={"tag": ["vip"]})
        for name, hour in (("morning", "09"), ("noon", "12"), ("evening", "18"))
    ]
    found = check(schedules, audience_zones=[LA, BERLIN], max_per_audience={"count": 2})
    assert set(found) == {(n, "max_per_audience") for n in ("morning", "noon", "evening")}
    assert str(found["evening", "max_per_audience"]) == (
        "policy max_per_audience: fires at 2026-11-23 18:00 (Mon) Europe/Berlin: 3 pushes to a "
        "common audience on that day, more than max_per_audience 2 per day; "
        "with morning (09:00), noon (12:00)"
    )


def test_caps_per_week_run_monday_to_sunday() -> None:
    schedules = [
        schedule("mon", single("2026-11-23 10:00:00"), to={"alias": ["u1"]}),
        schedule("sun", single("2026-11-29 10:00:00"), to={"alias": ["u1"]}),
        schedule("next_mon", single("2026-11-30 10:00:00"), to={"alias": ["u1"]}),
    ]
    found = check(schedules, max_per_audience={"count": 1, "per": "week"})
    assert set(found) == {("mon", "max_per_audience"), ("sun", "max_per_audience")}
    assert "in the week of 2026-11-23" in str(found["sun", "max_per_audience"])


def test_all_overlaps_every_audience_but_caps_count_per_schedule() -> None:
    schedules = [
        schedule("everyone", single("2026-11-23 10:00:00"), to="all"),
        schedule("tag_a", single("2026-11-23 12:00:00"), to={"tag": ["a"]}),
        schedule("tag_b", single("2026-11-23 14:00:00"), to={"tag": ["b"]}),
    ]
    found = check(schedules, max_per_audience={"count": 2})
    # "everyone" meets all three pushes; tag_a and tag_b meet two each (not each other).
    assert set(found) == {("everyone", "max_per_audience")}
    assert "3 pushes" in str(found["everyone", "max_per_audience"])


def test_a_push_counts_once_however_many_values_it_shares() -> None:
    schedules = [
        schedule("both", single("2026-11-23 10:00:00"), to={"tag": ["a", "b"]}),
        schedule("other", single("2026-11-23 12:00:00"), to={"tag": ["a", "b"]}),
    ]
    assert check(schedules, max_per_audience={"count": 2}) == {}


def test_disabled_schedules_never_fire() -> None:
    schedules = [
        schedule("on", single("2026-11-23 03:00:00"), to={"tag": ["a"]}),
        schedule("off", single("2026-11-23 03:00:00"), to={"tag": ["a"]}, enabled=False),
    ]
    found = check(
        schedules,
        quiet_hours=QUIET,
        max_per_audience={"count": 1},
        min_gap_minutes={"minutes": 60},
    )
    assert set(found) == {("on", "quiet_hours")}


# --- gaps -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("second", "to", "close"),
    [
        ("11:00:00", {"tag": ["a"]}, True),
        ("11:59:59", {"tag": ["a"]}, True),
        ("12:00:00", {"tag": ["a"]}, False),  # exactly the gap apart is enough
        ("11:00:00", {"tag": ["b"]}, False),
        ("11:00:00", "all", True),
        ("11:00:00", {"tag_not": ["a"]}, True),  # everyone but a: read as everyone
        ("11:00:00", {"tag_and": ["a"]}, False),  # another audience key
    ],
)
def test_gaps_between_pushes_reaching_a_common_audience(second: str, to: Any, close: bool) -> None:
    schedules = [
        schedule("first", single("2026-11-23 10:00:00"), to={"tag": ["a"]}),
        schedule("second", single(f"2026-11-23 {second}"), to=to),
    ]
    found = check(schedules, min_gap_minutes={"minutes": 120, "level": "warning"})
    assert (("first", "min_gap_minutes") in found) is close
    assert (("second", "min_gap_minutes") in found) is close
    if close:
        assert found["first", "min_gap_minutes"].level == "warning"
        assert "with second (" in str(found["first", "min_gap_minutes"])


def test_gaps_mixing_zone_types_depend_on_the_audience_zone() -> None:
    # zone_type 2 at 19:00 is 19:00 UTC in London's winter, but 18:00 UTC in Berlin:
    # there it is 0 minutes from the zone_type 1 push at 18:00 UTC.
    schedules = [
        schedule("site", single("2026-11-23 18:00:00", 1)),
        schedule("device", single("2026-11-23 19:00:00", 2)),
    ]
    found = check(
        schedules, audience_zones=["Europe/London", BERLIN], min_gap_minutes={"minutes": 30}
    )
    assert set(found) == {("site", "min_gap_minutes"), ("device", "min_gap_minutes")}
    assert str(found["device", "min_gap_minutes"]).startswith(
        "policy min_gap_minutes: fires at 2026-11-23 19:00 (Mon) Europe/Berlin, 0 min from "
        "another push to a common audience (min_gap_minutes 30); with site (19:00)"
    )


def test_gap_messages_name_the_closest_few_and_count_the_rest() -> None:
    schedules = [schedule("me", single("2026-11-23 10:00:00"))] + [
        schedule(f"s{i}", single(f"2026-11-23 10:{i:02d}:00")) for i in range(1, 9)
    ]
    found = check(schedules, min_gap_minutes={"minutes": 30})
    assert str(found["me", "min_gap_minutes"]).endswith(
        "1 min from another push to a common audience (min_gap_minutes 30); with s1 (10:01), "
        "s2 (10:02), s3 (10:03), s4 (10:04), s5 (10:05) and 3 more"
    )


def test_an_absent_zone_type_is_read_as_1_and_said_so() -> None:
    found = check([schedule("bare", single("2026-11-23 03:00:00", None))], quiet_hours=QUIET)
    assert str(found["bare", "quiet_hours"]).endswith(
        "; no zone_type: read as 1, the site zone UTC"
    )


def test_offending_fires_are_all_kept_and_counted() -> None:
    daily = schedule("nightly", periodical("23:00:00"))
    found = check([daily], quiet_hours=QUIET, horizon_days=7)
    violation = found["nightly", "quiet_hours"]
    assert len(violation.walls) == 7
    assert "(6 more offending fires)" in violation.message


# --- the engine against the rules read literally ----------------------------------------------


@dataclass
class _Fire:
    name: str
    wall: datetime
    instant: datetime
    local: datetime


def _meet(a: Any, b: Any) -> bool:
    """The issue's sentence: either `to` is all, or the same value under the same key
    (exclusions never make a common audience; only exclusions reach everyone else)."""

    def named(to: Any) -> set[tuple[str, str]] | None:
        if to == "all":
            return None
        keys = [k for k in to if k != "tag_not"]
        if not keys:
            return None
        return {(k, str(v)) for k in keys for v in to[k]}

    left, right = named(a), named(b)
    return left is None or right is None or bool(left & right)


def _brute(
    schedules: list[Schedule], policies: Policies, site: str, now: datetime
) -> dict[tuple[str, str], tuple[set[datetime], str]]:
    end = now + timedelta(days=policies.horizon_days)
    site_zone = zone(site)
    zones = list(policies.audience_zones) or [site]
    by_name = {s.name: s for s in schedules if s.enabled}
    fires: dict[str, list[_Fire]] = {}
    for name_ in zones:
        tz = zone(name_)
        fires[name_] = []
        for s in by_name.values():
            device = s.trigger.zone_type == 2
            for wall in wall_times(s.trigger, datetime(2000, 1, 1), datetime(2100, 1, 1)):
                instant = wall.replace(tzinfo=tz if device else site_zone).astimezone(UTC)
                if now <= instant < end:
                    local = wall if device else instant.astimezone(tz).replace(tzinfo=None)
                    fires[name_].append(_Fire(s.name, wall, instant, local))
    found: dict[tuple[str, str], list[tuple[datetime, int, datetime, str]]] = {}

    def offend(rule: str, fire: _Fire, order: int) -> None:
        found.setdefault((fire.name, rule), []).append(
            (fire.instant, order, fire.wall, when(fire.local, zones[order]))
        )

    quiet, cap, gap = policies.quiet_hours, policies.max_per_audience, policies.min_gap_minutes
    for order, name_ in enumerate(zones):
        for f in fires[name_]:
            audience = by_name[f.name].push["to"]
            near = [g for g in fires[name_] if _meet(audience, by_name[g.name].push["to"])]
            if quiet is not None:
                start, stop, at = quiet.start, quiet.end, f.local.time()
                if (start <= at < stop) if start < stop else (at >= start or at < stop):
                    offend("quiet_hours", f, order)
            if cap is not None:

                def bucket(moment: datetime) -> Any:
                    day = moment.date()
                    return day - timedelta(days=day.weekday()) if cap.per == "week" else day

                if sum(bucket(g.local) == bucket(f.local) for g in near) > cap.count:
                    offend("max_per_audience", f, order)
            if gap is not None and any(
                g is not f and abs(g.instant - f.instant) < timedelta(minutes=gap.minutes)
                for g in near
            ):
                offend("min_gap_minutes", f, order)
    return {key: ({wall for _, _, wall, _ in hits}, min(hits)[3]) for key, hits in found.items()}


_TO = st.sampled_from(
    [
        "all",
        {"tag": ["a"]},
        {"tag": ["b"]},
        {"tag": ["a", "b"]},
        {"tag_and": ["a"]},
        {"alias": ["a"]},
        {"tag_not": ["a"]},
        {"tag": ["b"], "tag_not": ["a"]},
    ]
)
_ZONES = ["UTC", LA, BERLIN, "Asia/Singapore", "Asia/Kolkata"]
# A window holding both DST changes of 2027 (US 14 March, EU 28 March).
DST_SPRING_2027 = datetime(2027, 3, 10, 6, tzinfo=UTC)


@st.composite
def _schedules(draw: st.DrawFn) -> list[Schedule]:
    found = []
    for i in range(draw(st.integers(1, 7))):
        zone_type = draw(st.sampled_from([1, 2, None]))
        clock = f"{draw(st.integers(0, 23)):02d}:{draw(st.sampled_from([0, 15, 30, 59])):02d}:00"
        kind = draw(st.sampled_from(["single", "day", "week"]))
        if kind == "single":
            day = DST_SPRING_2027 + timedelta(days=draw(st.integers(-1, 22)))
            trigger = single(f"{day:%Y-%m-%d} {clock}", zone_type)
        elif kind == "day":
            trigger = periodical(clock, zone_type=zone_type, frequency=draw(st.integers(1, 3)))
        else:
            points = draw(st.lists(st.sampled_from(["MON", "WED", "SUN"]), min_size=1, unique=True))
            trigger = periodical(clock, unit="week", point=points, zone_type=zone_type)
        found.append(
            schedule(f"s{i}", trigger, to=draw(_TO), enabled=draw(st.booleans()) or i % 2 == 0)
        )
    return found


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    schedules=_schedules(),
    site=st.sampled_from(_ZONES),
    zones=st.lists(st.sampled_from(_ZONES), max_size=3, unique=True),
    quiet=st.tuples(st.integers(0, 23), st.integers(0, 23)).filter(lambda q: q[0] != q[1]),
    cap=st.tuples(st.integers(1, 3), st.sampled_from(["day", "week"])),
    gap=st.sampled_from([15, 60, 180, 1500]),
)
def test_the_engine_finds_exactly_what_the_rules_say(
    schedules: list[Schedule],
    site: str,
    zones: list[str],
    quiet: tuple[int, int],
    cap: tuple[int, str],
    gap: int,
) -> None:
    policies = Policies.from_json(
        {
            "horizon_days": 21,
            "audience_zones": zones,
            "quiet_hours": {"start": f"{quiet[0]:02d}:00", "end": f"{quiet[1]:02d}:00"},
            "max_per_audience": {"count": cap[0], "per": cap[1]},
            "min_gap_minutes": {"minutes": gap},
        }
    )
    found = evaluate(schedules, policies, zone(site), site, DST_SPRING_2027)
    engine = {(v.schedule.name, v.rule): (set(v.walls), v.message) for v in found}
    expected = _brute(schedules, policies, site, DST_SPRING_2027)
    assert set(engine) == set(expected)
    for key, (walls, first) in expected.items():
        assert engine[key][0] == walls, key
        assert engine[key][1].startswith(f"fires at {first}"), key


# --- require ---------------------------------------------------------------------------------


def test_require_names_the_missing_pointer_at_its_nearest_place(repo: Path) -> None:
    paths = ["/push/body/options/time_to_live", "/push/custom_args/trace"]
    config(repo, policies={"require": {"paths": paths}})
    kept = doc("kept")
    kept["push"]["body"]["options"] = {"time_to_live": 60}
    kept["push"]["custom_args"] = {"trace": "t1"}
    nulled = doc("nulled")
    nulled["push"]["body"]["options"] = {"time_to_live": 60}
    nulled["push"]["custom_args"] = {"trace": None}  # null is not having it
    write(repo, kept)
    write(repo, nulled)
    write(repo, doc("bare"))
    result = run("validate")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "policy" in line]
    missing = "is missing; every schedule must have it"
    # At the nearest place the file has: /push for custom_args, /push/body for options,
    # the key holding the null for trace.
    assert lines == [
        f"schedules.d/bare.yaml:3:1: error: policy require: {paths[1]} {missing} (schedule bare)",
        f"schedules.d/bare.yaml:4:3: error: policy require: {paths[0]} {missing} (schedule bare)",
        f"schedules.d/nulled.yaml:11:5: error: policy require: {paths[1]} {missing} "
        "(schedule nulled)",
    ]


def test_require_reads_list_indexes_and_what_the_file_wrote() -> None:
    tagged = schedule("tagged", periodical("10:00:00", frequency=1), to={"tag": ["a"]})
    found = check(
        [tagged, schedule("everyone", single("2026-11-23 10:00:00"))],
        require={"paths": ["/push/to/tag/0"], "level": "warning"},
    )
    assert set(found) == {("everyone", "require")}
    assert found["everyone", "require"].level == "warning"


# --- validate, plan and the config -------------------------------------------------------------

_LINE = re.compile(
    r"^schedules\.d/\w+\.yaml:\d+:\d+: (error|warning): policy (quiet_hours|max_per_audience|"
    r"min_gap_minutes|require): .+ \(schedule \w+\)$"
)


def _night(repo: Path) -> None:
    write(repo, doc("night", trigger=single("2026-11-23 03:00:00")))
    write(repo, doc("day", trigger=single("2026-11-23 12:00:00")))


def test_errors_fail_validate_with_one_line_each(repo: Path) -> None:
    config(repo, policies={"quiet_hours": QUIET})
    _night(repo)
    result = run("validate")
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if "policy" in line]
    assert _LINE.match(line), line
    # At the trigger's time, where the fix goes.
    assert line.startswith("schedules.d/night.yaml:11:5: error: policy quiet_hours: fires at ")


def test_warnings_do_not_fail_validate_nor_plan_and_reach_the_plan(repo: Path) -> None:
    config(repo, policies={"quiet_hours": {**QUIET, "level": "warning"}})
    _night(repo)
    result = run("validate")
    assert result.exit_code == 0, result.output
    assert "warning: policy quiet_hours: fires at 2026-11-23 03:00 (Mon) UTC" in result.output
    planned = run("plan", "--format", "markdown")
    assert planned.exit_code == 0, planned.output
    assert "warning: policy quiet_hours" in planned.output


def test_errors_refuse_the_plan(repo: Path) -> None:
    config(repo, policies={"quiet_hours": QUIET})
    _night(repo)
    result = run("plan")
    assert result.exit_code == 1
    assert "error: policy quiet_hours" in result.stderr


def test_per_target_overrides_merge_key_by_key_and_rule_by_rule(repo: Path) -> None:
    config(
        repo,
        policies={"quiet_hours": QUIET, "max_per_audience": {"count": 5}},
        targets={
            "local": {"endpoint": "local"},
            "relaxed": {"endpoint": "local", "policies": {"quiet_hours": {"level": "warning"}}},
            "off": {"endpoint": "local", "policies": {"quiet_hours": None}},
            "berlin": {"endpoint": "local", "policies": {"audience_zones": [BERLIN]}},
        },
    )
    _night(repo)
    assert run("validate").exit_code == 1
    relaxed = run("--target", "relaxed", "validate")
    assert relaxed.exit_code == 0
    assert "warning: policy quiet_hours: fires at 2026-11-23 03:00 (Mon) UTC" in relaxed.output
    off = run("--target", "off", "validate")
    assert off.exit_code == 0
    assert "policy" not in off.output
    # In Berlin 03:00 UTC is 04:00; the day push at 12:00 UTC is 13:00, not quiet.
    berlin = run("--target", "berlin", "validate")
    assert "fires at 2026-11-23 04:00 (Mon) Europe/Berlin" in berlin.output
    loaded = load_config(None, repo)
    assert loaded.target("relaxed").policies.quiet_hours is not None
    assert loaded.target("relaxed").policies.quiet_hours.start == time(22)
    assert loaded.target("relaxed").policies.max_per_audience is not None


def test_merge_policies_replaces_lists_and_turns_rules_off() -> None:
    top = {"require": {"paths": ["/a"]}, "audience_zones": [LA], "quiet_hours": QUIET}
    own = {"require": {"paths": ["/b"]}, "audience_zones": [BERLIN], "quiet_hours": None}
    assert merge_policies(top, own) == {
        "require": {"paths": ["/b"]},
        "audience_zones": [BERLIN],
        "quiet_hours": None,
    }


@pytest.mark.parametrize(
    ("policies", "message"),
    [
        ({"audience_zones": ["Mars/Olympus"]}, "unknown time zone 'Mars/Olympus'"),
        ({"quiet_hours": {"start": "22:00"}}, "quiet_hours needs end"),
        ({"quiet_hours": {"start": "08:00", "end": "08:00"}}, "start and end are equal"),
        ({"quiet_hours": {"start": "25:00", "end": "08:00"}}, "policies.quiet_hours.start: "),
        ({"horizon_days": 0}, "policies.horizon_days: "),
        ({"max_per_audience": {"count": 2, "per": "month"}}, "policies.max_per_audience.per: "),
        ({"min_gap_minutes": {"minutes": 5, "level": "fatal"}}, "policies.min_gap_minutes.level: "),
        ({"require": {"paths": ["push.body"]}}, "policies.require.paths.0: "),
        ({"quiet_hour": QUIET}, "did you mean 'quiet_hours'?"),
    ],
)
def test_bad_policies_are_one_clear_config_error(
    tmp_path: Path, policies: dict[str, Any], message: str
) -> None:
    config(tmp_path, policies=policies)
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        load_config(None, tmp_path)
    assert str(raised.value).startswith("reconciler.yaml:")
    assert "\n" not in str(raised.value)


# --- the registry -----------------------------------------------------------------------------


def test_every_rule_has_its_schema_fragment_and_every_fragment_its_rule() -> None:
    fragments = [name for name in schema_names() if name not in ("horizon_days", "audience_zones")]
    assert list(RULES) == fragments


def test_a_rules_settings_are_read_by_the_rule_itself_and_reachable_by_name() -> None:
    policies = Policies.from_json({"quiet_hours": QUIET, "require": {"paths": ["/a"]}})
    assert [name for name, _ in policies.rules] == ["quiet_hours", "require"]
    assert policies.quiet_hours.label == "22:00-08:00"
    assert policies.max_per_audience is None
    with pytest.raises(AttributeError):
        _ = policies.no_such_rule
