"""Health in the drift job: did yesterday's pushes go out? Reported in the target's drift issue.

`check_health_report` runs in the drift workflow's plan job, after the drift
check, with the same `<target>-plan` credentials (reading runs needs them), and
writes health-TARGET.json beside drift-TARGET.json, in the same artifact:

    state      healthy | unhealthy (something failed or was missed) | error
    key        which schedules are unhealthy (Health.key: sha256 of their names and classes)
    unhealthy  their names and classes, for the comment
    markdown   the health section of the issue (at most `ROWS` rows)
    summary    the summary line; reason: why the check failed

The issues job (GITHUB_TOKEN only) reads it back (`read_health`) and
reconciler.ci.drift puts it in the target's one issue: the health section is
rewritten in place on every run (an edit notifies nobody), and a comment is
posted only when the set of unhealthy schedules changes (`note`). A failed or
missed push opens the issue even when there is no drift: one issue per target
is the one place the team watches, and it closes only when there is neither
drift nor an unhealthy schedule. A target without a health report (the step
did not run) keeps its issue as the drift check alone decides.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from reconciler.ci.actions import Env, approved
from reconciler.ci.errors import CiError
from reconciler.config.targets import Target
from reconciler.errors import ReconcilerError
from reconciler.views.markdown import code

__all__ = [
    "HEALTH_STATES",
    "ROWS",
    "HealthReport",
    "check_health_report",
    "fit",
    "note",
    "read_health",
    "section",
    "write_health",
]

HEALTH_STATES = ("healthy", "unhealthy", "error")
#: Rows of the issue's health table (a long one is cut and says so).
ROWS = 40
# What Health.key can be: it goes into the marker, which must stay parseable.
_KEY = re.compile(r"sha256:[0-9a-f]{64}|none")


@dataclass(frozen=True)
class HealthReport:
    target: str
    state: str
    key: str = "none"
    unhealthy: tuple[str, ...] = ()
    markdown: str = ""
    summary: str = ""
    reason: str = ""

    def data(self) -> dict[str, Any]:
        return {**self.__dict__, "unhealthy": list(self.unhealthy)}


async def check_health_report(
    target: Target, now: datetime, since: timedelta, env: Env
) -> HealthReport:
    """Check `target`'s health over [now - since, now); an error report when it cannot (or
    when `env` does not approve the target's connection: nothing is sent)."""
    from reconciler.health.check import health_target
    from reconciler.views.health import render_section, summary_line

    try:
        approved(target, env)
        found = await health_target(target, now, since)
    except ReconcilerError as err:
        return HealthReport(target.name, "error", reason=str(err))
    ordered = sorted(found.unhealthy, key=lambda s: (s.state, s.name))
    return HealthReport(
        target.name,
        "healthy" if found.healthy else "unhealthy",
        found.key,
        tuple(f"{s.name} ({s.state})" for s in ordered),
        render_section(found, rows=ROWS),
        summary_line(found),
    )


def write_health(out: Path, report: HealthReport) -> None:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"health-{report.target}.json"
    text = json.dumps(report.data(), indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")


def read_health(folder: Path, targets: list[str]) -> dict[str, HealthReport]:
    """The health report of each target that has one (a target without one is left out)."""
    found = {}
    for name in targets:
        path = folder / f"health-{name}.json"
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            report = HealthReport(
                target=str(data.get("target")),
                state=str(data.get("state")),
                key=str(data.get("key") or "none"),
                unhealthy=tuple(str(u) for u in data.get("unhealthy") or ()),
                markdown=str(data.get("markdown") or ""),
                summary=str(data.get("summary") or ""),
                reason=str(data.get("reason") or ""),
            )
        except (OSError, ValueError, TypeError, AttributeError) as err:
            raise CiError(f"{path}: not a health report ({err})") from None
        if not _KEY.fullmatch(report.key):
            raise CiError(f"{path}: not a health report (key {report.key[:80]!r})")
        if report.target != name or report.state not in HEALTH_STATES:
            raise CiError(f"{path}: not a health report of target {name}")
        found[name] = report
    return found


def section(report: HealthReport) -> str:
    """The health part of the issue body."""
    if report.state == "error":
        return (
            f"### Health of target {code(report.target)}\n\n"
            f"The health check failed: {code(report.reason)}\n"
        )
    return report.markdown


def fit(text: str, room: int) -> str:
    """`text` cut at a line to at most `room` characters, saying so (issue bodies are bounded)."""
    if len(text) <= room:
        return text
    cut = text[: max(0, room - 80)].rsplit("\n", 1)[0]
    return cut + "\n\n… (cut to fit the issue: see the run's reports)\n"


def note(name: str, report: HealthReport, before: str | None, was_open: bool) -> str | None:
    """The comment to post for the health part: only when the unhealthy set changed (or the
    check failed); `before` is the set the issue last reported (None: never reported)."""
    if report.state == "error":
        return f"The health check of {code(name)} failed: {code(report.reason)}"
    if was_open and report.key == before:
        return None
    if report.state == "healthy":
        if before in (None, "none") or not was_open:
            return None
        return f"Every push due on {code(name)} went out again ({report.summary})."
    listing = ", ".join(code(u) for u in report.unhealthy)
    return (
        f"Pushes failed or were missed on {code(name)}: {listing} ({report.summary}). "
        "The issue's health section says what happened."
    )
