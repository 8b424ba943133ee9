"""Guards: the safety thresholds a plan must keep, each tripping with its numbers.

Plan and apply print the plan first, then refuse (unless `--force`): more
deletes or updates than the safety percentages of the managed remote schedules
(when at least `min_existing` exist), an empty desired set against a non-empty
remote, and a result above `quota` active schedules.
"""

from __future__ import annotations

from reconciler.plan.changes import Plan

__all__ = ["with_problems"]


def with_problems(plan: Plan) -> Plan:
    """The guards: each trips with the numbers that made it trip."""
    problems: list[str] = []
    deletes = plan.count("delete")
    # A completion is the create it finishes (its copy is already counted as active),
    # a withdrawal a copy that never fired: neither is an update or a delete.
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
    active_after = plan.active_remote - deletes - plan.count("withdraw") + plan.count("create")
    if active_after > plan.quota:
        problems.append(
            f"would leave {active_after} active schedules in the app, above the quota of {plan.quota}"
        )
    return Plan(**{**plan.__dict__, "problems": tuple(problems)})
