"""Old import paths, kept working for one release: each warns, then gives what it gave.

Until 0.2 the package was flat (`reconciler.manager`, `reconciler.plan`,
`reconciler.api`, …); its modules now live in one subpackage per stage. An old
module path is served by a finder that `reconciler/__init__.py` installs: it
makes a stand-in module whose names are looked up in their new homes, with a
`DeprecationWarning` that names the new home. Where a subpackage took an old
module's name (`reconciler.config`, `.plan`, `.policy`, `.apply`, `.cli`), the
package's `__getattr__` (made by `forward`) does the same for the old names.

Nothing imports a module of its own here (only by name, on first use): the
shims add no import edge between the stages. They go in the next release:
delete this package, the `install()` call and the `forward` lines.
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["MOVED", "RENAMED", "forward", "install", "new_home"]

_C, _D, _P, _R, _V = (
    "reconciler.core",
    "reconciler.desired",
    "reconciler.policy",
    "reconciler.remote",
    "reconciler.views",
)

#: Old module -> the modules its names live in now, searched in this order.
MOVED: dict[str, tuple[str, ...]] = {
    "reconciler.pointer": (f"{_C}.pointer",),
    "reconciler.diagnostics": (f"{_C}.diagnostics",),
    "reconciler.model": (f"{_C}.model",),
    "reconciler.timing": (f"{_C}.timing",),
    "reconciler.fires": (f"{_C}.fires",),
    "reconciler.audience": (f"{_C}.audience",),
    "reconciler.compose": ("reconciler.documents.compose",),
    "reconciler.load": ("reconciler.documents.load",),
    "reconciler.schema": ("reconciler.documents.schema",),
    "reconciler.config": ("reconciler.config.load", "reconciler.config.targets"),
    "reconciler.policy": (
        f"{_P}.settings",
        f"{_P}.evaluation",
        f"{_P}.violation",
        f"{_P}.rules.quiet_hours",
        f"{_P}.rules.max_per_audience",
        f"{_P}.rules.min_gap_minutes",
        f"{_P}.rules.require",
    ),
    "reconciler.policy_rules": (f"{_P}.engine",),
    "reconciler.validate": (f"{_D}.validate", f"{_D}.names", f"{_D}.read"),
    "reconciler.plan": (
        "reconciler.plan.changes",
        "reconciler.plan.planner",
        "reconciler.plan.diff",
    ),
    "reconciler.apply": ("reconciler.apply.executor",),
    "reconciler.manager": ("reconciler.apply.manager",),
    "reconciler.render": (f"{_V}.plan",),
    "reconciler.review": (f"{_V}.review",),
    "reconciler.history": (f"{_R}.history",),
    "reconciler.calendar": (
        f"{_V}.calendar.model",
        f"{_V}.calendar.text",
        f"{_V}.calendar.ics",
    ),
    "reconciler.calendar_html": (f"{_V}.calendar.html",),
    "reconciler.importer": ("reconciler.repo.importer", "reconciler.documents.load"),
    "reconciler.scaffold": ("reconciler.repo.scaffold",),
    "reconciler.build_info": ("reconciler.repo.build_info",),
    "reconciler.cli": ("reconciler.cli.group", "reconciler.cli.common"),
    "reconciler.ci.review": ("reconciler.ci.pull_request",),
    "reconciler.ci.cli": ("reconciler.cli.ci",),
    "reconciler.emulator.cli": ("reconciler.cli.emulator",),
    "reconciler.api": (f"{_R}.engagelab",),
}
#: The API client's modules moved whole: `reconciler.api.X` is `reconciler.remote.engagelab.X`.
for _name in ("_claim", "_client", "_create", "_http", "_json", "_listing", "_models", "_pool"):
    MOVED[f"reconciler.api.{_name}"] = (f"{_R}.engagelab.{_name}",)
for _name in ("_retry", "_target", "errors"):
    MOVED[f"reconciler.api.{_name}"] = (f"{_R}.engagelab.{_name}",)

#: Old module -> {old name: "new.module:attribute[.attribute]"}: what moved under another name.
RENAMED: dict[str, dict[str, str]] = {
    "reconciler.policy": {"diagnostics": f"{_D}.read:policy_diagnostics"},
    "reconciler.plan": {"RemoteLike": f"{_R}.protocol:RemoteSchedule"},
    "reconciler.apply": {"Client": f"{_R}.protocol:ScheduleProvider"},
    "reconciler.manager": {
        "open_client": f"{_R}.registry:open_provider",
        "LOCAL_BASE_URL": f"{_R}.local:LOCAL_BASE_URL",
    },
    "reconciler.history": {
        "RunLike": f"{_R}.protocol:Run",
        "HistoryClient": f"{_R}.protocol:ScheduleProvider",
        "MEANINGS": f"{_R}.engagelab.settings:SETTINGS.run_meanings",
        "meaning": f"{_R}.engagelab.settings:SETTINGS.run_meaning",
    },
    "reconciler.calendar": {
        "FORMATS": f"{_V}.calendar:FORMATS",
        "render": f"{_V}.calendar:FORMATS.render",
    },
    "reconciler.cli": {"render_plan": f"{_V}.plan:FORMATS.render"},
    "reconciler.api.errors": {"CODE_MEANINGS": f"{_R}.engagelab.settings:SETTINGS.code_meanings"},
}


def _attribute(spec: str) -> Any:
    module, _, path = spec.partition(":")
    return functools.reduce(getattr, path.split("."), importlib.import_module(module))


def new_home(old: str, name: str) -> tuple[Any, str]:
    """What `old.name` is now, and where it lives (AttributeError if it is not an old name)."""
    renamed = RENAMED.get(old, {}).get(name)
    if renamed is not None:
        return _attribute(renamed), renamed.replace(":", ".")
    for home in MOVED.get(old, ()):
        module = importlib.import_module(home)
        if name in vars(module) or name in getattr(module, "__all__", ()):
            return getattr(module, name), f"{home}.{name}"
    raise AttributeError(f"module {old!r} has no attribute {name!r}")


def forward(old: str) -> Callable[[str], Any]:
    """A module `__getattr__` that serves `old`'s names from their new homes, with a warning."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        value, where = new_home(old, name)
        warnings.warn(
            f"{old}.{name} moved to {where}; the old path works until the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return value

    return __getattr__


class _StandIn(importlib.abc.Loader):
    """Makes the stand-in module of an old path: empty but for its forwarding `__getattr__`."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = types.ModuleType(spec.name, f"Moved: see {', '.join(MOVED[spec.name])}.")
        module.__getattr__ = forward(spec.name)  # type: ignore[method-assign]
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


class _Finder(importlib.abc.MetaPathFinder):
    """Finds the old module paths that no file holds any more."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED or fullname in _PACKAGES:
            return None
        package = fullname == "reconciler.api"  # its old submodules are imported through it
        return importlib.util.spec_from_loader(fullname, _StandIn(), is_package=package)


#: Old module names that are packages now: their own `__getattr__` forwards.
_PACKAGES = frozenset(
    (
        "reconciler.config",
        "reconciler.policy",
        "reconciler.plan",
        "reconciler.apply",
        "reconciler.cli",
    )
)


def install() -> None:
    """Serve the old paths (once, ahead of the other finders)."""
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
