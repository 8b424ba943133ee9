"""The one exception tree of reconciler: every failure a user can cause or meet.

    ReconcilerError                  root: the CLI prints str(err) and exits 1
    ├── ConfigError                  reconciler.yaml is missing a piece or wrong
    ├── SourceError                  the schedule files cannot be read or are invalid
    ├── ApiError                     (reconciler.remote.engagelab.errors) the remote refused or failed
    ├── PlanRefused                  a safety guard or a conflict stops the plan
    ├── StalePlan                    a saved plan or checksum no longer matches the remote
    ├── LocalStateError              endpoint: local's state file is read-only, locked or broken
    └── CiError                      (reconciler.ci.errors) a CI step: GitHubError, EventError, …

Messages are one line, name the file and line, the schedule, or the API code,
and never carry a credential.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "LocalStateError",
    "PlanRefused",
    "ReconcilerError",
    "SourceError",
    "StalePlan",
]


class ReconcilerError(Exception):
    """Root of every error reconciler raises on purpose."""


class ConfigError(ReconcilerError):
    """reconciler.yaml or the environment it names is wrong."""


class SourceError(ReconcilerError):
    """The schedule files cannot be read, parsed or validated."""


class PlanRefused(ReconcilerError):
    """A guard (safety percentages, empty desired set, quota) or a conflict refuses the plan."""


class StalePlan(ReconcilerError):
    """The reviewed plan no longer matches what the remote and the files say now."""


class LocalStateError(ReconcilerError):
    """The embedded emulator's state file (`endpoint: local`) cannot be read or written."""
