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

from reconciler.config.load import Target
from reconciler.core import pointer
from reconciler.core.diagnostics import one_line
from reconciler.core.model import (
    JSON,
    Schedule,
    canonical,
    canonical_json,
    remove_pointers,
    trigger_from_json,
    trigger_kind,
)
from reconciler.core.timing import format_runs, is_expired
from reconciler.errors import PlanRefused

Action = Literal["create", "update", "replace", "delete", "noop", "skip", "conflict"]
#: The actions that change the app, in apply order: deletes free quota and names
#: before creates need them. Everything else is left alone.
CHANGES: tuple[Action, ...] = ("delete", "replace", "update", "create")
ACTIONS: tuple[Action, ...] = (*CHANGES, "conflict", "skip", "noop")
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
    """What the planner needs of a remote schedule (reconciler.remote.engagelab.RemoteSchedule)."""

    @property
    def schedule_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def position(self) -> int: ...
    @property
    def problem(self) -> str | None: ...
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
    def to_make(self) -> tuple[Change, ...]:
        """The changes apply carries out (creates, updates, replaces, deletes)."""
        return tuple(c for c in self.changes if c.action in CHANGES)

    @property
    def has_changes(self) -> bool:
        return bool(self.to_make)

    @property
    def conflicts(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action == "conflict")

    @property
    def needs_work(self) -> bool:
        """Something is left to do: changes, or conflicts to resolve (`--detailed-exitcode` 2)."""
        return self.has_changes or bool(self.conflicts)

    def raise_if_unsafe(self, force: bool = False) -> None:
        """Refuse (PlanRefused) when a safety guard trips, unless forced."""
        if self.problems and not force:
            raise PlanRefused("; ".join(self.problems) + " (use --force if this is intended)")

    def conflict_reasons(self) -> list[str]:
        """Why apply refuses this plan's conflicts: names shared by several remote schedules,
        managed remote schedules that cannot be read (see `plan_unreadable`); empty if none."""
        shared = [c.name for c in self.conflicts if len(c.remote_ids) > 1]
        unreadable = [c.name for c in self.conflicts if len(c.remote_ids) <= 1]
        reasons = []
        if shared:
            reasons.append(
                f"{len(shared)} name(s) shared by several remote schedules ({', '.join(shared)}): "
                "resolve them by hand or pass --resolve-duplicates keep-oldest"
            )
        if unreadable:
            reasons.append(
                f"{len(unreadable)} managed remote schedule(s) cannot be read "
                f"({', '.join(unreadable)}): fix or delete them by hand (see the plan)"
            )
        return reasons

    def raise_if_conflicts(self) -> None:
        """Refuse (PlanRefused) to apply while `conflict_reasons` has anything to say."""
        if reasons := self.conflict_reasons():
            raise PlanRefused("; ".join(reasons))

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
    """Classifies schedules one rule at a time; each rule is a small step below.

    For a desired schedule the rules run in this order, the first that decides
    wins: ownership (several remote schedules of the name), then, when it is
    absent remotely, expired / disabled / create; when present, expired /
    unchanged / a replacement it cannot have while disabled / update or replace
    (a rename is an update found by `previous_name`). A remote schedule no desired
    one claims is unmanaged, protected, kept (prune off) or deleted.
    """

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

    def comparable(self, form: JSON) -> JSON:
        return remove_pointers(form, self.target.ignore_fields)

    def runs(self, schedule: Schedule) -> tuple[str, ...]:
        return tuple(format_runs(schedule.trigger, self.now, self.site, self.target.site_timezone))

    def desired(self, d: Schedule, matches: Sequence[RemoteLike]) -> None:
        remote = self.owner(d, matches)
        if isinstance(remote, _Conflict):
            return
        if remote is None:
            change = self.expired_absent(d) or self.disabled_absent(d) or self.create(d)
        else:
            change = (
                self.expired_present(d, remote)
                or self.unchanged(d, remote)
                or self.disabled_replacement(d, remote)
                or self.update(d, remote)
            )
        self.changes.append(change)

    # --- ownership: one remote schedule per name ----------------------------------------

    def owner(self, d: Schedule, matches: Sequence[RemoteLike]) -> RemoteLike | _Conflict | None:
        """The one remote schedule `d` governs, None if absent; several are a conflict,
        or, with keep-oldest, the oldest, the others deleted."""
        if len(matches) <= 1:
            return matches[0] if matches else None
        ordered = sorted(matches, key=lambda r: r.position)
        if self.resolve_duplicates != "keep-oldest":
            ids = ", ".join(
                f"{r.schedule_id} (#{i + 1} by creation)" for i, r in enumerate(ordered)
            )
            self.changes.append(
                _change(
                    "conflict",
                    d,
                    reason=f"{len(ordered)} remote schedules share this name: {ids}",
                    remote_ids=tuple(r.schedule_id for r in ordered),
                    after=d.body(),
                )
            )
            return _CONFLICT
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
        return ordered[0]

    # --- absent remotely ------------------------------------------------------------------

    def expired_absent(self, d: Schedule) -> Change | None:
        if not is_expired(d.trigger, self.now, self.site):
            return None
        self.warnings.append(
            f"{d.source}: {d.name} has expired and is absent remotely: delete the file"
        )
        return _change("skip", d, reason="expired; delete the file")

    def disabled_absent(self, d: Schedule) -> Change | None:
        if d.enabled:
            return None
        return _change(
            "skip",
            d,
            reason="disabled and absent remotely: the API cannot create a disabled schedule",
        )

    def create(self, d: Schedule) -> Change:
        return _change("create", d, after=d.body(), next_runs=self.runs(d))

    # --- present remotely -----------------------------------------------------------------

    def expired_present(self, d: Schedule, remote: RemoteLike) -> Change | None:
        before = remote.body()
        if not (
            _remote_expired(before, self.now, self.target)
            or is_expired(d.trigger, self.now, self.site)
        ):
            return None
        return _change(
            "skip",
            d,
            remote,
            before=before,
            reason="expired: the API does not update an expired schedule",
        )

    def unchanged(self, d: Schedule, remote: RemoteLike) -> Change | None:
        if self.old(remote) != self.new(d):
            return None
        return _change("noop", d, remote)

    def disabled_replacement(self, d: Schedule, remote: RemoteLike) -> Change | None:
        before = remote.body()
        why = replacement_reason(before, d.body())
        if why is None or d.enabled:
            return None
        self.warnings.append(f"{d.name}: {why}, but it is disabled: nothing will be done")
        return _change(
            "skip",
            d,
            remote,
            before=before,
            reason=f"{why}, but a disabled schedule cannot be created; enable it first",
        )

    def update(self, d: Schedule, remote: RemoteLike) -> Change:
        """A full PUT, or a replacement for what the API will not update (with the reason)."""
        before, after = remote.body(), d.body()
        why = replacement_reason(before, after)
        renamed = f"renamed from {remote.name}" if remote.name != d.name else ""
        return _change(
            "replace" if why else "update",
            d,
            remote,
            before=before,
            after=after,
            diff=field_diff(self.old(remote), self.new(d)),
            reason=why or renamed,
            next_runs=self.runs(d),
        )

    def old(self, remote: RemoteLike) -> JSON:
        return self.comparable(self.remote_forms[remote.schedule_id])

    def new(self, d: Schedule) -> JSON:
        return self.comparable(self.forms[d.name])

    # --- remote schedules no desired one claims ---------------------------------------------

    def leftover(self, r: RemoteLike) -> Change:
        if not self.managed(r.name):
            reason = f"unmanaged: lacks the prefix {self.target.manage_prefix!r}"
            return Change("skip", r.name, r.schedule_id, reason=reason)
        if any(fnmatch.fnmatchcase(r.name, glob) for glob in self.target.protect):
            return Change("skip", r.name, r.schedule_id, reason="protected: never deleted")
        if not self.target.prune:
            return Change("skip", r.name, r.schedule_id, reason="not in the repo; prune is off")
        return Change("delete", r.name, r.schedule_id, before=r.body(), reason="not in the repo")


