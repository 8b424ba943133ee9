"""The health view: did the pushes go out? As text, markdown (an issue or a comment) or JSON.

- text: a headline (target, window, zone), one line per schedule that is not ok
  or quiet (failed, missed, unexpected, unchecked), and a summary line;
- markdown: the same as a table, with a heading, for the drift issue's health
  section (`render_section` caps the rows);
- json: every schedule with its fires (judged and pending) and runs.

Wall times are shown on the clock they fire by: the site zone's for zone_type 1,
"device-local" for zone_type 2; run times in the site zone. `FORMATS` lists them
for `reconciler health --format` (to add one, see reconciler/views/formats.py).
"""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import Any

from reconciler.core.timing import zone
from reconciler.core.words import plural
from reconciler.health.match import Judged, Seen
from reconciler.health.report import Health, ScheduleHealth
from reconciler.views.formats import Formats
from reconciler.views.markdown import code
from reconciler.views.markdown import text as inline
from reconciler.views.width import pad

__all__ = [
    "FORMATS",
    "data",
    "problem",
    "render_json",
    "render_markdown",
    "render_section",
    "render_text",
    "summary_line",
]

#: Classes a line is printed for (ok and quiet are counted in the summary only).
SHOWN = ("failed", "missed", "unexpected", "unchecked")
_LISTED = 3
#: The state column of the text, in terminal cells (views/width.py: aligned by display width).
_STATE_CELLS = 10


def _zone(health: Health) -> tzinfo:
    return zone(health.site_timezone)


def _minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _wall(fire: Judged, health: Health) -> str:
    where = "device-local" if fire.fire.zone_type == 2 else health.site_timezone
    return f"{_minute(fire.fire.wall)} {where}"


def _run_time(run: Seen, health: Health) -> str:
    return f"{_minute(run.at.astimezone(_zone(health)))} {health.site_timezone}"


def _some(items: list[str]) -> str:
    shown = ", ".join(items[:_LISTED])
    return shown + (f" and {len(items) - _LISTED} more" if len(items) > _LISTED else "")


def problem(schedule: ScheduleHealth, health: Health) -> str:
    """What is wrong with one schedule, in one line (empty for ok and quiet)."""
    judged = len(schedule.judged)
    parts = []
    failures = schedule.failures()
    if failures:
        codes = ", ".join(f"{code} ({meaning}) on {n}" for code, meaning, n in failures)
        last = schedule.of_state("failed")[-1]
        parts.append(f"failed {codes} of {plural(judged, 'fire')}, last {_wall(last, health)}")
    missed = schedule.of_state("missed")
    if missed:
        walls = _some([_wall(j, health) for j in missed])
        parts.append(f"missed {len(missed)} of {plural(judged, 'fire')}: {walls}")
    if schedule.unexpected:
        times = _some([_run_time(r, health) for r in schedule.unexpected])
        parts.append(
            f"{plural(len(schedule.unexpected), 'unexpected run')}, at times no fire explains: "
            f"{times} "
            f"(fires read in {schedule.zone})"
        )
    if schedule.state == "unchecked":
        parts.append("; ".join(schedule.notes))
    parts += [n for n in schedule.notes if n.startswith("not in the app")]
    return "; ".join(parts)


def summary_line(health: Health) -> str:
    """`3 schedules: 1 failed, 2 ok` (the classes that occur, worst first)."""
    counts = [f"{n} {state}" for state, n in health.counts().items() if n]
    return f"{plural(len(health.schedules), 'schedule')}: " + (", ".join(counts) or "none managed")


def _window(health: Health) -> str:
    local = _zone(health)
    start, now = health.start.astimezone(local), health.now.astimezone(local)
    return f"fires due from {_minute(start)} to {_minute(now)} ({health.site_timezone})"


