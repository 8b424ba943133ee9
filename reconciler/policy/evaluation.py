"""Policy: the rules a valid set of schedules must also keep, and the findings when it does not.

The pushes users fear are valid and wrong: a campaign landing at 06:00 where
its audience lives, three campaigns to one audience on one day, two reminders
an hour apart, a payload without `time_to_live`. The rules (`policies:` in
reconciler.yaml, all optional) read the fire times of every enabled schedule
over `horizon_days`, in each of the `audience_zones` (policy_rules.py does the
counting); `require` reads the files. Each broken rule is one finding per
schedule, at its first offending local time, at the level the rule asks for
(error unless `level: warning`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Literal

from reconciler.core import pointer
from reconciler.core.diagnostics import Diagnostic, Severity
from reconciler.core.model import Intelligent, Periodical, Schedule, Trigger
from reconciler.core.timing import zone

if TYPE_CHECKING:
    from reconciler.config.load import Target
    from reconciler.documents.load import Document

DEFAULT_HORIZON_DAYS = 30
RULES = ("quiet_hours", "max_per_audience", "min_gap_minutes", "require")


@dataclass(frozen=True)
class QuietHours:
    """No push in [start, end) local time; end before start wraps midnight."""

    start: time
    end: time
    level: Severity = "error"

    @property
    def seconds(self) -> tuple[int, int]:
        """Start and end as seconds since midnight (start > end: the hours wrap midnight)."""
        return _seconds(self.start), _seconds(self.end)

    @property
    def label(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


@dataclass(frozen=True)
class MaxPerAudience:
    """At most `count` pushes to a common audience per local day, or week (Monday..Sunday)."""

    count: int
    per: Literal["day", "week"] = "day"
    level: Severity = "error"


@dataclass(frozen=True)
class MinGap:
    """At least `minutes` between two pushes reaching a common audience."""

    minutes: int
    level: Severity = "error"


@dataclass(frozen=True)
class Require:
    """JSON pointers every schedule must have (with a value other than null)."""

    paths: tuple[str, ...]
    level: Severity = "error"


@dataclass(frozen=True)
class Policies:
    """One target's `policies:`, merged and checked; the zones looked up once."""

    horizon_days: int = DEFAULT_HORIZON_DAYS
    audience_zones: tuple[str, ...] = ()
    quiet_hours: QuietHours | None = None
    max_per_audience: MaxPerAudience | None = None
    min_gap_minutes: MinGap | None = None
    require: Require | None = None
    zone_infos: tuple[tzinfo, ...] = field(default=(), compare=False, repr=False)

    @property
    def active(self) -> bool:
        return any(getattr(self, rule) is not None for rule in RULES)

    @property
    def timed(self) -> bool:
        """Whether any rule needs the fire times."""
        return any((self.quiet_hours, self.max_per_audience, self.min_gap_minutes))

    def zones(self, site_name: str, site: tzinfo) -> list[tuple[str, tzinfo]]:
        """(name, zone) of each audience zone; the site zone when none is listed."""
        if not self.audience_zones:
            return [(site_name, site)]
        return list(zip(self.audience_zones, self.zone_infos, strict=True))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Policies:
        """From a merged, schema-checked `policies:` mapping; ValueError saying what is missing."""
        names = tuple(dict.fromkeys(data.get("audience_zones") or ()))
        quiet = _rule(data, "quiet_hours", ("start", "end"))
        cap = _rule(data, "max_per_audience", ("count",))
        gap = _rule(data, "min_gap_minutes", ("minutes",))
        need = _rule(data, "require", ("paths",))
        if quiet is not None and quiet["start"] == quiet["end"]:
            raise ValueError("quiet_hours: start and end are equal; the interval would be empty")
        return cls(
            horizon_days=data.get("horizon_days", DEFAULT_HORIZON_DAYS),
            audience_zones=names,
            quiet_hours=None
            if quiet is None
            else QuietHours(
                time.fromisoformat(quiet["start"]), time.fromisoformat(quiet["end"]), _level(quiet)
            ),
            max_per_audience=None
            if cap is None
            else MaxPerAudience(cap["count"], cap.get("per", "day"), _level(cap)),
            min_gap_minutes=None if gap is None else MinGap(gap["minutes"], _level(gap)),
            require=None if need is None else Require(tuple(need["paths"]), _level(need)),
            zone_infos=tuple(zone(name) for name in names),
        )


