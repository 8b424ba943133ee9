"""Validation: the bad-file corpus, the good files, and each rule at its edges."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from reconciler.config.load import load_config
from reconciler.config.targets import Target
from reconciler.core.diagnostics import Diagnostic
from reconciler.core.model import Periodical, Single
from reconciler.desired.names import name_problem
from reconciler.desired.read import validate_target
from reconciler.desired.validate import ValidationResult, validate
from reconciler.documents.load import load_schedules, parse_documents
from tests.support.clock import NOW
from tests.support.documents import intelligent, periodical, single
from tests.support.wording import ours

FIXTURES = Path(__file__).parent / "fixtures"
BAD = sorted((FIXTURES / "bad").glob("*.yaml"))
GOOD = sorted((FIXTURES / "good").glob("*.yaml"))
EXPECT = re.compile(r"# expect: (\d+)(?::(\d+))? (.+)\n")


def target(**overrides: object) -> Target:
    settings: dict[str, object] = {"name": "test", "root": Path("."), "site_timezone": "UTC"}
    settings.update(overrides)
    return Target(**settings)  # type: ignore[arg-type]


def check(text: str, now: datetime = NOW, **overrides: object) -> ValidationResult:
    documents, diagnostics = parse_documents(text, "s.yaml")
    assert diagnostics == [], diagnostics
    return validate(documents, target(**overrides), now)


def messages(result: ValidationResult) -> list[str]:
    return [str(d) for d in result.diagnostics]


# --- the bad corpus ---------------------------------------------------------------------


def test_the_bad_corpus_is_large_enough() -> None:
    assert len(BAD) >= 45


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_fixture_yields_exactly_its_error(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    expect = EXPECT.match(text)
    assert expect, f"{path.name} must start with '# expect: LINE[:COL] MESSAGE'"
    line, column, fragment = int(expect[1]), expect[2], expect[3]
    loaded = load_schedules(path.parent, path.name)
    result = validate(loaded.documents, target(), NOW)
    found = list(loaded.diagnostics) + list(result.diagnostics)
    assert len(found) == 1, "\n".join(map(str, found))
    (diagnostic,) = found
    assert diagnostic.severity == "error"
    assert diagnostic.file == path.name
    assert diagnostic.line == line, str(diagnostic)
    if column is not None:
        assert diagnostic.column == int(column), str(diagnostic)
    # `…` in the expectation: a dependency's words (libyaml's, jsonschema's), not ours.
    assert ours(fragment).search(diagnostic.message), str(diagnostic)
    # FILE:LINE:COL: error: MESSAGE (schedule NAME)
    rendered = str(diagnostic)
    assert rendered.startswith(
        f"{path.name}:{line}:{diagnostic.column}: error: {diagnostic.message}"
    )
    if diagnostic.schedule:
        assert rendered.endswith(f" (schedule {diagnostic.schedule})")


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_fixture_has_no_findings(path: Path) -> None:
    loaded = load_schedules(path.parent, path.name)
    result = validate(loaded.documents, target(), NOW)
    assert loaded.diagnostics == ()
    assert messages(result) == []
    assert len(result.schedules) == len(loaded.documents) >= 1


def test_good_fixtures_together_have_unique_names() -> None:
    loaded = load_schedules(FIXTURES / "good", "*.yaml")
    result = validate(loaded.documents, target(), NOW)
    assert result.ok
    assert messages(result) == []
    assert len(result.schedules) == 15


def test_yaml_surprise_spellings_are_valid_strings() -> None:
    loaded = load_schedules(FIXTURES / "good", "yaml_surprises_stay_strings.yaml")
    by_name = {s.name: s for s in validate(loaded.documents, target(), NOW).schedules}
    times = by_name["unquoted_times"].trigger
    assert isinstance(times, Periodical)
    assert (times.start, times.end, times.time) == (
        "2026-11-22 00:00:00",
        "2027-06-23 00:00:00",
        "12:00:00",
    )
    assert times.point == ("01", "02", "08", "09")
    weekdays = by_name["unquoted_weekdays"].trigger
    assert isinstance(weekdays, Periodical)
    assert weekdays.point == ("MON", "TUE")
    assert weekdays.time == "08:05:09"
    assert by_name["unquoted_weekdays"].push["to"] == {
        "tag": ["on", "off", "0755", "1_000", "0x1F"]
    }
    assert by_name["unquoted_times"].push["body"]["notification"]["alert"] == "yes"
    assert by_name["unquoted_single_time"].trigger == Single("2026-12-21 09:00:00", 1)
    assert by_name["unquoted_single_time"].push["body"]["message"]["msg_content"] == "no"


def test_valid_schedules_carry_their_source() -> None:
    loaded = load_schedules(FIXTURES / "good", "multi_document.yaml")
    result = validate(loaded.documents, target(), NOW)
    assert [(s.name, str(s.source)) for s in result.schedules] == [
        ("multi_single", "multi_document.yaml:2:1"),
        ("multi_periodical", "multi_document.yaml:15:1"),
        ("multi_intelligent", "multi_document.yaml:22:1"),
    ]


# --- several files ----------------------------------------------------------------------


def validate_dir(case: str) -> list[str]:
    root = FIXTURES / "bad_multi" / case
    config = load_config(None, root)
    _, result = validate_target(config.target(), NOW)
    return messages(result)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            "duplicate_name",  # across files: both places are named
            "schedules.d/b_second.yaml:15:1: error: duplicate name 'flash_sale': also defined at "
            "schedules.d/a_first.yaml:2:1 (schedule flash_sale)",
        ),
        (
            "previous_name_claimed_twice",
            "schedules.d/b.yaml:2:1: error: previous_name 'old_promo' is also claimed at "
            "schedules.d/a.yaml:2:1 (schedule promo_b)",
        ),
        (
            "previous_name_still_declared",
            "schedules.d/new.yaml:2:1: error: previous_name 'old_promo' is still declared at "
            "schedules.d/old.yaml:2:1; a rename needs the old one gone (schedule new_promo)",
        ),
        (
            "manage_prefix_missing",  # from a desired name
            "schedules.d/team/welcome_back.yaml:2:1: error: name 'welcome_back' lacks the "
            "manage_prefix 'team_': it would never be managed (schedule welcome_back)",
        ),
    ],
)
def test_a_rule_across_files_reports_its_one_error(case: str, message: str) -> None:
    assert validate_dir(case) == [message]


def test_manage_prefix_applies_to_previous_name_too() -> None:
    text = single().replace("name: morning_push", "name: team_push\nprevious_name: old_push")
    assert messages(check(text, manage_prefix="team_")) == [
        "s.yaml:2:1: error: previous_name 'old_push' lacks the manage_prefix 'team_': "
        "it would never be managed (schedule team_push)"
    ]


def test_duplicate_names_keep_the_first_schedule() -> None:
    text = single() + "---\n" + single().replace("alert: hello", "alert: again")
    result = check(text)
    assert [s.push["body"]["notification"]["alert"] for s in result.schedules] == ["hello"]
    assert messages(result) == [
        "s.yaml:14:1: error: duplicate name 'morning_push': also defined at s.yaml:1:1 "
        "(schedule morning_push)"
    ]


# --- all at once, sorted ----------------------------------------------------------------


def test_every_error_is_reported_at_once_and_sorted() -> None:
    text = """name: bad-name