class _Conflict:
    """`_Planner.owner`'s answer when the name is shared: the conflict is recorded."""


_CONFLICT = _Conflict()


def _change(action: Action, d: Schedule, remote: RemoteLike | None = None, **fields: Any) -> Change:
    """A change of desired schedule `d` (and the remote one it governs, if any)."""
    schedule_id = remote.schedule_id if remote is not None else None
    source = str(d.source) if d.source else None
    return Change(action, d.name, schedule_id, source=source, **fields)


def _matches(
    desired: Sequence[Schedule], remote: Sequence[RemoteLike]
) -> list[tuple[Schedule, list[RemoteLike]]]:
    """Each desired schedule with the remote ones of its name, oldest first; a rename
    (`previous_name`) finds the old name's when its own is absent and the old name is
    not itself desired. A remote schedule goes to one desired schedule at most."""
    by_name: dict[str, list[RemoteLike]] = defaultdict(list)
    for r in sorted(remote, key=lambda r: r.position):
        by_name[r.name].append(r)
    desired_names = {d.name for d in desired}
    claimed: set[str] = set()
    pairs: list[tuple[Schedule, list[RemoteLike]]] = []
    for d in desired:
        matches = by_name.get(d.name, [])
        if not matches and d.previous_name and d.previous_name not in desired_names:
            matches = by_name.get(d.previous_name, [])
        matches = [m for m in matches if m.schedule_id not in claimed]
        claimed.update(m.schedule_id for m in matches)
        pairs.append((d, matches))
    return pairs


