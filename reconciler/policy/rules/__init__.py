"""The policy rules, one module each; this package finds them and keeps them in order.

How to add a rule (say `max_per_week_total`):

1. Write `reconciler/policy/rules/max_per_week_total.py`: a frozen settings
   dataclass with a `level`, and a class with `name`, `needs`, `timed`,
   `parse(raw)` and `check(settings, context)` (see `reconciler.policy.rule.Rule`;
   timed rules read `context.engine` and end with `engine.violations`). End the
   module with `RULE = TheRule()`.
2. Add its settings' schema fragment under `$defs/policies/properties` in
   `schemas/config.schema.json`: `reconciler.yaml` accepts only what the schema
   names, and the rules run (and their findings show) in the order of their
   fragments there.
3. Document it in docs/concepts/policies.md (and the schema's description), and test it in
   `tests/test_policy_rules_<name>.py`.

Nothing else changes: `Policies` reads each rule's settings through its `parse`,
`evaluate` runs every rule that is on, and `validate`, `plan` and `calendar`
show what they find. `tests/test_policy.py` checks that every rule has its
schema fragment and every fragment its rule.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any

from reconciler.documents.schema import load_schema
from reconciler.policy.rule import Rule

__all__ = ["RULES", "schema_names"]


def schema_names() -> list[str]:
    """The keys under `policies:` in config.schema.json, in order."""
    policies: dict[str, Any] = load_schema("config.schema.json")["$defs"]["policies"]
    return list(policies["properties"])


def _discover() -> dict[str, Rule[Any]]:
    found: dict[str, Rule[Any]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        rule: Rule[Any] = module.RULE
        found[rule.name] = rule
    order = schema_names()
    ranked = sorted(found, key=lambda name: order.index(name) if name in order else len(order))
    return {name: found[name] for name in ranked}


#: Every rule by its key under `policies:`, in the order of config.schema.json.
RULES: Mapping[str, Rule[Any]] = _discover()
