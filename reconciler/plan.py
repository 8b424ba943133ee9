"""Plan: desired schedules x remote schedules -> the changes that would make them one.

Every desired and every remote schedule ends up in exactly one change:

    create    desired, absent remotely (and enabled, and not expired)
    update    present on both sides and different; a full PUT of the desired object
    replace   different in what the API will not update (zone_type, trigger kind):
              delete, then create
    delete    managed, absent from the repo, prune on, not protected
    noop      present on both sides and equal in canonical form
    skip      left alone, with the reason (expired, disabled and absent remotely,
              unmanaged, protected, prune off)
    conflict  several remote schedules share the desired name

The planner is a pure function of its inputs; safety thresholds live on the
plan (`Plan.problems`, `Plan.raise_if_unsafe`), renderers live in render.py.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Literal, Protocol

from reconciler import pointer
from reconciler.config import Target
from reconciler.errors import PlanRefused
from reconciler.model import (
    JSON,
    Schedule,
    canonical,
    canonical_json,
    remove_pointers,
    trigger_from_json,
    trigger_kind,
)
from reconciler.timing import format_runs, is_expired

Action = Literal["create", "update", "replace", "delete", "noop", "skip", "conflict"]
# Apply order first (deletes free quota and names before creates need them),
# then what is left alone.
ACTIONS: tuple[Action, ...] = ("delete", "replace", "update", "create", "conflict", "skip", "noop")
SUMMARY_ORDER: tuple[Action, ...] = (
    "create",
    "update",
    "replace",
    "delete",
    "noop",
    "skip",
    "conflict",
)
FORMAT_VERSION = 1


class RemoteLike(Protocol):
    """What the planner needs of a remote schedule (reconciler.api.RemoteSchedule)."""

    @property
    def schedule_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def position(self) -> int: ...
    def body(self) -> dict[str, Any]: ...


class _Absent:
    """A field one side does not have (JSON null would be a value)."""

    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class FieldChange:
    """One changed field: a JSON pointer, and its value before and after (or ABSENT)."""

    path: str
    before: Any
    after: Any

    def data(self) -> JSON:
        out: JSON = {"path": self.path}
        if self.before is not ABSENT:
            out["before"] = self.before
        if self.after is not ABSENT:
            out["after"] = self.after
        return out


@dataclass(frozen=True)
class Change:
    action: Action
    name: str
    schedule_id: str | None = None
    before: JSON | None = None
    after: JSON | None = None
    diff: tuple[FieldChange, ...] = ()
    reason: str = ""
    next_runs: tuple[str, ...] = ()
    source: str | None = None
    # For a conflict: every remote id of the name, oldest first.
    remote_ids: tuple[str, ...] = ()

    @property
    def sort_key(self) -> tuple[int, str]:
        return (ACTIONS.index(self.action), self.name)

    def data(self) -> JSON:
        """The saved-plan form (README, "The plan"), keys in a fixed order."""
        out: JSON = {
            "action": self.action,
            "name": self.name,
            "schedule_id": self.schedule_id,
            "before": self.before,
            "after": self.after,
            "diff": [d.data() for d in self.diff],
            "reason": self.reason,
            "next_runs": list(self.next_runs),
        }
        if self.source:
            out["source"] = self.source
        if self.remote_ids:
            out["remote_ids"] = list(self.remote_ids)
        return out

    def identity(self) -> JSON:
        """What a reviewer approved: everything but the clock-dependent next runs."""
        data = self.data()
        data.pop("next_runs")
        data.pop("source", None)
        return data


@dataclass(frozen=True)
class Clock:
    """When and where a plan was made: what its fire times are read against.

    Not part of the checksum or the saved plan (fire times move with the clock);
    the markdown renderer reads it to draw the review calendar.
    """

    now: datetime
    site_zone: tzinfo
    site_timezone: str


@dataclass(frozen=True)
class Plan:
    target: str
    changes: tuple[Change, ...]
    warnings: tuple[str, ...]
    checksum: str
    managed_remote: int
    active_remote: int
    safety_max_delete_percent: float
    safety_max_update_percent: float
    safety_min_existing: int
    quota: int
    desired_count: int
    problems: tuple[str, ...] = field(default=())
    clock: Clock | None = None

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def summary(self) -> dict[str, int]:
        return {action: self.count(action) for action in SUMMARY_ORDER}

    @property
    def has_changes(self) -> bool:
        return any(c.action in ("create", "update", "replace", "delete") for c in self.changes)

    @property
    def conflicts(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action == "conflict")

    def raise_if_unsafe(self, force: bool = False) -> None:
        """Refuse (PlanRefused) when a safety guard trips, unless forced."""
        if self.problems and not force:
            raise PlanRefused("; ".join(self.problems) + " (use --force if this is intended)")

    def data(self) -> JSON:
        return {
            "format_version": FORMAT_VERSION,
            "target": self.target,
            "checksum": self.checksum,
            "summary": self.summary,
            "changes": [c.data() for c in self.changes],
            "warnings": list(self.warnings),
        }


def field_diff(before: JSON, after: JSON) -> tuple[FieldChange, ...]:
    """The changed fields as JSON pointers; a changed list is shown whole.

    Only called for schedules already known to differ: deepdiff is the
    expensive part of a plan and has no business with unchanged ones.
    """
    from deepdiff import DeepDiff

    tree = DeepDiff(before, after, view="tree", verbose_level=2)
    found: dict[str, FieldChange] = {}
    for kind in tree:
        for level in tree[kind]:
            parts = level.path(output_format="list")
            # A list is shown whole: "point: [MON] -> [MON, THU]" reads better than
            # an index-by-index account of how it moved.
            node_before: Any = before
            node_after: Any = after
            kept: list[Any] = []
            for part in parts:
                if isinstance(node_before, list) or isinstance(node_after, list):
                    break
                kept.append(part)
                node_before = (
                    node_before.get(part, ABSENT) if isinstance(node_before, dict) else ABSENT
                )
                node_after = (
                    node_after.get(part, ABSENT) if isinstance(node_after, dict) else ABSENT
                )
            path = pointer.join(kept)
            found.setdefault(path, FieldChange(path, node_before, node_after))
    return tuple(sorted(found.values(), key=lambda d: d.path))


def _zone_of(body: Mapping[str, Any]) -> tuple[str | None, Any]:
    trigger = body.get("trigger") or {}
    kind = trigger_kind(trigger) if isinstance(trigger, Mapping) else None
    inner = trigger.get(kind) if kind else None
    return kind, inner.get("zone_type") if isinstance(inner, Mapping) else None


def replacement_reason(before: Mapping[str, Any], after: Mapping[str, Any]) -> str | None:
    """Why the API cannot update `before` into `after`, or None if it can."""
    kind_before, zone_before = _zone_of(before)
    kind_after, zone_after = _zone_of(after)
    if kind_before != kind_after:
        return f"forces replacement: trigger {kind_before} -> {kind_after}"
    if zone_before != zone_after:
        return f"forces replacement: zone_type {_show(zone_before)} -> {_show(zone_after)}"
    return None


def _show(zone_type: Any) -> str:
    return "absent" if zone_type is None else str(zone_type)


def _remote_expired(body: Mapping[str, Any], now: datetime, target: Target) -> bool:
    try:
        return is_expired(trigger_from_json(body["trigger"]), now, target.site_zone)
    except (KeyError, TypeError, ValueError, AttributeError):
        return False  # a shape we cannot read is not ours to call expired


def _checksum(
    target: str,
    desired: Sequence[Schedule],
    forms: Mapping[str, JSON],
    remote_forms: Mapping[str, JSON],
    changes: Sequence[Change],
) -> str:
    remote_part: list[Any] = sorted([i, form] for i, form in remote_forms.items())
    desired_part: list[Any] = sorted(
        ([d.name, d.previous_name, forms[d.name]] for d in desired), key=lambda d: str(d[0])
    )
    snapshot = {
        "target": target,
        "remote": remote_part,
        "desired": desired_part,
        "changes": [c.identity() for c in changes],
    }
    digest = hashlib.sha256(canonical_json(snapshot).encode("utf-8")).hexdigest()
    return f"sha256:{digest}"


class _Planner:
    def __init__(
        self,
        target: Target,
        now: datetime,
        resolve_duplicates: str | None,
        forms: Mapping[str, JSON],
        remote_forms: Mapping[str, JSON],
    ) -> None:
        # Canonical forms, computed once per schedule: by desired name, by remote id.
        self.forms = forms
        self.remote_forms = remote_forms
        self.target = target
        self.now = now
        self.site = target.site_zone
        self.resolve_duplicates = resolve_duplicates
        self.changes: list[Change] = []
        self.warnings: list[str] = []

    def managed(self, name: str) -> bool:
        return name.startswith(self.target.manage_prefix)

    def protected(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, glob) for glob in self.target.protect)

    def comparable(self, form: JSON) -> JSON:
        return remove_pointers(form, self.target.ignore_fields)

    def runs(self, schedule: Schedule) -> tuple[str, ...]:
        return tuple(format_runs(schedule.trigger, self.now, self.site, self.target.site_timezone))

    def desired(self, d: Schedule, matches: list[RemoteLike]) -> None:
        src = str(d.source) if d.source else None
        after = d.body()
        if len(matches) > 1:
            ordered = sorted(matches, key=lambda r: r.position)
            if self.resolve_duplicates != "keep-oldest":
                ids = ", ".join(
                    f"{r.schedule_id} (#{i + 1} by creation)" for i, r in enumerate(ordered)
                )
                self.changes.append(
                    Change(
                        "conflict",
                        d.name,
                        reason=f"{len(ordered)} remote schedules share this name: {ids}",
                        source=src,
                        remote_ids=tuple(r.schedule_id for r in ordered),
                        after=after,
                    )
                )
                return
            for extra in ordered[1:]:
                self.changes.append(
                    Change(
                        "delete",
                        extra.name,
                        extra.schedule_id,
                        before=extra.body(),
                        reason=f"duplicate of {ordered[0].schedule_id} (keep-oldest)",
                    )
                )
            matches = ordered[:1]
        expired = is_expired(d.trigger, self.now, self.site)
        if not matches:
            if expired:
                self.changes.append(
                    Change("skip", d.name, reason="expired; delete the file", source=src)
                )
                self.warnings.append(
                    f"{src}: {d.name} has expired and is absent remotely: delete the file"
                )
            elif not d.enabled:
                self.changes.append(
                    Change(
                        "skip",
                        d.name,
                        source=src,
                        reason="disabled and absent remotely: the API cannot create a disabled schedule",
                    )
                )
            else:
                self.changes.append(
                    Change("create", d.name, after=after, next_runs=self.runs(d), source=src)
                )
            return
        remote = matches[0]
        before = remote.body()
        if _remote_expired(before, self.now, self.target) or expired:
            self.changes.append(
                Change(
                    "skip",
                    d.name,
                    remote.schedule_id,
                    before=before,
                    source=src,
                    reason="expired: the API does not update an expired schedule",
                )
            )
            return
        old = self.comparable(self.remote_forms[remote.schedule_id])
        new = self.comparable(self.forms[d.name])
        if old == new:
            self.changes.append(Change("noop", d.name, remote.schedule_id, source=src))
            return
        why = replacement_reason(before, after)
        if why is not None and not d.enabled:
            self.changes.append(
                Change(
                    "skip",
                    d.name,
                    remote.schedule_id,
                    before=before,
                    source=src,
                    reason=f"{why}, but a disabled schedule cannot be created; enable it first",
                )
            )
            self.warnings.append(f"{d.name}: {why}, but it is disabled: nothing will be done")
            return
        # What the API will not update is deleted and created again, with the reason.
        renamed = f"renamed from {remote.name}" if remote.name != d.name else ""
        self.changes.append(
            Change(
                "replace" if why else "update",
                d.name,
                remote.schedule_id,
                before=before,
                after=after,
                diff=field_diff(old, new),
                reason=why or renamed,
                next_runs=self.runs(d),
                source=src,
            )
        )

    def leftover(self, r: RemoteLike) -> None:
        if self.protected(r.name):
            self.changes.append(
                Change("skip", r.name, r.schedule_id, reason="protected: never deleted")
            )
        elif not self.target.prune:
            self.changes.append(
                Change("skip", r.name, r.schedule_id, reason="not in the repo; prune is off")
            )
        else:
            self.changes.append(
                Change("delete", r.name, r.schedule_id, before=r.body(), reason="not in the repo")
            )


def make_plan(
    desired: Sequence[Schedule],
    remote: Sequence[RemoteLike],
    target: Target,
    now: datetime,
    *,
    resolve_duplicates: str | None = None,
    warnings: Sequence[str] = (),
) -> Plan:
    """Classify every desired and remote schedule; compute guards and the checksum."""
    forms = {d.name: canonical(d.body()) for d in desired}
    remote_forms = {r.schedule_id: canonical(r.body()) for r in remote}
    planner = _Planner(target, now, resolve_duplicates, forms, remote_forms)
    planner.warnings.extend(warnings)
    by_name: dict[str, list[RemoteLike]] = defaultdict(list)
    for r in sorted(remote, key=lambda r: r.position):
        by_name[r.name].append(r)
    managed = [r for r in remote if planner.managed(r.name)]
    claimed: set[str] = set()
    desired_names = {d.name for d in desired}
    for d in desired:
        matches = by_name.get(d.name, [])
        if not matches and d.previous_name and d.previous_name not in desired_names:
            matches = by_name.get(d.previous_name, [])
        matches = [m for m in matches if m.schedule_id not in claimed]
        claimed.update(m.schedule_id for m in matches)
        planner.desired(d, matches)
    for r in sorted(remote, key=lambda r: (r.name, r.position)):
        if r.schedule_id in claimed:
            continue
        if not planner.managed(r.name):
            planner.changes.append(
                Change(
                    "skip",
                    r.name,
                    r.schedule_id,
                    reason=f"unmanaged: lacks the prefix {target.manage_prefix!r}",
                )
            )
            continue
        planner.leftover(r)
    changes = tuple(sorted(planner.changes, key=lambda c: c.sort_key))
    plan = Plan(
        target=target.name,
        changes=changes,
        warnings=tuple(planner.warnings),
        checksum=_checksum(target.name, desired, forms, remote_forms, changes),
        managed_remote=len(managed),
        active_remote=len(remote),
        safety_max_delete_percent=target.safety.max_delete_percent,
        safety_max_update_percent=target.safety.max_update_percent,
        safety_min_existing=target.safety.min_existing,
        quota=target.quota,
        desired_count=len(desired),
        clock=Clock(now, target.site_zone, target.site_timezone),
    )
    return _with_problems(plan)


def _with_problems(plan: Plan) -> Plan:
    """The guards: each trips with the numbers that made it trip."""
    problems: list[str] = []
    deletes = plan.count("delete")
    updates = plan.count("update") + plan.count("replace")
    managed = plan.managed_remote
    if plan.desired_count == 0 and managed > 0:
        problems.append(
            f"no desired schedules but {managed} managed remote ones: refusing to delete them all"
        )
    if managed >= plan.safety_min_existing and managed > 0:
        delete_pct = 100.0 * deletes / managed
        update_pct = 100.0 * updates / managed
        if delete_pct > plan.safety_max_delete_percent:
            problems.append(
                f"would delete {deletes} of {managed} managed schedules ({delete_pct:.1f}% > "
                f"max_delete_percent {plan.safety_max_delete_percent:g}%)"
            )
        if update_pct > plan.safety_max_update_percent:
            problems.append(
                f"would update or replace {updates} of {managed} managed schedules ({update_pct:.1f}% > "
                f"max_update_percent {plan.safety_max_update_percent:g}%)"
            )
    active_after = plan.active_remote - deletes + plan.count("create")
    if active_after > plan.quota:
        problems.append(
            f"would leave {active_after} active schedules in the app, above the quota of {plan.quota}"
        )
    return Plan(**{**plan.__dict__, "problems": tuple(problems)})
