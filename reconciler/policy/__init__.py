"""Policy: rules a valid set of schedules must also keep (quiet hours, caps, gaps, required
fields), checked over the fire times in each audience zone.

    settings.py    Policies: one target's `policies:`, read through each rule's parser
    evaluation.py  evaluate: run every rule that is on, over a window of fire times
    rule.py        the Rule protocol and the Context a rule is checked in
    rules/         one module per rule (its package docstring says how to add one)
    engine.py      the fires landed in every audience zone, shared by the timed rules
    violation.py   Violation: one broken rule for one schedule

The policy stage sits below config: a rule is a function of schedules, zones and
its own settings, and config reads `policies:` through the rules' parsers.
"""

__all__: list[str] = []

from reconciler._compat import forward

# The names of the old flat module of this name, for one release (with a DeprecationWarning).
__getattr__ = forward(__name__)
