"""Review: the calendar section of the markdown plan, before and after each change."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from reconciler.plan.changes import Plan
from reconciler.plan.planner import make_plan
from reconciler.remote.engagelab import RemoteSchedule
from reconciler.remote.engagelab._claim import PARK_DAYS, park
from reconciler.views.plan import MARKDOWN_LIMIT, render_markdown
from reconciler.views.review import review_section
from tests.support.clock import NOW
from tests.support.policy import body, intelligent, periodical, schedule, single, target

DAILY_9 = periodical("09:00:00")


def remote(name: str, trigger: dict[str, Any], position: int = 0, **over: Any) -> RemoteSchedule:
    b = body(name, trigger, **over)
    return RemoteSchedule(f"id-{name}", name, b["enabled"], b["trigger"], b["push"], position)


def plan_of(
    desired: list[Any], remotes: list[RemoteSchedule], warnings: tuple[str, ...] = ()
) -> Plan:
    return make_plan(desired, remotes, target("Europe/Berlin"), NOW, warnings=warnings)


def rows(section: str) -> dict[str, list[str]]:
    """The grid's rows by their first cell, the day cells after it."""
    found = {}
    for line in section.splitlines():
        if line.startswith("| `") or line.startswith("| after"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            found[cells[0]] = cells[1:]
    return found


def test_an_update_shows_when_it_fired_before_and_fires_after() -> None:
    plan = plan_of([schedule("digest", periodical("10:00:00"))], [remote("digest", DAILY_9)])
    section = review_section(plan, MARKDOWN_LIMIT)
    assert section.startswith(
        "<details><summary>Calendar: when the 1 changed schedule fires, next 14 days "
        "(Europe/Berlin)</summary>"
    )
    assert section.rstrip().endswith("</details>")
    grid = rows(section)
    # NOW is 01:00 in Berlin: 14 days from then end at 01:00 on the 15th day.
    header = next(line for line in section.splitlines() if line.startswith("| schedule |"))
    assert header.count("<br>") == 15
    assert "Sat<br>11-21" in header
    assert "Sat<br>12-05" in header
    assert grid["`~` `digest` before"][:3] == ["09:00", "09:00", "09:00"]
    assert grid["after"][:3] == ["10:00", "10:00", "10:00"]
    assert grid["after"][-1] == ""  # 10:00 on the 15th day is after the window


def test_creates_deletes_and_unchanged_times() -> None:
    plan = plan_of(
        [
            schedule("new_one", single("2026-11-25 18:00:00", 2)),
            schedule("text_only", DAILY_9, to={"tag": ["vip"]}),
        ],
        [remote("gone", DAILY_9, 0), remote("text_only", DAILY_9, 1)],
    )
    grid = rows(review_section(plan, MARKDOWN_LIMIT))
    assert set(grid) == {
        "`+` `new_one` new",
        "`-` `gone` deleted; was",
        "`~` `text_only` same times",
    }
    assert grid["`+` `new_one` new"][4] == "*18:00*"  # device-local, in italics
    assert grid["`-` `gone` deleted; was"][1] == "09:00"


def test_a_completed_create_is_new_and_a_withdrawn_copy_has_no_row() -> None:
    # Copies parked almost a year ago: their parked times fall in the window, yet they
    # are not pushes anyone planned, so no row shows them.
    parked_at = NOW - timedelta(days=PARK_DAYS - 3)

    def left(name: str, position: int) -> RemoteSchedule:
        b = park(body(name, single("2026-11-25 18:00:00")), parked_at, "t")
        return RemoteSchedule(f"id-{name}", name, True, b["trigger"], b["push"], position)

    wanted = schedule("resumed", single("2026-11-25 18:00:00"))
    plan = plan_of([wanted], [left("resumed", 0), left("abandoned", 1)])
    assert [c.action for c in plan.changes] == ["withdraw", "complete"]
    grid = rows(review_section(plan, MARKDOWN_LIMIT))
    assert set(grid) == {"`(+)` `resumed` new"}
    assert [day for day in grid["`(+)` `resumed` new"] if day] == ["18:00"]


def test_a_disabled_after_never_fires_and_an_unreadable_before_is_a_question_mark() -> None:
    plan = plan_of(
        [
            schedule("paused", DAILY_9, enabled=False),
            schedule("was_now", intelligent("2026-11-30 12:00:00")),
        ],
        [remote("paused", DAILY_9, 0), remote("was_now", intelligent("now"), 1)],
    )
    lines = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in review_section(plan, MARKDOWN_LIMIT).splitlines()
        if line.startswith(("| `", "| after"))
    ]
    assert [cells[0] for cells in lines] == [
        "`~` `paused` before",
        "after",
        "`~` `was_now` before",
        "after",
    ]
    assert set(lines[0][1:15]) == {"09:00"}  # the 15th day's 09:00 is after the window
    assert set(lines[1][1:]) == {""}  # disabled: it never fires
    assert set(lines[2][1:]) == {"?"}  # "now" is no time to draw
    assert lines[3][1:][9] == "12:00"


def test_policy_warnings_about_the_changed_schedules_are_shown_and_flagged() -> None:
    warnings = (
        "schedules.d/a.yaml:9:5: warning: policy quiet_hours: fires at … (schedule late)",
        "schedules.d/b.yaml:9:5: warning: policy quiet_hours: fires at … (schedule untouched)",
        "schedules.d/c.yaml:4:3: warning: no zone_type: the server's time zone applies (schedule late)",
    )
    plan = plan_of([schedule("late", periodical("23:30:00"))], [], warnings)
    section = review_section(plan, MARKDOWN_LIMIT)
    assert "`+` `late` new ⚠" in section
    assert "- schedules.d/a.yaml:9:5: warning: policy quiet_hours" in section
    assert "untouched" not in section
    assert "no zone_type" not in section


def test_the_section_fits_its_room_or_is_left_out() -> None:
    plan = plan_of([schedule(f"s{i:03d}", DAILY_9) for i in range(300)], [])
    assert review_section(plan, 300) == ""
    section = review_section(plan, 6000)
    assert len(section) <= 6000
    shown = sum(1 for line in section.splitlines() if line.startswith("| `+`"))
    assert 0 < shown < 300
    assert f"_… {300 - shown} more changed schedules not shown._" in section
    assert review_section(replace(plan, clock=None), MARKDOWN_LIMIT) == ""
    assert review_section(plan_of([], []), MARKDOWN_LIMIT) == ""


def test_the_plan_comment_carries_it_collapsed_within_the_cap() -> None:
    plan = plan_of([schedule(f"s{i:04d}", DAILY_9) for i in range(1000)], [])
    md = render_markdown(plan)
    assert len(md) < MARKDOWN_LIMIT
    assert md == render_markdown(plan)  # a function of the plan alone
    small = render_markdown(plan_of([schedule("one", DAILY_9)], []))
    head, _, rest = small.partition("<details><summary>Calendar:")
    assert "| 1 | 0 | 0 | 0 |" in head  # after the summary table, before the changes
    assert "<summary><code>+ create</code> <b>one</b>" in rest


def test_the_clock_stays_out_of_the_checksum_and_the_saved_plan() -> None:
    desired = [schedule("digest", DAILY_9)]
    early = make_plan(desired, [], target("Europe/Berlin"), NOW)
    other = make_plan(desired, [], target("Asia/Singapore"), NOW)
    assert early.clock is not None
    assert early.checksum == make_plan(desired, [], target("Europe/Berlin"), NOW).checksum
    assert "clock" not in early.data()
    assert other.clock is not None
    assert other.clock.site_timezone == "Asia/Singapore"
