"""Calendar: the `calendar` command in every format; the ICS expanded by a standard library and
the HTML parsed back must hold exactly the JSON's fires."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import icalendar
import pytest
import recurring_ical_events

from tests.support.cli import config, doc, run, write
from tests.support.policy import intelligent, periodical, single

LA = "America/Los_Angeles"
BERLIN = "Europe/Berlin"


def repo_with_everything(repo: Path, site: str = BERLIN, **policies: Any) -> None:
    """Every trigger kind and zone type, across both of Berlin's DST changes of 2027."""
    config(
        repo,
        targets={"local": {"endpoint": "local", "site_timezone": site}},
        policies={"audience_zones": [LA, BERLIN], **policies},
    )
    start, end = "2026-11-22 00:00:00", "2027-11-21 00:00:00"
    write(
        repo,
        doc(
            "weekly",
            trigger=periodical("09:00:00", unit="week", point=["MON", "THU"], start=start, end=end),
        ),
        doc(
            "device_local",
            trigger=periodical("19:30:00", start=start, end=end, zone_type=2, frequency=3),
        ),
        doc(
            "monthly",
            trigger=periodical("10:00:00", unit="month", point=["01", "31"], start=start, end=end),
        ),
        file="periodicals",
    )
    # In the spring-forward gap, with no zone_type: 03:30 summer time.
    write(repo, doc("in_the_gap", trigger=single("2027-03-28 02:30:00", None)))
    # In the fall-back hour, read as its first occurrence.
    write(repo, doc("smart", trigger=intelligent("2027-10-31 02:30:00")))
    write(repo, doc("quiet_one", trigger=single("2026-11-23 04:00:00", 1)))
    write(repo, doc("off", trigger=single("2026-12-01 12:00:00"), enabled=False))