enabled: yes
trigger:
  periodical:
    start: "2026-02-30 00:00:00"
    end: "2027-1-1 00:00:00"
    time: "25:00:00"
    time_unit: week
    point: [MONDAY, fri]
    frequency: 0
    zone_type: 3
push:
  to: everyone
  body:
    platform: all
    notifcation:
      alert: hi
"""
    result = check(text)
    assert not result.ok
    assert result.schedules == ()
    assert [(d.line, d.column, d.severity) for d in result.diagnostics] == [
        (1, 1, "error"),
        (2, 1, "error"),
        (5, 5, "error"),
        (6, 5, "error"),
        (7, 5, "error"),
        (9, 13, "error"),
        (10, 5, "error"),
        (11, 5, "error"),
        (13, 3, "error"),
        (16, 5, "error"),
    ]
    assert all(d.schedule == "bad-name" for d in result.diagnostics)


def test_diagnostics_sort_by_file_then_place() -> None:
    first = Diagnostic("a.yaml", 10, 1, "warning", "w")
    second = Diagnostic("a.yaml", 2, 5, "error", "e")
    third = Diagnostic("B.yaml", 1, 1, "error", "e")
    assert sorted([first, second, third]) == [third, second, first]


def test_document_errors_carry_no_schedule_when_the_name_is_not_a_string() -> None:
    result = check(single().replace("name: morning_push", "name: [a]"))
    assert messages(result) == ["s.yaml:1:1: error: name must be a string, not a list"]


# --- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "a",
        "_",
        "0",
        "Push_2026",
        "月度账单提醒",
        "推" * 85,  # 255 bytes
        "a" * 255,
        "\u3400",  # CJK extension A
        "\U00020000",  # CJK extension B
        "\uf900",  # CJK compatibility ideograph
        "mixed_中文_123",
    ],
)
def test_valid_names(name: str) -> None:
    assert name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "is empty"),
        ("推" * 86, "is 258 bytes of UTF-8; at most 255 are allowed"),
        ("a" * 256, "is 256 bytes of UTF-8; at most 255 are allowed"),
        ("a b", "found ' ' at position 2"),
        ("a-b", "found '-' at position 2"),
        ("a.b", "found '.' at position 2"),
        ("café", "found 'é' (U+00E9) at position 4"),
        ("ａ", "found 'ａ' (U+FF41) at position 1"),
        ("\u212a", "(U+212A) at position 1"),  # the Kelvin sign lower-cases to "k"
        ("\u0130", "(U+0130) at position 1"),  # "İ" lower-cases to "i" + a combining dot
        ("a\u200bb", "found U+200B at position 2"),
        ("tab\there", "found U+0009 at position 4"),
        ("〇", "found '〇' (U+3007) at position 1"),  # not a unified ideograph
        ("ｱ", "at position 1"),
        ("😀", "at position 1"),
    ],
)
def test_invalid_names(name: str, problem: str) -> None:
    found = name_problem(name)
    assert found is not None
    assert problem in found


# --- single -------------------------------------------------------------------------------


def test_single_in_the_past_is_a_warning_not_an_error() -> None:
    result = check(single("2026-11-20 23:59:59"))
    assert result.ok
    assert len(result.schedules) == 1
    assert messages(result) == [
        "s.yaml:5:5: warning: single time is already past: expired, will be skipped; "
        "delete the file (schedule morning_push)"
    ]


def test_single_exactly_now_is_expired() -> None:
    assert "already past" in messages(check(single("2026-11-21 00:00:00")))[0]


def test_single_at_most_one_year_ahead() -> None:
    limit = (NOW.replace(tzinfo=None) + timedelta(days=366)).strftime("%Y-%m-%d %H:%M:%S")
    assert messages(check(single(limit))) == []
    over = (NOW.replace(tzinfo=None) + timedelta(days=366, seconds=1)).strftime("%Y-%m-%d %H:%M:%S")
    assert messages(check(single(over))) == [
        f"s.yaml:5:5: error: single time {over} is more than one year ahead; the API refuses it "
        "(schedule morning_push)"
    ]


def test_single_without_zone_type_warns_that_the_server_zone_applies() -> None:
    result = check(single(zone_type=""))
    assert result.ok
    assert messages(result) == [
        "s.yaml:4:3: warning: no zone_type: the server's time zone applies; set 1 (main site) "
        "or 2 (device) (schedule morning_push)"
    ]


def test_zone_type_2_is_judged_in_utc_minus_12() -> None:
    # 2026-11-21T00:00Z is 2026-11-20 12:00 in UTC-12: a device there has not reached 13:00.
    assert messages(check(single("2026-11-20 13:00:00", "\n    zone_type: 2"))) == []
    assert "already past" in messages(check(single("2026-11-20 11:59:59", "\n    zone_type: 2")))[0]
    # The same wall time in the main site's zone (UTC) is long gone.
    assert "already past" in messages(check(single("2026-11-20 13:00:00")))[0]


def test_zone_type_1_is_judged_in_the_site_timezone() -> None:
    # 2026-11-21T00:00Z is 08:00 in Singapore.
    sgt = {"site_timezone": "Asia/Singapore"}
    assert "already past" in messages(check(single("2026-11-21 07:59:59"), **sgt))[0]
    assert messages(check(single("2026-11-21 08:00:01"), **sgt)) == []
    assert messages(check(single("2026-11-21 07:59:59"))) == []


# --- periodical ---------------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["day", "DAY", "Day", "week", "WEEK", "month", "Month"])
def test_time_unit_in_any_case(unit: str) -> None:
    point = {"day": "[]", "week": "[mon]", "month": '["01"]'}[unit.lower()]
    result = check(periodical(unit, point))
    assert messages(result) == []
    trigger = result.schedules[0].trigger
    assert isinstance(trigger, Periodical)
    assert trigger.time_unit == unit.lower()


@pytest.mark.parametrize("point", ["[]", "null", "~", "", "[ ]"])
def test_day_takes_no_points(point: str) -> None:
    assert messages(check(periodical("day", point))) == []


@pytest.mark.parametrize(
    "point", ["[MON, TUE, WED, THU, FRI, SAT, SUN]", "[sun, Sat]", "[mOn]", "[MON, MON]"]
)
def test_week_points_in_any_case(point: str) -> None:
    assert messages(check(periodical("week", point))) == []


@pytest.mark.parametrize("point", ["null", "[]"])
def test_week_needs_points(point: str) -> None:
    assert messages(check(periodical("week", point))) == [
        "s.yaml:9:5: error: point must list at least one weekday (MON..SUN) when time_unit is "
        "week (schedule weekly_push)"
    ]


@pytest.mark.parametrize("day", ["29", "30", "31"])
def test_month_days_some_months_lack_warn(day: str) -> None:
    result = check(periodical("month", f'["01", "{day}"]'))
    assert result.ok
    assert messages(result) == [
        f"s.yaml:9:19: warning: month point '{day}': months without day {int(day)} are skipped "
        "(schedule weekly_push)"
    ]


def test_month_points_unquoted_with_leading_zero_are_strings() -> None:
    result = check(periodical("month", "[01, 09, 08]"))
    assert messages(result) == []
    trigger = result.schedules[0].trigger
    assert isinstance(trigger, Periodical)
    assert trigger.point == ("01", "08", "09")


def test_month_points_unquoted_without_leading_zero_are_integers_and_refused() -> None:
    assert messages(check(periodical("month", "[01, 15]"))) == [
        "s.yaml:9:17: error: trigger.periodical.point.1 must be a string, not an integer "
        '(write month dates as quoted strings, e.g. "15") (schedule weekly_push)'
    ]


@pytest.mark.parametrize("frequency", [1, 2, 100])
def test_frequency_within_range(frequency: int) -> None:
    extra = f"\n    frequency: {frequency}"
    # Every 100th week leaves only the first week of the window, which holds no
    # listed weekday here: valid, with the no-fire-time warning.
    expected = ["warning"] if frequency == 100 else []
    assert [d.severity for d in check(periodical(extra=extra)).diagnostics] == expected


def test_periodical_span_over_one_year_is_a_warning() -> None:
    result = check(periodical(end="2027-11-24 00:00:00"))
    assert result.ok
    assert messages(result) == [
        "s.yaml:6:5: warning: periodical span is over one year; the documents say it should "
        "not be (schedule weekly_push)"
    ]


def test_periodical_span_of_exactly_a_year_is_fine() -> None:
    assert messages(check(periodical(end="2027-11-22 00:00:00"))) == []


def test_periodical_already_over_is_a_warning() -> None:
    result = check(periodical(start="2026-06-23 00:00:00", end="2026-10-21 00:00:00"))
    assert result.ok
    assert messages(result) == [
        "s.yaml:6:5: warning: periodical end is already past: expired, will be skipped; "
        "delete the file (schedule weekly_push)"
    ]


def test_periodical_started_in_the_past_and_running_is_fine() -> None:
    assert messages(check(periodical(start="2026-06-23 00:00:00"))) == []


def test_periodical_without_zone_type_warns() -> None:
    text = periodical().replace("    zone_type: 1\n", "")
    assert messages(check(text)) == [
        "s.yaml:4:3: warning: no zone_type: the server's time zone applies; set 1 (main site) "
        "or 2 (device) (schedule weekly_push)"
    ]


# --- intelligent ----------------------------------------------------------------------------


def test_intelligent_backup_time_now_explains_why() -> None:
    text = intelligent("now")
    for spelling in ("now", "NOW", " Now "):
        found = messages(check(text.replace('"now"', f'"{spelling}"')))
        assert len(found) == 1
        assert found[0].startswith('s.yaml:5:5: error: intelligent backup_time "now" is refused')
        assert "every later apply would send it again" in found[0]
        assert "yyyy-MM-dd HH:mm:ss" in found[0]


def test_intelligent_backup_time_past_is_a_warning() -> None:
    result = check(intelligent("2026-10-21 12:00:00"))
    assert result.ok
    assert [d.severity for d in result.diagnostics] == ["warning"]
    assert "expired, will be skipped; delete the file" in messages(result)[0]


def test_intelligent_backup_time_is_not_zone_type_shifted() -> None:
    result = check(intelligent("2026-11-21 07:59:59"), site_timezone="Asia/Singapore")
    assert "already past" in messages(result)[0]


# --- push -------------------------------------------------------------------------------------


def test_message_alone_is_enough() -> None:
    assert messages(check(intelligent("2026-12-21 12:00:00"))) == []


def test_notification_and_message_together_are_fine() -> None:
    text = single().replace(
        "      alert: hello\n", "      alert: hello\n    message:\n      msg_content: hi\n"
    )
    assert messages(check(text)) == []


def test_empty_notification_counts_as_missing() -> None:
    text = single().replace("    notification:\n      alert: hello\n", "    notification: {}\n")
    assert messages(check(text)) == [
        "s.yaml:9:3: error: push.body needs a notification or a message (schedule morning_push)"
    ]


def test_each_missing_key_is_said_once_in_our_words() -> None:
    text = single().replace("enabled: true\n", "").replace("    platform: all\n", "")
    text = text.replace("  to: all\n", "")
    assert messages(check(text)) == [
        "s.yaml:1:1: error: the schedule is missing 'enabled' (schedule morning_push)",
        "s.yaml:6:1: error: push is missing 'to' (schedule morning_push)",
        "s.yaml:7:3: error: push.body is missing 'platform' (schedule morning_push)",
    ]


def test_a_far_typo_of_notification_still_reports_the_missing_notification() -> None:
    text = single().replace("    notification:", "    popup:")
    assert messages(check(text)) == [
        "s.yaml:9:3: error: push.body needs a notification or a message (schedule morning_push)",
        "s.yaml:11:5: error: unknown key 'popup' in push.body (known: live_activity, message, "
        "notification, options, platform, voip) (schedule morning_push)",
    ]


@pytest.mark.parametrize(
    "block",
    [
        "android: {anything: 1, extras: {deep: [1, {x: y}]}}",
        "ios: {alert: {title: t, body: b}, content-available: true, future_key: 1}",
        "hmos: {whatever: [1, 2], extras: {}}",
    ],
)
def test_platform_blocks_take_anything(block: str) -> None:
    text = single().replace("      alert: hello\n", f"      alert: hello\n      {block}\n")
    assert messages(check(text)) == []


def test_custom_args_and_message_extras_take_anything() -> None:
    text = intelligent("2026-12-21 12:00:00").replace(
        "      msg_content: hello\n",
        "      msg_content: hello\n      extras: {a: {b: [1, 2]}}\n  custom_args: {x: {y: z}}\n",
    )
    assert messages(check(text)) == []


@pytest.mark.parametrize(
    "platform", ["all", "android", "ios", "hmos", "[android]", "[android, ios, hmos]"]
)
def test_platform_spellings(platform: str) -> None:
    assert messages(check(single().replace("platform: all", f"platform: {platform}"))) == []


@pytest.mark.parametrize("platform", ["[]", "[ios, ios]", "ALL", "[all]"])
def test_bad_platforms(platform: str) -> None:
    found = messages(check(single().replace("platform: all", f"platform: {platform}")))
    assert found == [
        's.yaml:10:5: error: push.body.platform must be "all", one of android, ios, hmos, or a '
        "list of them (schedule morning_push)"
    ]


@pytest.mark.parametrize(
    "to",
    [
        "all",
        "{registration_id: [a]}",
        "{tag: [a], tag_and: [b], tag_not: [c], alias: [d]}",
        "{live_activity_id: x}",
        "{seg: {id: s1}}",
    ],
)
def test_audiences(to: str) -> None:
    assert messages(check(single().replace("to: all", f"to: {to}"))) == []


def test_non_mapping_document() -> None:
    assert messages(check("- a\n- b\n")) == [
        "s.yaml:1:1: error: a schedule must be a mapping (name, enabled, trigger, push), not a list"
    ]


def test_a_result_with_only_warnings_is_ok() -> None:
    result = check(single("2026-06-23 00:00:00", ""))
    assert result.ok
    assert {d.severity for d in result.diagnostics} == {"warning"}


def test_a_periodical_window_without_any_fire_time_is_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "schedules.d"
    folder.mkdir()
    (folder / "never.yaml").write_text(
        "name: never\n"
        "enabled: true\n"
        "trigger:\n"
        "  periodical:\n"
        '    start: "2027-02-01 00:00:00"\n'
        '    end: "2027-02-27 00:00:00"\n'
        '    time: "09:00:00"\n'
        "    time_unit: month\n"
        '    point: ["30"]\n'
        "    zone_type: 1\n"
        "push: {to: all, body: {platform: all, notification: {alert: x}}}\n",
        encoding="utf-8",
    )
    _, result = validate_target(Target(name="t", root=tmp_path), NOW)
    assert result.ok
    assert [str(d) for d in result.diagnostics] == [
        "schedules.d/never.yaml:4:3: warning: the window from start to end holds no fire time: "
        "the API will likely refuse it (28105) (schedule never)",
        "schedules.d/never.yaml:9:13: warning: month point '30': months without day 30 are skipped "
        "(schedule never)",
    ]


def test_a_file_without_any_schedule_is_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "schedules.d"
    folder.mkdir()
    (folder / "empty.yaml").write_text("# nothing here yet\n", encoding="utf-8")
    _, result = validate_target(Target(name="t", root=tmp_path), NOW)
    assert [str(d) for d in result.diagnostics] == [
        "schedules.d/empty.yaml: warning: no schedule in this file"
    ]
