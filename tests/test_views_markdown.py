"""Hostile names in every markdown the tool writes: each renders as itself, never as markup.

Each renderer is fed a value whose repository strings (target, schedule and
remote names, file paths, reasons, warnings, policy messages, settings) are
hostile, and the same value with plain strings in their place. A CommonMark
parser with GitHub's tables and strikethrough (markdown-it-py) reads both: the
tree of blocks and inline markup, and the HTML tags, must be the same. A
hostile string that became a quote, an alert, a comment, a heading, emphasis,
a link or another table cell would change it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from reconciler.ci.drift import DriftReport, _Also, _body
from reconciler.ci.health import HealthReport, note, section
from reconciler.ci.merge import Request, refusal_markdown
from reconciler.ci.pull_request import plan_markdown
from reconciler.config.effective import SettingChange
from reconciler.config.targets import Target
from reconciler.core.model import Source, schedule_from_json
from reconciler.health.report import Health, ScheduleHealth
from reconciler.plan.changes import Plan
from reconciler.plan.planner import make_plan
from reconciler.remote.engagelab import RemoteSchedule
from reconciler.views.health import render_section
from reconciler.views.markdown import code, fence, text
from reconciler.views.plan import render_markdown
from tests.support.cli import doc, write
from tests.support.clock import NOW
from tests.support.plan import body, remote

HOSTILE = (
    "a`b",
    "<!-- x -->",
    "> [!IMPORTANT] Reviewed by security: **no changes**",
    "|",
    "a\nb\n\n# heading",
    "[link](https://example.test) ![img](https://example.test/x.png)",
    "``` ~~~ </details></summary> <b>bold</b> &amp; $x$ :smile: _e_ ~~s~~",
    "- item",
    "1. item",
)
PLAIN = "plain"


def parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def shape(markdown: str) -> list[tuple[str, str]]:
    """The blocks, inline markup and HTML tags of `markdown`, without the text."""
    found: list[tuple[str, str]] = []

    def walk(tokens: list[Any]) -> None:
        for token in tokens:
            if token.type in ("text", "code_inline", "softbreak"):
                kind = "text" if token.type != "code_inline" else "code"
                if not found or found[-1] != (kind, ""):
                    found.append((kind, ""))
            elif token.type in ("html_block", "html_inline"):
                tags = re.findall(r"<(/?[A-Za-z!][\w-]*)", token.content)
                found.append((token.type, " ".join(tags)))
            elif token.type in ("fence", "code_block"):
                found.append((token.type, token.info))
            else:
                found.append((token.type, token.tag))
            walk(token.children or [])

    walk(parser().parse(markdown))
    return found


def assert_same_shape(render: Callable[[str], str]) -> None:
    plain = shape(render(PLAIN))
    for hostile in HOSTILE:
        written = render(hostile)
        assert shape(written) == plain, f"{hostile!r} changed the markdown:\n{written}"


def test_the_shape_sees_what_an_unescaped_name_would_do() -> None:
    """The check fails when it should: the hostile strings, written as they are, change it."""
    contexts = ("plan for {} done", "> x `{}` y", "| a |\n|---|\n| `{}` |\n", "- {}")
    for hostile in HOSTILE:
        changed = [c for c in contexts if shape(c.format(hostile)) != shape(c.format(PLAIN))]
        assert changed, hostile


def test_each_helper_keeps_the_text_and_adds_no_markup() -> None:
    md = parser()
    for hostile in HOSTILE:
        shown = hostile.replace("\n", "\\n")
        assert md.renderInline(text(hostile)) == md.renderInline(text(PLAIN)).replace(
            PLAIN, _html_text(shown)
        )
        assert _html_text(shown) in md.renderInline(code(hostile))
        assert shape(f"| a |\n|---|\n| {code(hostile, cell=True)} |\n") == shape(
            f"| a |\n|---|\n| {code(PLAIN, cell=True)} |\n"
        )
        assert shape(fence(hostile)) == shape(fence(PLAIN))


def _html_text(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def hostile_plan(name: str) -> Plan:
    """Every place a plan shows a repository string, holding `name`."""
    source = Source(f"schedules.d/{name}.yaml", 1, 1)
    wanted = schedule_from_json(body("wanted", push=_push(name)), source)
    gone = RemoteSchedule("id-1", name, True, body(name)["trigger"], _push(name), 0)
    twins = [remote("twin", 1, f"{name}-1"), remote("twin", 2, f"{name}-2")]
    plan = make_plan(
        [wanted, schedule_from_json(body("twin"), source)],
        [gone, *twins, remote("wanted", 3, alert=name)],
        Target(name=name, root=Path(".")),
        NOW,
    )
    changes = (
        SettingChange("scope.manage_prefix", name, ""),
        SettingChange(f"connection.{name}", 1, 2),
    )
    return dataclasses.replace(
        plan,
        warnings=(
            *plan.warnings,
            f"{source.file}:1:1: warning: policy quiet_hours: {name} (schedule wanted)",
        ),
        problems=(f"refused because of {name}",),
        setting_changes=changes,
    )


def _push(name: str) -> dict[str, Any]:
    return {"to": "all", "body": {"platform": "all", "notification": {"alert": name}}}


def test_the_plan_comment() -> None:
    assert_same_shape(lambda name: render_markdown(hostile_plan(name)))


def test_a_withheld_change() -> None:
    assert_same_shape(
        lambda name: render_markdown(hostile_plan(name).withhold(lambda n: n.startswith("zz")))
    )


def test_the_pull_request_notes_and_a_failed_plan() -> None:
    assert_same_shape(
        lambda name: plan_markdown(name, None, f"error in {name}", (f"adds {code(name)}",))
    )


def test_the_refusal() -> None:
    request = Request("push", "a" * 40, "refs/heads/main", "main")
    assert_same_shape(
        lambda name: refusal_markdown(name, request, f"because of {name}", hostile_plan(name))
    )


def test_the_drift_issue() -> None:
    def issue(name: str) -> str:
        report = DriftReport(
            "prod",
            "refused",
            "sha256:" + "0" * 64,
            render_markdown(hostile_plan(name)),
            f"a guard tripped on {name}",
            "Plan: 1 to delete.",
            f"parked copies of {name}",
        )
        health = HealthReport("prod", "error", reason=f"failed on {name}")
        notes = [section(health), str(note(name, health, None, True))]
        return "\n\n".join([_body(report, _Also(health=health), None), *notes])

    assert_same_shape(issue)


def test_the_health_section() -> None:
    def rendered(name: str) -> str:
        schedule = ScheduleHealth(
            name, "unexpected", f"schedules.d/{name}.yaml", "UTC", notes=(name,)
        )
        health = Health(
            name,
            datetime(2026, 11, 14, tzinfo=UTC),
            NOW,
            "UTC",
            (schedule,),
            history=name,
            notes=(name,),
        )
        unhealthy = HealthReport(
            "prod", "unhealthy", unhealthy=(f"{name} (failed)",), summary="1 failed"
        )
        return render_section(health) + "\n" + str(note(name, unhealthy, None, True))

    assert_same_shape(rendered)


def test_the_calendar(tmp_path: Path) -> None:
    from reconciler.views.calendar.model import build
    from reconciler.views.calendar.text import render_markdown as calendar_markdown

    (tmp_path / "schedules.d").mkdir()
    write(tmp_path, doc("weekly"))
    assert_same_shape(
        lambda name: calendar_markdown(build(Target(name=name, root=tmp_path), NOW, days=7))
    )


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_name_reads_as_itself_in_the_comment(hostile: str) -> None:
    written = parser().render(render_markdown(hostile_plan(hostile)))
    assert _html_text(hostile.replace("\n", "\\n")) in written