def calendar_json(*args: str) -> dict[str, Any]:
    result = run("calendar", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def moment(at: str) -> str:
    """A comparable form of an `at`: instants in UTC, wall times as they are."""
    value = datetime.fromisoformat(at)
    return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()


def test_json_has_the_shape_of_the_issue(repo: Path) -> None:
    repo_with_everything(repo)
    data = calendar_json("--days", "14")
    assert list(data) == ["from", "to", "fires"]
    assert data["from"] == "2026-11-21T01:00:00+01:00"  # NOW, on Berlin's clock
    assert data["to"] == "2026-12-05T01:00:00+01:00"
    for fire in data["fires"]:
        assert list(fire) == ["name", "at", "zone_type", "file", "line", "audience"]
    first = data["fires"][0]
    assert first == {
        "name": "device_local",
        "at": "2026-11-22T19:30:00",  # device-local: no offset
        "zone_type": 2,
        "file": "schedules.d/periodicals.yaml",
        "line": first["line"],
        "audience": "all",
    }
    weekly = [f["at"] for f in data["fires"] if f["name"] == "weekly"]
    assert weekly == [
        "2026-11-23T09:00:00+01:00",
        "2026-11-26T09:00:00+01:00",
        "2026-11-30T09:00:00+01:00",
        "2026-12-03T09:00:00+01:00",
    ]
    names = {f["name"] for f in data["fires"]}
    assert "off" not in names  # disabled schedules never fire
    assert {f["zone_type"] for f in data["fires"] if f["name"] == "quiet_one"} == {1}


def test_the_window_defaults_to_horizon_days_else_30(repo: Path) -> None:
    repo_with_everything(repo)
    data = calendar_json()
    span = datetime.fromisoformat(data["to"]) - datetime.fromisoformat(data["from"])
    assert span == timedelta(days=30)
    repo_with_everything(repo, horizon_days=7)
    data = calendar_json()
    span = datetime.fromisoformat(data["to"]) - datetime.fromisoformat(data["from"])
    assert span == timedelta(days=7)


def test_dst_gap_and_fold_come_out_as_the_instants_they_are(repo: Path) -> None:
    repo_with_everything(repo)
    fires = {f["name"]: f["at"] for f in calendar_json("--days", "366")["fires"]}
    assert fires["in_the_gap"] == "2027-03-28T03:30:00+02:00"
    assert fires["smart"] == "2027-10-31T02:30:00+02:00"


@pytest.mark.parametrize("site", [BERLIN, "UTC"])
def test_ics_expanded_over_the_window_equals_the_json(repo: Path, site: str) -> None:
    repo_with_everything(repo, site=site)
    data = calendar_json("--days", "366")
    result = run("calendar", "--format", "ics", "--days", "366")
    assert result.exit_code == 0
    text = result.stdout_bytes.decode("utf-8")  # as written: click's `output` folds CRLF
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    parsed = icalendar.Calendar.from_ical(text)
    start, end = datetime.fromisoformat(data["from"]), datetime.fromisoformat(data["to"])
    events = recurring_ical_events.of(parsed).between(start, end)
    got = Counter((str(e["SUMMARY"]), moment(e.decoded("DTSTART").isoformat())) for e in events)
    expected = Counter((f["name"], moment(f["at"])) for f in data["fires"])
    assert got == expected
    assert len(expected) > 150
    # zone_type 1 in the site zone with its VTIMEZONE (or UTC), zone_type 2 floating.
    if site == BERLIN:
        assert [str(zone["TZID"]) for zone in parsed.walk("VTIMEZONE")] == [BERLIN]
        assert "DTSTART;TZID=Europe/Berlin:20261123T090000" in text
    else:
        assert "BEGIN:VTIMEZONE" not in text
        assert "DTSTART:20261123T090000Z" in text
    assert "DTSTART:20261122T193000\r\n" in text  # floating: the device's own clock


class _Page(HTMLParser):
    """Everything the tests look for in the HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.fires: list[dict[str, str | None]] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        self._in_style = tag == "style"
        if "data-name" in found:
            self.fires.append(found)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data


def test_html_is_one_self_contained_page_holding_every_fire(repo: Path) -> None:
    repo_with_everything(repo, quiet_hours={"start": "22:00", "end": "08:00", "level": "warning"})
    data = calendar_json("--days", "90")
    result = run("calendar", "--format", "html", "--days", "90")
    assert result.exit_code == 0
    page = _Page()
    page.feed(result.output)
    got = Counter((f["data-name"], moment(f["data-at"] or "")) for f in page.fires)
    assert got == Counter((f["name"], moment(f["at"])) for f in data["fires"])
    # No network: no script, stylesheet, font, image or frame, no address to fetch.
    fetching = {"script", "link", "img", "iframe", "object", "embed", "source", "video", "audio"}
    assert not [tag for tag, _ in page.tags if tag in fetching]
    assert not [a for _, attrs in page.tags for a in attrs if a in ("src", "href", "srcset")]
    assert "url(" not in page.style
    assert "@import" not in page.style
    assert "http://" not in result.output
    assert "https://" not in result.output
    # One month grid per month of the window: November 2026 .. February 2027.
    assert sum(1 for tag, a in page.tags if tag == "table" and a.get("class") == "month") == 4
    # Violations marked: 09:00 in Berlin is midnight in Los Angeles, in the quiet hours.
    weekly = [f for f in page.fires if f["data-name"] == "weekly"]
    assert weekly
    assert all("warn" in (f["class"] or "") for f in weekly)
    assert "policy quiet_hours" in result.output
    # Coloured by audience, with a legend.
    assert {c for f in page.fires for c in (f["class"] or "").split() if c.startswith("a")} == {
        "a0"
    }
    assert '<ul class="legend"><li><span class="swatch a0"></span>all' in result.output


def test_text_and_markdown_list_day_by_day(repo: Path) -> None:
    repo_with_everything(repo, quiet_hours={"start": "22:00", "end": "08:00"})
    text = run("calendar", "--days", "3")
    assert text.exit_code == 0
    lines = text.output.splitlines()
    assert lines[0] == (
        "push calendar for target local: 2026-11-21 01:00 to 2026-11-24 01:00 "
        "(Europe/Berlin): 3 fires"
    )
    assert "Sun 2026-11-22" in lines
    assert "  19:30  device-local   device_local  all  hi device_local" in lines
    marked = [line for line in lines if "quiet_one" in line]
    assert marked == [  # aligned: time, zone, name, audience, the push's text, the policy
        "  04:00  Europe/Berlin  quiet_one     all  hi quiet_one     ! policy quiet_hours (error)",
    ]
    md = run("calendar", "--days", "3", "--format", "markdown")
    assert "| day | time | zone | schedule | audience | text | policy |" in md.output
    assert (
        "| **Mon 2026-11-23** | 04:00 | Europe/Berlin | `quiet_one` | all | hi quiet_one "
        "| ⚠ quiet_hours (error) |" in md.output
    )


def test_policy_errors_are_shown_not_refused_but_bad_files_are(repo: Path) -> None:
    repo_with_everything(repo, quiet_hours={"start": "22:00", "end": "08:00"})
    assert run("validate").exit_code == 1
    assert run("calendar").exit_code == 0
    write(repo, {"name": "broken", "enabled": True})
    result = run("calendar")
    assert result.exit_code == 1
    assert "run `reconciler validate`" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_days_outside_1_to_366_are_a_usage_error(repo: Path) -> None:
    repo_with_everything(repo)
    assert run("calendar", "--days", "0").exit_code == 2
    assert run("calendar", "--days", "367").exit_code == 2
