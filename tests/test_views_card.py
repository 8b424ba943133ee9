"""The card: who, what per platform, when in words and when next; the schedule as the user writes
it; the same card leading each create, update, replace and delete of the plan (text and
markdown) and on the calendar (tooltip, text column, iCalendar description)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import icalendar
import pytest

from reconciler.core.model import canonical
from reconciler.core.timing import zone
from reconciler.documents.load import parse_documents
from reconciler.views.card import Card, card_of, markdown_lines, schedule_as_yaml, text_lines
from reconciler.views.plan import render_json, render_markdown, render_text
from tests.support.cli import config, doc, run, write
from tests.support.clock import NOW
from tests.support.plan import body, desired, periodical, plan_of, remote
from tests.support.policy import intelligent, single

UTC = zone("UTC")


def card(over: dict[str, Any] | None = None, site: str = "UTC", **fields: Any) -> Card:
    return card_of(body("promo", **fields) | (over or {}), site, zone(site), NOW)


def push(inner: dict[str, Any], to: Any = "all") -> dict[str, Any]:
    return {"push": {"to": to, "body": inner}}


# --- content per platform ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inner", "content"),
    [
        (
            {"platform": "all", "notification": {"alert": "Sale!"}},
            ["all platforms: alert “Sale!”"],
        ),
        (
            {"platform": ["android", "ios"], "notification": {"alert": "Sale!"}},
            ["android, ios: alert “Sale!”"],
        ),
        (
            {"platform": "ios", "notification": {"ios": {"alert": {"title": "T", "body": "B"}}}},
            ["ios: title “T”, alert “B”"],
        ),
        (
            {
                "platform": "all",
                "notification": {
                    "alert": "Common",
                    "android": {"title": "Android title", "alert": "Android text"},
                    "hmos": {"title": "Harmony title"},
                },
            },
            [
                "android: title “Android title”, alert “Android text”",
                "ios: alert “Common”",
                "hmos: title “Harmony title”, alert “Common”",
            ],
        ),
        (
            {"platform": "android", "notification": {"android": {"title": "Only a title"}}},
            ["android: title “Only a title”, no alert text"],
        ),
        (
            {"platform": "all", "message": {"title": "In app", "msg_content": "Open me"}},
            ["in-app message: title “In app”, text “Open me”"],
        ),
        (
            {"platform": "ios", "live_activity": {"event": "update"}},
            ["an iOS Live Activity update (see the YAML)"],
        ),
        ({"platform": "all"}, ["no text (see the YAML)"]),
        (
            {"platform": "all", "notification": {"alert": "two\nlines"}},
            ["all platforms: alert “two\\nlines”"],  # one line, whatever the text holds
        ),
    ],
)
def test_content_per_platform(inner: dict[str, Any], content: list[str]) -> None:
    assert list(card(push(inner)).content) == content


def test_the_text_column_holds_each_distinct_text_once() -> None:
    inner = {
        "platform": "all",
        "notification": {"alert": "Common", "android": {"alert": "Other"}},
        "message": {"msg_content": "Common"},
    }
    assert card(push(inner)).text == "Other / Common"


def test_audience_is_said_as_the_calendar_says_it() -> None:
    to = {"tag": ["vip", "gold"], "tag_not": ["churned"]}
    assert card(push({"platform": "all"}, to=to)).audience == "tag: vip, gold; tag_not: churned"
    assert card().audience == "all"


# --- when, and when next ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "when", "next_fires", "zone_label"),
    [
        (
            single("2026-12-21 10:00:00"),
            "once on Mon 2026-12-21 at 10:00 UTC",
            ["Mon 2026-12-21 10:00"],
            "UTC",
        ),
        (
            periodical("week", point=["MON", "THU"]),
            "every Mon and Thu at 09:00 UTC, 2026-11-21 to 2027-05-23",
            ["Mon 2026-11-23 09:00", "Thu 2026-11-26 09:00", "Mon 2026-11-30 09:00"],
            "UTC",
        ),
        (
            {"periodical": {**periodical("day")["periodical"], "zone_type": 2}},
            "daily at 09:00 on each device's clock, 2026-11-21 to 2027-05-23",
            ["Sat 2026-11-21 09:00", "Sun 2026-11-22 09:00", "Mon 2026-11-23 09:00"],
            "device-local",
        ),
        (
            intelligent("2026-12-24 18:00:00"),
            "once, at each user's most active time (intelligent delivery); users without "
            "activity data on Thu 2026-12-24 at 18:00 UTC",
            ["Thu 2026-12-24 18:00"],
            "UTC",
        ),
    ],
)
def test_when_in_words_and_the_next_fires_on_their_clock(
    trigger: dict[str, Any], when: str, next_fires: list[str], zone_label: str
) -> None:
    found = card(trigger=trigger)
    assert found.when == when
    assert list(found.next_fires) == next_fires
    assert found.zone == zone_label


def test_a_missing_zone_type_is_said_once_not_after_every_fire() -> None:
    trigger = {
        "periodical": {k: v for k, v in periodical("day")["periodical"].items() if k != "zone_type"}
    }
    lines = text_lines(card(trigger=trigger))
    shown = "\n".join(lines)
    assert shown.count("server zone assumed") == 1
    assert (
        lines[-1]
        == "next      Sat 2026-11-21 09:00, Sun 2026-11-22 09:00, Mon 2026-11-23 09:00 (UTC)"
    )


def test_a_disabled_schedule_never_fires() -> None:
    found = card(enabled=False)
    assert found.when.startswith("disabled: never fires (when enabled: once on Mon 2026-12-21")
    assert found.next_fires == ()
    assert text_lines(found)[-1] == "next      none (disabled)"


def test_a_trigger_it_cannot_read_still_gets_a_card() -> None:
    found = card({"trigger": {"sometime": {}}})
    assert found.when == "a trigger this tool cannot read (see the YAML)"
    assert found.audience == "all"


def test_markdown_card_is_a_list_that_shows_the_files_text_as_text() -> None:
    inner = {"platform": "all", "notification": {"alert": "*50%* off <b>now</b> | [x](y) `z`"}}
    lines = markdown_lines(card(push(inner)))
    assert lines[0] == "- **Audience:** all"
    assert lines[1] == (
        "- **Content:** all platforms: alert “\\*50%\\* off \\<b\\>now\\</b\\> \\| "
        "\\[x\\](y) \\`z\\`”"
    )
    assert lines[2].startswith("- **When:** once on Mon 2026-12-21 at 10:00 UTC")
    assert lines[3] == "- **Next:** Mon 2026-12-21 10:00 (UTC)"


# --- the schedule as the user writes it -------------------------------------------------------


def test_yaml_is_block_style_in_the_schemas_order_with_nothing_unwritten() -> None:
    written = {
        "push": {
            "body": {"notification": {"alert": "hi"}, "platform": ["ios", "android"]},
            "to": {"tag": ["a"]},
        },
        "trigger": {
            "periodical": {
                "zone_type": 1,
                "time_unit": "DAY",
                "point": [],
                "frequency": 1,
                "time": "19:30:00",
                "end": "2027-05-23 00:00:00",
                "start": "2026-11-21 00:00:00",
            }
        },
        "enabled": True,
        "name": "daily",
    }
    text = schedule_as_yaml(written)
    assert text == (
        "name: daily\n"
        "enabled: true\n"
        "trigger:\n"
        "  periodical:\n"
        '    start: "2026-11-21 00:00:00"\n'
        '    end: "2027-05-23 00:00:00"\n'
        '    time: "19:30:00"\n'
        "    time_unit: day\n"
        "    zone_type: 1\n"
        "push:\n"
        "  to:\n"
        "    tag: [a]\n"
        "  body:\n"
        "    platform: [ios, android]\n"
        "    notification:\n"
        "      alert: hi\n"
    )
    (document,), problems = parse_documents(text, "shown.yaml")  # our loader reads it back
    assert problems == []
    assert canonical(document.data) == canonical(written)


def test_yaml_keeps_points_and_frequency_that_mean_something() -> None:
    text = schedule_as_yaml(body("m", trigger=periodical("month", point=["15", "01"], frequency=2)))
    assert '    point: ["01", "15"]\n    frequency: 2\n    zone_type: 1\n' in text


# --- the plan: a card leads each change that makes or stops a push ----------------------------


def changes_plan() -> Any:
    no_zone = {"single": {"time": "2026-12-21 10:00:00"}}
    return plan_of(
        [
            desired("created", trigger=periodical("week", point=["MON", "THU"])),
            desired(
                "updated",
                push={"to": "all", "body": {"platform": "all", "notification": {"alert": "new"}}},
            ),
            desired(
                "replaced", trigger={"single": {"time": "2026-12-21 10:00:00", "zone_type": 2}}
            ),
            desired("nozone", trigger=no_zone),
        ],
        [remote("updated", 0), remote("replaced", 1), remote("removed", 2)],
    )


def block(text: str, headline: str) -> str:
    """One change's block of the text plan: from its headline to the next blank line."""
    start = text.index(headline)
    end = text.find("\n\n", start)
    return text[start:end]