def plan_unreadable(
    planner: _Planner, desired: Sequence[Schedule], remote: Sequence[RemoteLike]
) -> tuple[list[RemoteLike], set[str]]:
    """Plan the remote schedules we cannot read; return the others, and the names taken.

    A schedule another client stored too deep, too big or in a shape we do not
    know (``RemoteSchedule.problem``) must not lock the tool out of the app.
    Outside ``manage_prefix`` it is none of ours: a skip, and a warning naming it.
    Inside, we cannot tell what applying would do to it: a conflict with the
    reason, so that apply refuses, whether or not a desired schedule has that
    name (if one has, the conflict stands for it, and nothing is created beside it).
    """
    readable: list[RemoteLike] = []
    taken: set[str] = set()
    by_name = {d.name: d for d in desired}
    for r in remote:
        if r.problem is None:
            readable.append(r)
            continue
        name = one_line(r.name) or "(no name)"
        reason = f"cannot be read: {r.problem}"
        if not planner.managed(r.name):
            planner.changes.append(Change("skip", name, r.schedule_id, reason=reason))
            planner.warnings.append(f"remote schedule {name} (id {r.schedule_id}) {reason}")
            continue
        mine = by_name.get(r.name)
        taken.add(r.name)
        planner.changes.append(
            Change(
                "conflict",
                name,
                r.schedule_id,
                reason=f"{reason}; fix or delete it by hand (id {r.schedule_id})",
                source=str(mine.source) if mine and mine.source else None,
                remote_ids=(r.schedule_id,),
                after=mine.body() if mine else None,
            )
        )
    return readable, taken


def make_plan(
    desired: Sequence[Schedule],
    remote: Sequence[RemoteLike],
    target: Target,
    now: datetime,
    *,
    resolve_duplicates: str | None = None,
    warnings: Sequence[str] = (),
) -> Plan:
    """Classify every desired and every remote schedule; compute the guards and the checksum."""
    forms = {d.name: canonical(d.body()) for d in desired}
    remote_forms = {r.schedule_id: canonical(r.body()) for r in remote}
    planner = _Planner(target, now, resolve_duplicates, forms, remote_forms)
    planner.warnings.extend(warnings)
    readable, taken = plan_unreadable(planner, desired, remote)
    pairs = _matches([d for d in desired if d.name not in taken], readable)
    for d, matches in pairs:
        planner.desired(d, matches)
    claimed = {m.schedule_id for _, matches in pairs for m in matches}
    for r in sorted(readable, key=lambda r: (r.name, r.position)):
        if r.schedule_id in claimed:
            continue
        if r.name in taken:  # the name is held by the unreadable one's conflict
            reason = "shares its name with a remote schedule that cannot be read: left alone"
            planner.changes.append(Change("skip", r.name, r.schedule_id, reason=reason))
        else:
            planner.changes.append(planner.leftover(r))
    changes = tuple(sorted(planner.changes, key=lambda c: c.sort_key))
    plan = Plan(
        target=target.name,
        changes=changes,
        warnings=tuple(planner.warnings),
        checksum=_checksum(target.name, desired, forms, remote_forms, changes),
        managed_remote=sum(1 for r in remote if planner.managed(r.name)),
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
