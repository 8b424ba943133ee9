"""Planner: desired schedules x remote schedules -> the changes that would make them one.

The planner is a pure function of its inputs (see reconciler/plan/changes.py for
what each action means): it matches by name (a rename by `previous_name`),
classifies every schedule one rule at a time, and computes the checksum; the
guards (guards.py) then set the plan's problems. Parked copies interrupted
applies left are planned first (leftovers.py), the rest without them.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from reconciler.config.effective import Settings, effective_settings
from reconciler.config.targets import Target
from reconciler.core.diagnostics import one_line
from reconciler.core.model import (
    JSON,
    Schedule,
    canonical,
    canonical_json,
    remove_pointers,
    trigger_from_json,
)
from reconciler.core.timing import format_runs, is_expired
from reconciler.plan.changes import Action, Change, Clock, Plan
from reconciler.plan.diff import field_diff, replacement_reason
from reconciler.plan.guards import with_problems
from reconciler.plan.leftovers import plan_parked

if TYPE_CHECKING:
    from reconciler.remote.protocol import RemoteSchedule

__all__ = ["make_plan", "plan_unreadable"]


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
    settings: Settings,
) -> str:
    """sha256 over what a reviewer approves: the target, the remote snapshot, the desired
    set, the changes and the effective settings (each moves it on its own: tests/test_plan.py)."""
    remote_part: list[Any] = sorted([i, form] for i, form in remote_forms.items())
    desired_part: list[Any] = sorted(
        ([d.name, d.previous_name, forms[d.name]] for d in desired), key=lambda d: str(d[0])
    )
    snapshot = {
        "target": target,
        "remote": remote_part,
        "desired": desired_part,
        "changes": [c.identity() for c in changes],
        "settings": settings.json(),
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

    def desired(self, d: Schedule, matches: Sequence[RemoteSchedule]) -> None:
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

    def owner(
        self, d: Schedule, matches: Sequence[RemoteSchedule]
    ) -> RemoteSchedule | _Conflict | None:
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

    def expired_present(self, d: Schedule, remote: RemoteSchedule) -> Change | None:
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

    def unchanged(self, d: Schedule, remote: RemoteSchedule) -> Change | None:
        if self.old(remote) != self.new(d):
            return None
        return _change("noop", d, remote)

    def disabled_replacement(self, d: Schedule, remote: RemoteSchedule) -> Change | None:
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

    def update(self, d: Schedule, remote: RemoteSchedule) -> Change:
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

    def old(self, remote: RemoteSchedule) -> JSON:
        return self.comparable(self.remote_forms[remote.schedule_id])

    def new(self, d: Schedule) -> JSON:
        return self.comparable(self.forms[d.name])

    # --- remote schedules no desired one claims ---------------------------------------------

    def leftover(self, r: RemoteSchedule) -> Change:
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


def _change(
    action: Action, d: Schedule, remote: RemoteSchedule | None = None, **fields: Any
) -> Change:
    """A change of desired schedule `d` (and the remote one it governs, if any)."""
    schedule_id = remote.schedule_id if remote is not None else None
    source = str(d.source) if d.source else None
    return Change(action, d.name, schedule_id, source=source, **fields)


def _matches(
    desired: Sequence[Schedule], remote: Sequence[RemoteSchedule]
) -> list[tuple[Schedule, list[RemoteSchedule]]]:
    """Each desired schedule with the remote ones of its name, oldest first; a rename
    (`previous_name`) finds the old name's when its own is absent and the old name is
    not itself desired. A remote schedule goes to one desired schedule at most."""
    by_name: dict[str, list[RemoteSchedule]] = defaultdict(list)
    for r in sorted(remote, key=lambda r: r.position):
        by_name[r.name].append(r)
    desired_names = {d.name for d in desired}
    claimed: set[str] = set()
    pairs: list[tuple[Schedule, list[RemoteSchedule]]] = []
    for d in desired:
        matches = by_name.get(d.name, [])
        if not matches and d.previous_name and d.previous_name not in desired_names:
            matches = by_name.get(d.previous_name, [])
        matches = [m for m in matches if m.schedule_id not in claimed]
        claimed.update(m.schedule_id for m in matches)
        pairs.append((d, matches))
    return pairs


def plan_unreadable(
    planner: _Planner, desired: Sequence[Schedule], remote: Sequence[RemoteSchedule]
) -> tuple[list[RemoteSchedule], set[str]]:
    """Plan the remote schedules we cannot read; return the others, and the names taken.

    A schedule another client stored too deep, too big or in a shape we do not
    know (``RemoteSchedule.problem``) must not lock the tool out of the app.
    Outside ``manage_prefix`` it is none of ours: a skip, and a warning naming it.
    Inside, we cannot tell what applying would do to it: a conflict with the
    reason, so that apply refuses, whether or not a desired schedule has that
    name (if one has, the conflict stands for it, and nothing is created beside it).
    """
    readable: list[RemoteSchedule] = []
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
    remote: Sequence[RemoteSchedule],
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
    left = plan_parked(desired, readable, taken, target=target, now=now, remote_forms=remote_forms)
    planner.changes.extend(left.changes)
    planner.warnings.extend(left.warnings)
    readable = list(left.rest)
    pairs = _matches([d for d in desired if d.name not in taken | left.completed], readable)
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
    settings = effective_settings(target)
    plan = Plan(
        target=target.name,
        changes=changes,
        warnings=tuple(planner.warnings),
        checksum=_checksum(target.name, desired, forms, remote_forms, changes, settings),
        managed_remote=sum(
            1 for r in remote if planner.managed(r.name) and r.schedule_id not in left.parked_ids
        ),
        active_remote=len(remote),
        safety_max_delete_percent=target.safety.max_delete_percent,
        safety_max_update_percent=target.safety.max_update_percent,
        safety_min_existing=target.safety.min_existing,
        quota=target.quota,
        desired_count=len(desired),
        clock=Clock(now, target.site_zone, target.site_timezone),
        settings=settings,
    )
    return with_problems(plan)