@pytest.mark.parametrize(
    ("headline", "audience_first"),
    [
        ("+ create created", True),
        ("~ update updated (id id-updated-0)", True),
        ("-/+ replace replaced (id id-replaced-1)", False),  # its reason first
        ("- delete removed (id id-removed-2)", False),
    ],
)
def test_text_leads_each_change_with_its_card_then_the_yaml(
    headline: str, audience_first: bool
) -> None:
    text = render_text(changes_plan())
    lines = block(text, headline).splitlines()[1:]
    labels = [line[6:16].strip() for line in lines if line[6:16].strip()]
    card_at = 0 if audience_first else 1
    assert labels[card_at : card_at + 4] == [
        "audience",
        "content",
        "when",
        "next" if "delete" not in headline else "was next",
    ]
    assert labels[-1].startswith("yaml")
    assert "{" not in "\n".join(lines), "no object on one line: the YAML is block style"


def test_text_plan_of_a_create_reads_as_the_issue_asks() -> None:
    text = render_text(changes_plan())
    assert block(text, "+ create created").splitlines()[1:6] == [
        "      audience  all",
        "      content   all platforms: alert “hi created”",
        "      when      every Mon and Thu at 09:00 UTC, 2026-11-21 to 2027-05-23",
        "      next      Mon 2026-11-23 09:00, Thu 2026-11-26 09:00, Mon 2026-11-30 09:00 (UTC)",
        "      file      schedules.d/x.yaml:1:1",
    ]
    assert "point: []" not in text
    assert "next runs:" not in text


