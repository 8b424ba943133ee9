"""reconciler: declarative GitOps for EngageLab scheduled pushes.

Files in a git repo are the desired state; the v4 Schedules API is the remote;
`plan` shows what would change and `apply` makes it so.

The Python API is this module's names (see docs/python-api.md):

    load_config(path, cwd) -> Config        reconciler.yaml; .target(name) -> Target
    plan_target(target, now) -> Plan        what `reconciler plan` shows
    sync(target, now, options, hooks) -> SyncReport
                                            the one sync path: plan, reviewed-plan check,
                                            guards, confirm, apply, verify
    SyncOptions, SyncHooks, QuietHooks      how far a sync goes; what a front end sees
    each_target, TargetResult, JointApproval
                                            several targets at once, one confirmation
    ReconcilerError, ConfigError, SourceError, PlanRefused, StalePlan, LocalStateError
                                            the errors (refusals come before any change)

The package, one subpackage per stage of the data flow (layers import only
downwards; `.importlinter` says why each sits where it does):

    core/ -> documents/ -> policy/, remote/ -> config/ -> desired/ -> plan/
          -> apply/, views/, repo/ -> ci/ -> cli/        emulator/ stands alone

The sync path and its types load on first use: `reconciler validate` starts
without them. Old module paths (`reconciler.manager`, …) still work for one
release, with a DeprecationWarning (reconciler/_compat).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from reconciler import _compat
from reconciler._version import __version__
from reconciler.errors import (
    ConfigError,
    LocalStateError,
    PlanRefused,
    ReconcilerError,
    SourceError,
    StalePlan,
)

if TYPE_CHECKING:
    from reconciler.apply.manager import (
        JointApproval,
        QuietHooks,
        SyncHooks,
        SyncOptions,
        SyncReport,
        TargetResult,
        each_target,
        plan_target,
        sync,
    )
    from reconciler.config.load import load_config
    from reconciler.config.targets import Config, Target

_LAZY = {
    "load_config": "reconciler.config.load",
    "Config": "reconciler.config.targets",
    "Target": "reconciler.config.targets",
    **dict.fromkeys(
        (
            "JointApproval",
            "QuietHooks",
            "SyncHooks",
            "SyncOptions",
            "SyncReport",
            "TargetResult",
            "each_target",
            "plan_target",
            "sync",
        ),
        "reconciler.apply.manager",
    ),
}

__all__ = [
    "Config",
    "ConfigError",
    "JointApproval",
    "LocalStateError",
    "PlanRefused",
    "QuietHooks",
    "ReconcilerError",
    "SourceError",
    "StalePlan",
    "SyncHooks",
    "SyncOptions",
    "SyncReport",
    "Target",
    "TargetResult",
    "__version__",
    "each_target",
    "load_config",
    "plan_target",
    "sync",
]


def __getattr__(name: str) -> Any:
    home = _LAZY.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


_compat.install()