def render_text(health: Health) -> str:
    """A headline, a line per schedule that is not ok or quiet, and the summary."""
    lines = [f"health of target {health.target}: {_window(health)}"]
    if health.history:
        lines.append(f"triggers in force: {health.history}")
    lines += [f"note: {note}" for note in health.notes]
    for schedule in health.schedules:
        if schedule.state in SHOWN:
            state = pad(schedule.state, _STATE_CELLS)
            lines.append(f"  {state}  {schedule.name}: {problem(schedule, health)}")
    lines.append(summary_line(health))
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return inline(text)


def _last(schedule: ScheduleHealth, health: Health) -> str:
    judged = schedule.judged
    if not judged:
        return ""
    last = judged[-1]
    return f"{_wall(last, health)}: {last.state}"


def render_section(health: Health, rows: int = 50) -> str:
    """The markdown table of the schedules that are not ok or quiet, at most `rows` of them."""
    shown = [s for s in health.schedules if s.state in SHOWN]
    lines = [
        f"### Health of target {code(health.target)}",
        "",
        f"Expected fires against the runs the app recorded: {_window(health)}. "
        f"**{summary_line(health)}.**",
        "",
    ]
    if health.history:
        lines += [f"Triggers in force: {inline(health.history)}.", ""]
    lines += [line for note in health.notes for line in (f"> [!WARNING]\n> {inline(note)}", "")]
    if shown:
        lines += [
            "| schedule | class | fires sent / due | what happened | last fire |",
            "|---|---|---|---|---|",
        ]
        for schedule in shown[:rows]:
            sent = f"{len(schedule.of_state('sent'))} / {len(schedule.judged)}"
            lines.append(
                f"| {code(schedule.name, cell=True)} | {schedule.state} | {sent} "
                f"| {_cell(problem(schedule, health))} | {_cell(_last(schedule, health))} |"
            )
        if len(shown) > rows:
            lines += ["", f"… and {len(shown) - rows} more (see the run's health report)."]
    return "\n".join(lines) + "\n"


def render_markdown(health: Health) -> str:
    """The health section, every schedule that is not ok or quiet in the table."""
    return render_section(health, rows=len(health.schedules))


def _run_json(run: Seen) -> dict[str, Any]:
    return {
        "time": run.at.isoformat(),
        "msg_id": run.msg_id,
        "error_code": run.code,
        "meaning": run.meaning,
        "need_retry": run.need_retry,
        "schedule_id": run.schedule_id,
    }


def _fire_json(judged: Judged) -> dict[str, Any]:
    fire = judged.fire
    return {
        "wall": fire.wall.isoformat(),
        "zone_type": fire.zone_type,
        "first": fire.first.isoformat(),
        "last": fire.last.isoformat(),
        "deadline": fire.deadline.isoformat(),
        "optional": fire.optional,
        "state": judged.state,
        "runs": [_run_json(r) for r in judged.runs],
    }


def data(health: Health) -> dict[str, Any]:
    """The JSON value of one target's health."""
    return {
        "format_version": 1,
        "target": health.target,
        "from": health.start.isoformat(),
        "to": health.now.isoformat(),
        "site_timezone": health.site_timezone,
        "triggers": health.history,
        "notes": list(health.notes),
        "counts": health.counts(),
        "unhealthy": [s.name for s in health.unhealthy],
        "unhealthy_key": health.key,
        "schedules": [
            {
                "name": s.name,
                "class": s.state,
                "source": s.source,
                "zone": s.zone,
                "schedule_ids": list(s.schedule_ids),
                "problem": problem(s, health),
                "notes": list(s.notes),
                "fires": [_fire_json(j) for j in s.fires],
                "unexpected": [_run_json(r) for r in s.unexpected],
            }
            for s in health.schedules
        ],
    }


def render_json(health: Health) -> str:
    """Every schedule with its fires and runs (see `data`), indented."""
    return json.dumps(data(health), indent=2, ensure_ascii=False) + "\n"


FORMATS = Formats[Health](
    "health", {"text": render_text, "markdown": render_markdown, "json": render_json}
)