def test_an_update_keeps_the_pointer_diff_after_its_card() -> None:
    lines = block(render_text(changes_plan()), "~ update updated").splitlines()
    assert '      changes   /push/body/notification/alert: "hi updated" -> "new"' in lines
    assert lines.index("      audience  all") < lines.index(
        '      changes   /push/body/notification/alert: "hi updated" -> "new"'
    )


def test_a_delete_shows_what_stops_firing() -> None:
    lines = block(render_text(changes_plan()), "- delete removed").splitlines()
    assert "      was next  Mon 2026-12-21 10:00 (UTC)" in lines
    assert "      content   all platforms: alert “hi removed”" in lines


def test_server_zone_assumed_once_per_change_in_text_and_markdown() -> None:
    plan = changes_plan()
    assert block(render_text(plan), "+ create nozone").count("server zone assumed") == 1
    md = render_markdown(plan)
    section = md[md.index("<b>nozone</b>") :]
    assert section[: section.index("</details>\n\n</details>")].count("server zone assumed") == 1


def test_markdown_card_yaml_and_diff() -> None:
    md = render_markdown(changes_plan())
    update = md[md.index("<code>~ update</code>") :]
    update = update[: update.index("</details>\n\n</details>")]
    assert "- **Audience:** all\n- **Content:** all platforms: alert “new”\n" in update
    assert "- **Next:** Mon 2026-12-21 10:00 (UTC)\n- **File:** `schedules.d/x.yaml:1:1`" in update
    assert (
        '```diff\n- /push/body/notification/alert: "hi updated"\n+ /push/body/notification/alert: "new"\n```'
        in update
    )
    assert "<details><summary>The schedule as YAML</summary>\n\n```yaml\nname: updated\n" in update
    assert update.index("**Audience:**") < update.index("```diff") < update.index("```yaml")


def test_markdown_yaml_fence_is_longer_than_any_backticks_in_the_text() -> None:
    fenced = {"to": "all", "body": {"platform": "all", "notification": {"alert": "a ``` b"}}}
    md = render_markdown(plan_of([desired("ticks", push=fenced)], []))
    assert "````yaml\n" in md
    assert re.search(r"\n````\n\n</details>", md)


def test_cards_change_neither_the_saved_plan_nor_the_checksum() -> None:
    plan = changes_plan()
    saved = render_json(plan)
    render_text(plan)
    render_markdown(plan)
    assert render_json(plan) == saved
    assert '"audience"' not in saved  # the card is for people; the file format is unchanged
    create = next(c for c in plan.changes if c.name == "created")
    assert create.after == body("created", trigger=periodical("week", point=["MON", "THU"]))


# --- the calendar -----------------------------------------------------------------------------


def calendar_repo(repo: Path) -> None:
    config(repo, targets={"local": {"endpoint": "local", "site_timezone": "Asia/Singapore"}})
    write(
        repo,
        doc(
            "weekly_digest",
            alert="Your weekly digest is ready",
            trigger={
                "periodical": {
                    "start": "2026-11-22 00:00:00",
                    "end": "2027-11-21 00:00:00",
                    "time": "09:00:00",
                    "time_unit": "week",
                    "point": ["MON", "THU"],
                    "zone_type": 1,
                }
            },
        ),
    )


WHEN = "every Mon and Thu at 09:00 Asia/Singapore, 2026-11-22 to 2027-11-21"


def test_calendar_html_tooltip_holds_the_card(repo: Path) -> None:
    calendar_repo(repo)
    page = run("calendar", "--days", "7", "--format", "html").output
    tips = re.findall(r'<span class="tip">(.*?)</span>', page, re.S)
    assert tips
    assert all("content: all platforms: alert “Your weekly digest is ready”" in t for t in tips)
    assert all(f"when: {WHEN}" in t for t in tips)
    assert "push(es)" not in page


def test_calendar_ics_description_holds_the_card(repo: Path) -> None:
    calendar_repo(repo)
    text = run("calendar", "--days", "7", "--format", "ics").stdout_bytes.decode("utf-8")
    events = list(icalendar.Calendar.from_ical(text).walk("VEVENT"))
    assert events
    for event in events:
        description = str(event["DESCRIPTION"]).splitlines()
        assert "audience: all" in description
        assert "content: all platforms: alert “Your weekly digest is ready”" in description
        assert f"when: {WHEN}" in description


def test_calendar_text_has_a_column_for_the_push_text(repo: Path) -> None:
    calendar_repo(repo)
    lines = run("calendar", "--days", "7").output.splitlines()
    assert "  09:00  Asia/Singapore  weekly_digest  all  Your weekly digest is ready" in lines
