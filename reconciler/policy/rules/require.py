"""require: JSON pointers every schedule must have, with a value other than null.

    policies:
      require: {paths: ["/push/body/options/time_to_live"]}

Read from what the file says: the canonical form drops defaults (frequency 1)
that a rule may name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.core import pointer
from reconciler.core.diagnostics import Severity
from reconciler.policy.rule import Context, Rule, level_of
from reconciler.policy.violation import Violation

__all__ = ["RULE", "Require"]


@dataclass(frozen=True)
class Require:
    """JSON pointers every schedule must have (with a value other than null)."""

    paths: tuple[str, ...]
    level: Severity = "error"


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


class RequireRule:
    name = "require"
    needs = ("paths",)
    timed = False

    def parse(self, raw: Mapping[str, Any]) -> Require:
        return Require(tuple(raw["paths"]), level_of(raw))

    def check(self, settings: Require, context: Context) -> list[Violation]:
        docs = context.documents_by_place
        found = []
        for schedule in context.schedules:
            src = schedule.source
            doc = docs.get((src.file, src.line, src.column)) if src else None
            # What the file says: the canonical form drops defaults (frequency 1) a rule may name.
            data = doc.data if doc is not None else schedule.body()
            for path in settings.paths:
                if not _present(data, path):
                    message = f"{path} is missing; every schedule must have it"
                    found.append(Violation(self.name, settings.level, schedule, path, message))
        return found


RULE: Rule[Require] = RequireRule()
