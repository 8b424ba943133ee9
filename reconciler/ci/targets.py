"""Target names in CI: they name GitHub environments, artifacts and markers.

Each target `T` runs in two environments: `T` (apply, behind reviewers) and
`T-plan` (plans and drift, no reviewers), and GitHub compares environment
names without case. So a name that ends in `-plan`, or differs from another
only in case, would run one target in another's environment: refused, as is
a name that is not letters, digits, `_`, `.` and `-`.
"""

from __future__ import annotations

from reconciler.ci.errors import CiError
from reconciler.ci.markers import TARGET_NAME
from reconciler.config.targets import Config

__all__ = ["PLAN_ENVIRONMENT", "check_target_names"]

#: The suffix of a target's plan environment: no target may be named like one.
PLAN_ENVIRONMENT = "-plan"


def check_target_names(config: Config) -> list[str]:
    """The target names, or a CiError when CI cannot use one (see the module docstring):
    a target `prod-plan` would apply in prod's plan environment, `Prod` beside `prod` in
    prod's own."""
    bad = [name for name in config.targets if not TARGET_NAME.fullmatch(name)]
    if bad:
        raise CiError(
            f"target name {bad[0]!r}: in CI, target names are letters, digits, _ . - "
            "(they name environments, artifacts and markers)"
        )
    seen: dict[str, str] = {}
    for name in config.targets:
        if name.lower().endswith(PLAN_ENVIRONMENT):
            raise CiError(
                f"target name {name!r} ends in {PLAN_ENVIRONMENT}: in CI that names the plan "
                f"environment of target {name[: -len(PLAN_ENVIRONMENT)]!r}, which holds its "
                "credentials without its reviewers; rename the target"
            )
        if name.lower() in seen:
            raise CiError(
                f"target names {seen[name.lower()]!r} and {name!r} differ only in case: they "
                "would share GitHub's environments; rename one"
            )
        seen[name.lower()] = name
    return list(config.targets)
