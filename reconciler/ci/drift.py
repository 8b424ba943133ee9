"""Drift: someone changed the app outside git. One report per target, one issue per target.

`check_drift` plans one target (the plan job, with the `<target>-plan`
credentials) and writes drift-TARGET.json:

    state   clean | drift | refused (a drift that trips a guard) | error
    checksum, markdown (the plan, refused or not), reason
    leftovers  parked copies interrupted applies left more than a day ago, in words
               ("" if none): drift that no one made by hand, flagged in the issue

`sync_issues` (the issues job, GITHUB_TOKEN only) keeps one issue per target,
labelled `drift` and found by the exact marker `<!-- reconciler-drift
target=T checksum=… -->` on the first line of a bot-written body, open or
closed (reopened rather than duplicated):

    new drift                 open the issue
    drift changed (checksum)  edit the body and comment (an edit notifies nobody)
    same drift                nothing
    drift gone                comment and close
    error                     comment (open the issue if needed) that the check failed; exit 1
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.ci.errors import CiError
from reconciler.ci.github import GitHub
from reconciler.ci.markers import DRIFT, NO_CHECKSUM, Marker, find, with_marker
from reconciler.config.targets import Target
from reconciler.errors import ReconcilerError

if TYPE_CHECKING:
    from reconciler.plan.changes import Plan

__all__ = [
    "LABEL",
    "STATES",
    "DriftReport",
    "check_drift",
    "read_reports",
    "sync_issues",
    "write_report",
]

LABEL = "drift"
STATES = ("clean", "drift", "refused", "error")


@dataclass(frozen=True)
class DriftReport:
    target: str
    state: str
    checksum: str = NO_CHECKSUM
    markdown: str = ""
    reason: str = ""
    summary: str = ""
    leftovers: str = ""

    def data(self) -> dict[str, Any]:
        return dict(self.__dict__)


async def check_drift(target: Target, now: datetime) -> DriftReport:
    """Plan `target` and classify what the plan says."""
    from reconciler.apply.manager import plan_target
    from reconciler.views.plan import render_markdown, summary_line

    try:
        plan = await plan_target(target, now)
    except ReconcilerError as err:
        return DriftReport(target.name, "error", reason=str(err))
    if not plan.needs_work:
        return DriftReport(target.name, "clean", plan.checksum, summary=summary_line(plan))
    state, reason = "drift", ""
    if plan.problems:
        state, reason = "refused", "; ".join(plan.problems)
    return DriftReport(
        target.name,
        state,
        plan.checksum,
        render_markdown(plan, limit=60_000),
        reason,
        summary_line(plan),
        _stale_leftovers(plan),
    )


def _stale_leftovers(plan: Plan) -> str:
    """The parked copies that waited longer than a day, in words ("" if none)."""
    stale = plan.stale_leftovers()
    if not stale:
        return ""
    names = ", ".join(c.name for c in stale[:10]) + (" …" if len(stale) > 10 else "")
    return (
        f"{len(stale)} parked cop{'y' if len(stale) == 1 else 'ies'} ({names}) left by an "
        "interrupted apply waited longer than a day: no apply has run since. They cannot "
        "fire for 350 days after they were parked, but only an apply clears them: run "
        "the reconciler-apply workflow (it completes or withdraws them, no --force needed)."
    )


def write_report(out: Path, report: DriftReport) -> None:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"drift-{report.target}.json"
    path.write_text(
        json.dumps(report.data(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def read_reports(folder: Path, targets: list[str]) -> list[DriftReport]:
    """The report of each target; an error report for a target whose plan job wrote none."""
    reports = []
    for name in targets:
        path = folder / f"drift-{name}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            report = DriftReport(
                **{k: str(data.get(k, "")) for k in DriftReport.__dataclass_fields__}
            )
        except FileNotFoundError:
            report = DriftReport(
                name, "error", reason="the drift check wrote no report (see the run)"
            )
        except (OSError, ValueError, TypeError) as err:
            raise CiError(f"{path}: not a drift report ({err})") from None
        if report.target != name or report.state not in STATES:
            raise CiError(f"{path}: not a drift report of target {name}")
        reports.append(report)
    return reports


def _body(report: DriftReport) -> str:
    head = f"### Drift on target `{report.target}`\n\n"
    if report.state == "error":
        return with_marker(
            Marker(DRIFT, report.target, NO_CHECKSUM),
            head + f"The drift check failed: `{report.reason}`\n",
        )
    text = head + (
        "The app differs from the files on the default branch. Apply the files "
        "(merge a change, or run the reconciler-apply workflow), or change the files "
        "to match the app.\n\n"
    )
    if report.state == "refused":
        text += f"> [!CAUTION]\n> Applying this would be refused: {report.reason}\n\n"
    if report.leftovers:
        text += f"> [!WARNING]\n> {report.leftovers}\n\n"
    return with_marker(Marker(DRIFT, report.target, report.checksum), text + report.markdown)


def _one(gh: GitHub, issues: list[dict[str, Any]], report: DriftReport) -> str:
    found = find(issues, DRIFT, report.target)
    issue, marker = found if found is not None else (None, None)
    open_ = issue is not None and issue.get("state") == "open"
    name = report.target
    if report.state == "clean":
        if not open_ or issue is None:
            return f"{name}: no drift"
        gh.create_comment(
            int(issue["number"]), f"No drift on `{name}` any more ({report.summary})."
        )
        gh.edit_issue(int(issue["number"]), state="closed", state_reason="completed")
        return f"{name}: drift gone, closed #{issue['number']}"
    body = _body(report)
    if issue is None:
        created = gh.create_issue(f"Drift on target {name}", body, [LABEL])
        return f"{name}: {report.state}, opened #{created.get('number')}"
    number = int(issue["number"])
    if report.state == "error":
        gh.create_comment(number, f"The drift check of `{name}` failed: `{report.reason}`")
        if not open_:
            gh.edit_issue(number, state="open", body=body)
        return f"{name}: the check failed, commented on #{number}"
    if open_ and marker is not None and marker.checksum == report.checksum:
        return f"{name}: same drift as #{number}"
    gh.edit_issue(number, state="open", body=body)
    gh.create_comment(
        number,
        f"The drift on `{name}` changed: {report.summary} "
        f"(checksum `{report.checksum}`). The issue body shows the new plan.",
    )
    return f"{name}: the drift changed, updated #{number}"


def sync_issues(gh: GitHub, reports: list[DriftReport]) -> tuple[list[str], bool]:
    """Bring each target's issue up to date; the lines, and whether any check failed."""
    if any(r.state != "clean" for r in reports):
        gh.ensure_label(LABEL, "D93F0B", "The app differs from the repository")
    issues = gh.issues(LABEL)
    return [_one(gh, issues, r) for r in reports], any(r.state == "error" for r in reports)
