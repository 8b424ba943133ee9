"""Evaluate: every rule that is on, over the fire times of [now, now + horizon_days).

The pushes users fear are valid and wrong: a campaign landing at 06:00 where
its audience lives, three campaigns to one audience on one day, two reminders
an hour apart, a payload without `time_to_live`. The rules (`policies:` in
reconciler.yaml, all optional, one module each in reconciler/policy/rules/)
read the fire times of every enabled schedule over `horizon_days`, in each of
the `audience_zones`, or the files themselves. Each broken rule is one finding
per schedule, at its first offending local time, at the level the rule asks
for (error unless `level: warning`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from reconciler.core.model import Schedule
from reconciler.policy.rule import Context
from reconciler.policy.rules import RULES
from reconciler.policy.violation import Violation

if TYPE_CHECKING:
    from reconciler.documents.load import Document
    from reconciler.policy.settings import Policies

__all__ = ["evaluate"]


def evaluate(
    schedules: Sequence[Schedule],
    policies: Policies,
    site: tzinfo,
    site_name: str,
    now: datetime,
    documents: Iterable[Document] = (),
) -> list[Violation]:
    """Every broken rule, one per schedule and rule, over [now, now + horizon_days)."""
    end = now + timedelta(days=policies.horizon_days)
    zones = policies.zones(site_name, site)
    context = Context(schedules, site, site_name, zones, now, end, documents)
    found: list[Violation] = []
    for name, settings in policies.rules:
        found += RULES[name].check(settings, context)
    return found
