"""Each renderer on a plan that has every action, and markdown's size limit at 1000 changes."""

from __future__ import annotations

import json
from typing import Any

from reconciler.plan.changes import Plan
from reconciler.remote.engagelab import RemoteSchedule
from reconciler.views.plan import MARKDOWN_LIMIT, render_json, render_markdown, render_text
from tests.support.plan import body, desired, parked_remote, plan_of, remote


def every_action() -> Plan:
    new_push = {"to": "all", "body": {"platform": "all", "notification": {"alert": "new text"}}}
    zone2 = {"single": {"time": "2026-12-21 10:00:00", "zone_type": 2}}
    return plan_of(
        [
            desired("created"),
            desired("updated", push=new_push),
            desired("replaced", trigger=zone2),
            desired("same"),
            desired("off", enabled=False),
            desired("dup"),
            desired("resumed"),
        ],
        [
            remote("updated", 0),
            remote("replaced", 1),
            remote("same", 2),
            remote("removed", 3),
            remote("dup", 4, "dup-old"),
            remote("dup", 5, "dup-new"),
            parked_remote("resumed", 6),
            parked_remote("abandoned", 7),
        ],
    )


def test_markdown_names_an_unreadable_schedule_as_such_not_as_a_shared_name() -> None:
    broken = RemoteSchedule("id-broken", "broken", True, {}, {}, 0, problem="not a mapping")
    md = render_markdown(plan_of([], [broken]))
    assert "1 managed remote schedule cannot be read (broken)" in md
    assert "shared by several" not in md


def test_the_fixture_has_every_action() -> None:
    assert set(every_action().summary.values()) == {1}


def test_text_has_a_block_per_change_a_summary_and_the_checksum() -> None:
    plan = every_action()
    text = render_text(plan)
    for headline in (
        "+ create created",
        "~ update updated (id id-updated-0)",
        "-/+ replace replaced (id id-replaced-1)",
        "- delete removed (id id-removed-3)",
        "! conflict dup",
        "# skip off",
        "(+) complete resumed (id parked-resumed-6)",
        "(-) withdraw abandoned (id parked-abandoned-7)",
    ):
        assert headline in text
    assert '/push/body/notification/alert: "hi updated" -> "new text"' in text
    assert "forces replacement: zone_type 1 -> 2" in text
    assert "next      Mon 2026-12-21 10:00 (UTC)" in text  # the card's next fires
    assert "parked by an interrupted apply on 2026-11-21 00:00 UTC; not in the repo" in text
    assert "= noop" not in text  # unchanged schedules only count in the summary
    assert (
        "Plan: 1 to create, 1 to update, 1 to replace, 1 to delete, 1 to complete, "
        "1 to withdraw; 1 unchanged, 1 skipped, 1 in conflict." in text
    )
    assert text.rstrip().endswith(f"Checksum: {plan.checksum}")
    assert "\x1b[" not in text


def test_text_colours_only_when_asked() -> None:
    assert "\x1b[" in render_text(every_action(), colour=True)


def test_markdown_has_marker_table_warning_and_details() -> None:
    plan = every_action()
    md = render_markdown(plan)
    assert md.splitlines()[0] == "<!-- reconciler-plan target=test -->"
    assert "| 1 | 1 | 1 | 1 | 1 | 1 | 1 |" in md
    assert "> [!WARNING]" in md
    assert "**deletes 1 schedule**" in md
    assert "**replaces 1 schedule**" in md
    assert "> [!CAUTION]" in md
    assert (
        "> Apply refuses until resolved: 1 name shared by several remote schedules (dup): "
        "resolve it by hand or pass --resolve-duplicates keep-oldest." in md
    )
    assert "> An interrupted apply left parked copies: this plan completes 1" in md
    # Every change but the noop; the five that make or stop a push (create, complete, update,
    # replace, delete) unfolded, each with its YAML folded inside.
    assert md.count("<details><summary><code>") == 3
    assert md.count("<details open><summary><code>") == 5
    assert md.count("<details><summary>The schedule as YAML") == 5
    assert md.count("</details>") == 14  # and the review calendar
    assert plan.checksum in md


def test_markdown_without_deletes_has_no_warning() -> None:
    md = render_markdown(plan_of([desired("a")], []))
    assert "[!WARNING]" not in md


def test_markdown_stays_under_the_limit_at_1000_changes_and_never_cuts_a_change() -> None:
    long_push: dict[str, Any] = {
        "to": "all",
        "body": {"platform": "all", "notification": {"alert": "x" * 200}},
    }
    plan = plan_of([desired(f"s{i:04d}", push=long_push) for i in range(1000)], [])
    md = render_markdown(plan)
    assert len(md) < MARKDOWN_LIMIT
    shown = md.count("<details><summary><code>+ create")  # folded: more than UNFOLDED
    assert 0 < shown < 1000
    assert md.count("<details") == md.count("</details>") == 2 * shown  # each with its YAML
    assert f"… {1000 - shown} more changes not shown" in md
    assert md.rstrip().endswith(f"Checksum: `{plan.checksum}`")


def test_json_is_the_saved_plan_format_with_stable_key_order() -> None:
    plan = every_action()
    text = render_json(plan)
    data = json.loads(text)
    assert list(data) == [
        "format_version",
        "target",
        "checksum",
        "summary",
        "changes",
        "warnings",
        "settings",
    ]
    assert data["format_version"] == 1
    assert data["summary"] == {
        "create": 1,
        "update": 1,
        "replace": 1,
        "delete": 1,
        "noop": 1,
        "skip": 1,
        "conflict": 1,
        "complete": 1,
        "withdraw": 1,
    }
    create = next(c for c in data["changes"] if c["action"] == "create")
    assert list(create)[:8] == [
        "action",
        "name",
        "schedule_id",
        "before",
        "after",
        "diff",
        "reason",
        "next_runs",
    ]
    assert create["after"] == body("created")
    update = next(c for c in data["changes"] if c["action"] == "update")
    assert update["diff"] == [
        {"path": "/push/body/notification/alert", "before": "hi updated", "after": "new text"}
    ]
    assert render_json(every_action()) == text
