"""Policies: one target's `policies:`, merged and read through each rule's own parser.

Like `safety:`, `policies:` may be set at the top level and per target, merged
key by key, and inside each rule (`merge_policies`): a target that relaxes one
rule to `level: warning` keeps its bounds; a rule set to null is off for that
target. `Policies.from_json` then reads each rule that is on with its `parse`
(see reconciler/policy/rules/), and looks the audience zones up once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from reconciler.core.timing import zone
from reconciler.policy.rules import RULES

__all__ = ["DEFAULT_HORIZON_DAYS", "Policies", "merge_policies"]

DEFAULT_HORIZON_DAYS = 30


@dataclass(frozen=True)
class Policies:
    """One target's `policies:`, merged and checked; the zones looked up once.

    `rules` holds (name, settings) of each rule that is on, in the order of RULES;
    `policies.quiet_hours` (any rule's name) reads one rule's settings, None when off.
    """

    horizon_days: int = DEFAULT_HORIZON_DAYS
    audience_zones: tuple[str, ...] = ()
    rules: tuple[tuple[str, Any], ...] = ()
    zone_infos: tuple[tzinfo, ...] = field(default=(), compare=False, repr=False)

    def __getattr__(self, name: str) -> Any:
        # Only for names that are not attributes: a rule's settings by its name.
        if name in RULES:
            return dict(self.__dict__.get("rules", ())).get(name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def active(self) -> bool:
        return bool(self.rules)

    @property
    def timed(self) -> bool:
        """Whether any rule needs the fire times."""
        return any(RULES[name].timed for name, _ in self.rules)

    def zones(self, site_name: str, site: tzinfo) -> list[tuple[str, tzinfo]]:
        """(name, zone) of each audience zone; the site zone when none is listed."""
        if not self.audience_zones:
            return [(site_name, site)]
        return list(zip(self.audience_zones, self.zone_infos, strict=True))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Policies:
        """From a merged, schema-checked `policies:` mapping; ValueError saying what is wrong."""
        names = tuple(dict.fromkeys(data.get("audience_zones") or ()))
        on: dict[str, Mapping[str, Any]] = {}
        for rule in RULES.values():
            raw = data.get(rule.name)
            if raw is None:
                continue
            missing = [key for key in rule.needs if key not in raw]
            if missing:
                raise ValueError(f"{rule.name} needs {' and '.join(missing)}")
            on[rule.name] = raw
        return cls(
            horizon_days=data.get("horizon_days", DEFAULT_HORIZON_DAYS),
            audience_zones=names,
            rules=tuple((name, RULES[name].parse(raw)) for name, raw in on.items()),
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
