"""The plan view: a plan as text (a terminal, a CI log), markdown (a pull-request comment)
or JSON (the saved plan).

Each renderer is a function of the plan alone: what is shown is what was
planned, and the same plan always renders the same way. `FORMATS` lists them
for `reconciler plan --format` (to add one, see reconciler/views/formats.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC
from typing import Any

import click

from reconciler.config.effective import SettingChange
from reconciler.core.diagnostics import Severity, label_of, labelled
from reconciler.core.words import plural
from reconciler.plan.changes import ABSENT, Change, Clock, FieldChange, Plan
from reconciler.views.card import Card, card_of, markdown_lines, schedule_as_yaml, text_lines
from reconciler.views.formats import Formats
from reconciler.views.markdown import code, comment, fence, html
from reconciler.views.markdown import text as inline
from reconciler.views.review import review_section

__all__ = [
    "FORMATS",
    "MARKDOWN_LIMIT",
    "UNFOLDED",
    "render_json",
    "render_markdown",
    "render_text",
    "summary_line",
]

MARKDOWN_LIMIT = 65_000
#: What a withheld change (Plan.withhold) says in place of its bodies.
WITHHELD = "not managed with the default branch's settings: its content is not shown"
#: A plan of at most this many changes shows each card unfolded; a longer one folds them,
#: so that its list of changes stays one line each until a reviewer opens one.
UNFOLDED = 10
_SYMBOL = {
    "create": "+",
    "update": "~",
    "replace": "-/+",
    "delete": "-",
    # In parentheses: the copy an interrupted apply parked, finished or taken back.
    "complete": "(+)",
    "withdraw": "(-)",
    "noop": "=",
    "skip": "#",
    "conflict": "!",
}
_COLOUR = {
    "create": "green",
    "update": "yellow",
    "replace": "magenta",
    "delete": "red",
    "complete": "green",
    "withdraw": "cyan",
    "conflict": "red",
    "skip": "bright_black",
    "noop": "bright_black",
}
_LABEL = {
    "create": "to create",
    "update": "to update",
    "replace": "to replace",
    "delete": "to delete",
    "complete": "to complete",
    "withdraw": "to withdraw",
    "noop": "unchanged",
    "skip": "skipped",
    "conflict": "in conflict",
}


def _value(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _diff_line(d: FieldChange) -> str:
    return f"{d.path}: {_value(d.before)} -> {_value(d.after)}"


def _labelled(severity: Severity, text: str, colour: str | None) -> str:
    """`warning: TEXT` (or a diagnostic as it is), its label coloured when asked."""
    line = labelled(severity, text)
    found = label_of(line)
    start, end = (found.start(1), found.end(1) + 1) if found else (0, len(severity) + 1)
    if colour is None:
        return line
    return line[:start] + click.style(line[start:end], fg=colour) + line[end:]


def summary_line(plan: Plan) -> str:
    s = plan.summary
    parts = [f"{s[a]} {_LABEL[a]}" for a in ("create", "update", "replace", "delete")]
    # What interrupted applies left: named only when there is some (the line stays as it was).
    parts += [f"{s[a]} {_LABEL[a]}" for a in ("complete", "withdraw") if s[a]]
    tail = [f"{s[a]} {_LABEL[a]}" for a in ("noop", "skip", "conflict") if s[a] or a == "noop"]
    return "Plan: " + ", ".join(parts) + "; " + ", ".join(tail) + "."


def _headline(change: Change) -> str:
    ident = f" (id {change.schedule_id})" if change.schedule_id else ""
    return f"{_SYMBOL[change.action]} {change.action} {change.name}{ident}"


def _body_lines(change: Change, *, as_diff: bool = False) -> Iterator[str]:
    """The lines under the headline of a change without a card (withdraw, skip, conflict,
    noop); `as_diff` marks them for a ```diff block (what goes "- ", context "  ")."""
    context = "  " if as_diff else ""
    if change.reason:
        yield context + change.reason
    if change.withheld:
        yield context + WITHHELD
    if change.source and change.action not in ("noop", "skip"):
        yield f"{context}from {change.source}"
    for d in change.diff:
        if not as_diff:
            yield _diff_line(d)
            continue
        if d.before is not ABSENT:
            yield f"- {d.path}: {_value(d.before)}"
        if d.after is not ABSENT:
            yield f"+ {d.path}: {_value(d.after)}"


#: The changes a card leads: they make a push (or stop one), so a reviewer reads who, what
#: and when before the fields. Each shows the body after the change (before, for a delete).
_CARDED = ("create", "complete", "update", "replace", "delete")


def _shown_body(change: Change) -> dict[str, Any] | None:
    """The schedule a change's card and YAML show: the one that stays, or the one deleted."""
    if change.action not in _CARDED:
        return None
    return change.before if change.action == "delete" else change.after


def _card(change: Change, body: dict[str, Any], clock: Clock | None) -> Card:
    if clock is None:  # a plan without its clock: the next fires it was made with
        card = card_of(body, "the site zone", UTC, None)
        return replace(card, next_fires=change.next_runs, zone="")
    return card_of(body, clock.site_timezone, clock.site_zone, clock.now)


def _next_label(change: Change) -> str:
    return "was next" if change.action == "delete" else "next"


def _card_lines(change: Change, body: dict[str, Any], clock: Clock | None) -> Iterator[str]:
    """A carded change in text: reason, file, the card, the field changes, the YAML."""
    if change.reason:
        yield change.reason
    more = [("file", [change.source])] if change.source else []
    more += [("changes", [_diff_line(d) for d in change.diff])] if change.diff else []
    more.append(("yaml", schedule_as_yaml(body).splitlines()))
    yield from text_lines(_card(change, body, clock), next_label=_next_label(change), more=more)


def _change_lines(change: Change, clock: Clock | None) -> list[str]:
    body = _shown_body(change)
    if body is None:
        return list(_body_lines(change))
    return list(_card_lines(change, body, clock))


def render_text(plan: Plan, *, colour: bool = False, show_unchanged: bool = False) -> str:
    """Terraform-like: one block per change with its field diff, a summary, the checksum."""
    lines = [f"reconciler plan for target {plan.target}", ""]
    for change in plan.changes:
        if change.action == "noop" and not show_unchanged:
            continue
        head = _headline(change)
        if len(lines) > 2:
            lines.append("")  # a blank line between changes: a card and its YAML are long
        lines.append(
            "  " + (click.style(head, fg=_COLOUR[change.action], bold=True) if colour else head)
        )
        lines.extend(f"      {line}" for line in _change_lines(change, plan.clock))
    if len(lines) > 2:
        lines.append("")
    for warning in plan.warnings:
        lines.append(_labelled("warning", warning, "yellow" if colour else None))
    for problem in plan.problems:
        lines.append(
            ("refused: " if not colour else click.style("refused: ", fg="red", bold=True)) + problem
        )
    lines.append(summary_line(plan))
    lines.append(f"Checksum: {plan.checksum}")
    return "\n".join(lines) + "\n"


def render_json(plan: Plan) -> str:
    """The saved-plan format (docs/concepts/plan.md): keys in a fixed order, stable across runs."""
    return json.dumps(plan.data(), indent=2, ensure_ascii=False) + "\n"


def _setting_value(value: Any) -> str:
    return "(absent)" if value is None else code(_value(value), cell=True)


def _configuration(plan: Plan) -> list[str]:
    """The "Configuration changes" section: a pull request's settings against the default
    branch's, key by key, with a caution when the connection changes."""
    found: tuple[SettingChange, ...] = plan.setting_changes
    if not found:
        return []
    lines = ["#### Configuration changes", ""]
    moved = [c.key for c in found if c.connection]
    if moved:
        lines += [
            "> [!CAUTION]",
            f"> This changes the connection of {code(plan.target)} "
            f"({', '.join(code(k) for k in moved)}): where its credentials go, or which ones. "
            "This plan was made with the default branch's connection; after the merge, no "
            "credential goes to the new one until the owners of the target's environments "
            "approve it.",
            "",
        ]
    lines += ["| setting | default branch | this pull request |", "|---|---|---|"]
    lines += [
        f"| {code(c.key, cell=True)} | {_setting_value(c.before)} | {_setting_value(c.after)} |"
        for c in found
    ]
    return [*lines, ""]


def _md_card(change: Change, body: dict[str, Any], clock: Clock | None) -> str:
    """A carded change's body in markdown: the card, the field changes, the YAML folded."""
    lines = []
    if change.reason and change.action not in _REASON_IN_SUMMARY:
        lines += [inline(change.reason), ""]
    lines += markdown_lines(_card(change, body, clock), next_label=_next_label(change))
    if change.source:
        lines.append(f"- **File:** {code(change.source)}")
    if change.diff:
        diff = "\n".join(_body_lines(replace(change, reason="", source=None), as_diff=True))
        lines += ["", fence(diff, "diff").rstrip("\n")]
    yaml = fence(schedule_as_yaml(body), "yaml").rstrip("\n")
    title = "The schedule as YAML" + (" (deleted)" if change.action == "delete" else "")
    lines += ["", f"<details><summary>{title}</summary>", "", yaml, "", "</details>"]
    return "\n".join(lines)


_REASON_IN_SUMMARY = ("replace", "delete", "complete", "withdraw", "skip", "conflict")


def _md_block(change: Change, clock: Clock | None = None, *, unfold: bool = False) -> str:
    summary = f"<code>{_SYMBOL[change.action]} {change.action}</code> <b>{html(change.name)}</b>"
    if change.reason and change.action in _REASON_IN_SUMMARY:
        summary += f" — {html(change.reason)}"
    if change.withheld:
        return f"<details><summary>{summary} — {html(WITHHELD)}</summary>\n\n</details>\n"
    shown = _shown_body(change)
    if shown is None:
        body = "\n".join(_body_lines(change, as_diff=True))
        return f"<details><summary>{summary}</summary>\n\n{fence(body, 'diff')}\n</details>\n"
    opening = "<details open>" if unfold else "<details>"
    card = _md_card(change, shown, clock)
    return f"{opening}<summary>{summary}</summary>\n\n{card}\n\n</details>\n"


def render_markdown(plan: Plan, *, limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment: marker, summary table, warnings, the review calendar, one
    <details> per change.

    Stays under `limit` characters: changes that do not fit are counted in a
    note, never cut in half; the calendar takes only the room the changes leave.
    """
    s = plan.summary
    head = [
        f"<!-- reconciler-plan target={comment(plan.target)} -->",
        f"### reconciler plan for {code(plan.target)}",
        "",
        "| create | update | replace | delete | unchanged | skipped | conflict |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {s['create']} | {s['update']} | {s['replace']} | {s['delete']} | {s['noop']} | {s['skip']} | {s['conflict']} |",
        "",
        *_configuration(plan),
    ]
    destructive = s["delete"] + s["replace"]
    if destructive:
        head += [
            "> [!WARNING]",
            f"> This plan **deletes {plural(s['delete'], 'schedule')}** and "
            f"**replaces {plural(s['replace'], 'schedule')}**. "
            "A replaced schedule is deleted and created again: its id and its run history change.",
            "",
        ]
    if plan.leftovers:
        head += [
            "> [!NOTE]",
            f"> An interrupted apply left parked copies: this plan completes {s['complete']} "
            f"of its creates and withdraws {plural(s['withdraw'], 'copy', 'copies')} that never "
            "fired.",
            "",
        ]
    if s["conflict"]:
        refusal = "; ".join(plan.conflict_reasons())
        head += ["> [!CAUTION]", f"> Apply refuses until resolved: {inline(refusal)}.", ""]
    for problem in plan.problems:
        head += [f"> [!CAUTION]\n> Refused: {inline(problem)}", ""]
    if plan.warnings:
        head += ["<details><summary>Warnings</summary>", ""]
        head += [f"- {inline(w)}" for w in plan.warnings]
        head += ["", "</details>", ""]
    foot = ["", f"{summary_line(plan)} Checksum: `{plan.checksum}`", ""]
    shown = [c for c in plan.changes if c.action != "noop"]
    text = "\n".join(head) + "\n"
    tail = "\n".join(foot)
    blocks: list[str] = []
    used = len(text) + len(tail)
    note_room = 200
    unfold = len(shown) <= UNFOLDED
    for index, change in enumerate(shown):
        block = _md_block(change, plan.clock, unfold=unfold)
        if used + len(block) + note_room > limit:
            left = len(shown) - index
            blocks.append(
                f"\n_… {plural(left, 'more change')} not shown to stay under GitHub's comment limit; "
                "run `reconciler plan` for the full plan._\n"
            )
            break
        blocks.append(block)
        used += len(block)
    # The review calendar: after the changes in priority, before them on the page.
    review = review_section(plan, limit - used - note_room)
    return text + review + "".join(blocks) + tail


def _terminal_text(plan: Plan) -> str:
    """The text a terminal shows, in colour: click drops the colour when it is not a terminal."""
    return render_text(plan, colour=True)


FORMATS = Formats[Plan](
    "plan", {"text": _terminal_text, "markdown": render_markdown, "json": render_json}
)