def merge_policies(top: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    """A target's policies: its own over the top level's, key by key and inside each rule.

    A target that relaxes one rule to `level: warning` keeps its bounds; a rule
    set to null is off for that target.
    """
    out: dict[str, Any] = dict(top)
    for key, value in own.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def _rule(data: Mapping[str, Any], key: str, needed: tuple[str, ...]) -> Mapping[str, Any] | None:
    rule = data.get(key)
    if rule is None:
        return None
    missing = [k for k in needed if k not in rule]
    if missing:
        raise ValueError(f"{key} needs {' and '.join(missing)}")
    return rule  # type: ignore[no-any-return]


def _level(rule: Mapping[str, Any]) -> Severity:
    return "warning" if rule.get("level") == "warning" else "error"


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _hhmm(moment: time) -> str:
    return moment.strftime("%H:%M:%S" if moment.second else "%H:%M")


@dataclass(frozen=True)
class Violation:
    """One broken rule for one schedule: its first offending place, and every offending fire."""

    rule: str
    level: Severity
    schedule: Schedule
    pointer: str  # where in the schedule's document
    message: str
    # The wall times of the schedule's offending fires (what the calendar marks).
    walls: frozenset[datetime] = frozenset()

    def __str__(self) -> str:
        return f"policy {self.rule}: {self.message}"


def time_pointer(trigger: Trigger) -> str:
    """The pointer of the time a trigger fires at."""
    if isinstance(trigger, Intelligent):
        return "/trigger/intelligent/backup_time"
    return f"/trigger/{'periodical' if isinstance(trigger, Periodical) else 'single'}/time"


def _present(data: Any, path: str) -> bool:
    node = data
    for part in pointer.split(path):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return node is not None


def _documents(documents: Iterable[Document]) -> dict[tuple[str, int, int], Document]:
    return {(d.file, *d.position("")): d for d in documents}


def _required(
    schedules: Sequence[Schedule], rule: Require, docs: Mapping[tuple[str, int, int], Document]
) -> list[Violation]:
    found = []
    for schedule in schedules:
        src = schedule.source
        doc = docs.get((src.file, src.line, src.column)) if src else None
        # What the file says: the canonical form drops defaults (frequency 1) a rule may name.
        data = doc.data if doc is not None else schedule.body()
        for path in rule.paths:
            if not _present(data, path):
                message = f"{path} is missing; every schedule must have it"
                found.append(Violation("require", rule.level, schedule, path, message))
    return found


def evaluate(
    schedules: Sequence[Schedule],
    policies: Policies,
    site: tzinfo,
    site_name: str,
    now: datetime,
    documents: Iterable[Document] = (),
) -> list[Violation]:
    """Every broken rule, one per schedule and rule, over [now, now + horizon_days)."""
    found: list[Violation] = []
    if policies.require is not None:
        found += _required(schedules, policies.require, _documents(documents))
    if policies.timed:
        from reconciler.policy.engine import timed_violations

        end = now + timedelta(days=policies.horizon_days)
        found += timed_violations(schedules, policies, site, site_name, now, end)
    return found


def diagnostics(
    documents: Sequence[Document], schedules: Sequence[Schedule], target: Target, now: datetime
) -> tuple[Diagnostic, ...]:
    """The target's policy findings as diagnostics: `FILE:LINE:COL: LEVEL: policy RULE: …`."""
    policies = target.policies
    if not policies.active:
        return ()
    docs = _documents(documents)
    violations = evaluate(
        schedules, policies, target.site_zone, target.site_timezone, now, documents
    )
    found = []
    for v in violations:
        src = v.schedule.source
        doc = docs.get((src.file, src.line, src.column)) if src else None
        line, column = doc.position(v.pointer) if doc else (src.line, src.column) if src else (0, 0)
        file = src.file if src else "?"
        found.append(Diagnostic(file, line, column, v.level, str(v), v.schedule.name))
    return tuple(found)
