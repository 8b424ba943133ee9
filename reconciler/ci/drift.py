"""Drift: someone changed the app outside git. One report per target, one issue per target.

`check_drift` plans one target (the plan job, with the `<target>-plan`
credentials, once the environment approves the target's connection:
reconciler.remote.approval; otherwise an error saying why) and writes
drift-TARGET.json:

    state   clean | drift | refused (a drift that trips a guard) | error
    checksum, markdown (the plan, refused or not), reason
    leftovers  parked copies interrupted applies left more than a day ago, in words
               ("" if none): drift that no one made by hand, flagged in the issue

`sync_issues` (the issues job, GITHUB_TOKEN only) keeps one issue per target,
labelled `drift` and found by the exact marker `<!-- reconciler-drift
target=T checksum=… health=… settings=… -->` on the first line of a
bot-written body: the newest open one, else the newest closed one (reopened
rather than duplicated); any other open one is closed with a link to it.

    new drift                 open the issue
    drift changed (checksum)  edit the body and comment (an edit notifies nobody)
    same drift                nothing
    drift gone                comment and close
    error                     comment (open the issue if needed) that the check failed; exit 1

With a health report (reconciler.ci.health: the same job checks whether the
pushes went out), the body gains a health section, rewritten in place on every
run; a failed or missed push opens the issue even without drift, a change in
the set of unhealthy schedules is commented on, and the issue closes only when
there is neither drift nor an unhealthy schedule. The repository settings
(reconciler.ci.repo_check, from `reconciler ci check-repo` in the same job) work
the same way for each real target: a section, a comment when the set of
missing settings changes, and a missing setting keeps the issue open.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.ci.actions import Env, approved
from reconciler.ci.errors import CiError
from reconciler.ci.github import GitHub
from reconciler.ci.health import HealthReport, fit, note, section
from reconciler.ci.markers import DRIFT, NO_CHECKSUM, Marker, find_all, with_marker
from reconciler.ci.repo_check import RepoCheck
from reconciler.ci.repo_check import note as settings_note
from reconciler.ci.repo_check import section as settings_section
from reconciler.config.targets import Target
from reconciler.errors import ReconcilerError
from reconciler.views.markdown import code
from reconciler.views.markdown import text as inline

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


async def check_drift(target: Target, now: datetime, env: Env) -> DriftReport:
    """Plan `target` and classify what the plan says (an error when `env` does not approve
    its connection: nothing is sent)."""
    from reconciler.apply.manager import plan_target
    from reconciler.views.plan import render_markdown, summary_line

    try:
        approved(target, env)
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


#: GitHub refuses an issue body longer than 65,536 characters.
BODY_LIMIT = 65_000


def _drift_text(report: DriftReport) -> str:
    head = f"### Drift on target {code(report.target)}\n\n"
    if report.state == "error":
        return head + f"The drift check failed: {code(report.reason)}\n"
    if report.state == "clean":
        return head + f"No drift: the app matches the files ({report.summary}).\n"
    text = head + (
        "The app differs from the files on the default branch. Apply the files "
        "(merge a change, or run the reconciler-apply workflow), or change the files "
        "to match the app.\n\n"
    )
    if report.state == "refused":
        text += f"> [!CAUTION]\n> Applying this would be refused: {inline(report.reason)}\n\n"
    if report.leftovers:
        text += f"> [!WARNING]\n> {inline(report.leftovers)}\n\n"
    return text + report.markdown


@dataclass(frozen=True)
class _Also:
    """What the issue reports besides drift: health, and the repository settings (each None
    when its step did not report)."""

    health: HealthReport | None = None
    settings: RepoCheck | None = None

    @property
    def sick(self) -> bool:
        return self.health is not None and self.health.state != "healthy"

    @property
    def unsafe(self) -> bool:
        return self.settings is not None and bool(self.settings.missing)


def _body(report: DriftReport, also: _Also, before: Marker | None) -> str:
    """The issue body: the marker, the drift part, the health part, the settings part (those
    reported)."""
    drifted = report.state in ("drift", "refused")
    health, settings = also.health, also.settings
    key = None
    if health is not None:
        # A failed health check keeps the set the issue reported last.
        key = health.key if health.state != "error" else (before.health if before else None)
    marker = Marker(
        DRIFT,
        report.target,
        report.checksum if drifted else NO_CHECKSUM,
        health=key,
        settings=settings.key if settings is not None else None,
    )
    text = _drift_text(report)
    tail = "\n" + settings_section(settings) if settings is not None else ""
    if health is not None:
        text += "\n" + fit(section(health), BODY_LIMIT - len(text) - len(tail) - 200)
    return with_marker(marker, text + tail)


def _title(report: DriftReport, also: _Also) -> str:
    if report.state != "clean":
        return f"Drift on target {report.target}"
    if also.health is not None and also.health.state == "error":
        return f"The health check failed on target {report.target}"
    if also.sick:
        return f"Failed or missed pushes on target {report.target}"
    return f"Repository settings to fix for target {report.target}"


def _close(gh: GitHub, issue: dict[str, Any], report: DriftReport, also: _Also) -> str:
    name = report.target
    more = " and every push due went out" if also.health is not None else ""
    if also.settings is not None:
        more += ", and the repository settings are in place"
    gh.create_comment(
        int(issue["number"]), f"No drift on {code(name)} any more{more} ({report.summary})."
    )
    gh.edit_issue(int(issue["number"]), state="closed", state_reason="completed")
    return f"{name}: drift gone{more}, closed #{issue['number']}"


def _the_issue(
    gh: GitHub, issues: list[dict[str, Any]], name: str
) -> tuple[tuple[dict[str, Any], Marker] | None, list[str]]:
    """The target's one issue: the newest open one with its marker, else the newest closed one
    (reopened rather than duplicated); any other open one is closed with a link to it. GitHub
    lists issues newest first, but the order is not relied on: numbers only grow."""
    found = sorted(
        find_all(issues, DRIFT, name),
        key=lambda pair: (pair[0].get("state") == "open", _number(pair[0])),
        reverse=True,
    )
    closed = []
    for extra, _ in found[1:]:
        if extra.get("state") == "open":
            number, kept = _number(extra), _number(found[0][0])
            gh.create_comment(
                number, f"Closed in favour of #{kept}: reconciler keeps one issue per target."
            )
            gh.edit_issue(number, state="closed", state_reason="not_planned")
            closed.append(f"{name}: closed #{number}, a second issue for it (kept #{kept})")
    return (found[0] if found else None), closed


def _number(issue: dict[str, Any]) -> int:
    number = issue.get("number")
    return number if isinstance(number, int) and not isinstance(number, bool) else 0


def _drift_note(report: DriftReport, before: Marker | None, open_: bool) -> str | None:
    """The comment for the drift part: the check failed, the drift changed, or it is gone."""
    name = report.target
    if report.state == "error":
        return f"The drift check of {code(name)} failed: {code(report.reason)}"
    if report.state == "clean":
        if open_ and before is not None and before.checksum != NO_CHECKSUM:
            return (
                f"No drift on {code(name)} any more ({report.summary}); the issue stays open below."
            )
        return None
    if open_ and before is not None and before.checksum == report.checksum:
        return None
    return (
        f"The drift on {code(name)} changed: {report.summary} "
        f"(checksum `{report.checksum}`). The issue body shows the new plan."
    )


def _one(
    gh: GitHub, found: tuple[dict[str, Any], Marker] | None, report: DriftReport, also: _Also
) -> str:
    issue, before = found if found is not None else (None, None)
    open_ = issue is not None and issue.get("state") == "open"
    name = report.target
    if report.state == "clean" and not also.sick and not also.unsafe:
        if not open_ or issue is None:
            return f"{name}: no drift" + (", every push due went out" if also.health else "")
        return _close(gh, issue, report, also)
    body, title = _body(report, also, before), _title(report, also)
    if issue is None:
        created = gh.create_issue(title, body, [LABEL])
        why: str = report.state
        if report.state == "clean":
            why = also.health.state if also.sick and also.health else "settings missing"
        return f"{name}: {why}, opened #{created.get('number')}"
    number = int(issue["number"])
    notes = [_drift_note(report, before, open_)]
    if also.health is not None:
        notes.append(note(name, also.health, before.health if before else None, open_))
    if also.settings is not None:
        notes.append(settings_note(name, also.settings, before.settings if before else None, open_))
    fields: dict[str, Any] = {} if open_ else {"state": "open"}
    # A failing drift check leaves the body of an open issue (the last plan) as it was.
    if not (report.state == "error" and open_):
        fields.update({k: v for k, v in (("body", body), ("title", title)) if issue.get(k) != v})
    if fields:
        gh.edit_issue(number, **fields)
    for comment in notes:
        if comment:
            gh.create_comment(number, comment)
    return _outcome(report, number, notes, bool(fields))


def _outcome(report: DriftReport, number: int, notes: list[str | None], edited: bool) -> str:
    """One line for the log; `notes`: the drift's, then the health's and the settings' (those
    reported), each None when it was not commented on."""
    name = report.target
    if report.state == "error":
        return f"{name}: the check failed, commented on #{number}"
    drift, *others = notes
    changed = ["the health changed", "the settings changed"][: len(others)]
    parts = ["the drift changed"] if drift and report.state != "clean" else []
    parts += [what for what, said in zip(changed, others, strict=True) if said]
    if parts:
        return f"{name}: {' and '.join(parts)}, updated #{number}"
    if report.state != "clean":
        return f"{name}: same drift as #{number}" + (" (edited in place)" if edited else "")
    return f"{name}: same health as #{number}" + (" (edited in place)" if edited else "")


def sync_issues(
    gh: GitHub,
    reports: list[DriftReport],
    health: Mapping[str, HealthReport] | None = None,
    settings: RepoCheck | None = None,
) -> tuple[list[str], bool]:
    """Bring each target's issue up to date; the lines, and whether any check failed.
    `settings` (check-repo's findings) is reported in the issue of each real target."""
    health = health or {}
    failed_health = any(h.state == "error" for h in health.values())
    also = {
        r.target: _Also(health.get(r.target), settings.of(r.target) if settings else None)
        for r in reports
    }
    if any(r.state != "clean" for r in reports) or any(a.sick or a.unsafe for a in also.values()):
        gh.ensure_label(LABEL, "D93F0B", "The app differs from the repository, or pushes failed")
    issues = gh.issues(LABEL)
    lines = []
    for report in reports:
        found, closed = _the_issue(gh, issues, report.target)
        lines += closed
        lines.append(_one(gh, found, report, also[report.target]))
    return lines, any(r.state == "error" for r in reports) or failed_health
