"""Targets: what reconciler.yaml says of each app, every override applied (`Target`, `Config`).

A target is one app of one provider (`provider:`, by default engagelab): where
it is (`endpoint:` or `region:`), where its credentials come from (environment
variables; by default the provider's), and every setting a target may override
(`OVERRIDABLE` in load.py). The credentials' variable names are resolved here,
from the provider's defaults, so that what a target shows (`reconciler targets`)
is what it uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from functools import cached_property
from pathlib import Path

from reconciler.core.timing import zone
from reconciler.errors import ConfigError
from reconciler.limits import MAX_FILE_BYTES, REQUEST_TIMEOUT
from reconciler.policy.settings import Policies
from reconciler.remote.registry import DEFAULT_PROVIDER, provider_named

__all__ = ["Config", "Safety", "Target"]


@dataclass(frozen=True)
class Safety:
    max_delete_percent: float = 30
    max_update_percent: float = 50
    min_existing: int = 10


@dataclass(frozen=True)
class Target:
    """Everything one target needs, overrides applied."""

    name: str
    root: Path
    endpoint: str | None = "local"
    region: str | None = None
    provider: str = DEFAULT_PROVIDER
    # "" until __post_init__: then the provider's default variable, unless reconciler.yaml names one.
    app_key_env: str = ""
    master_secret_env: str = ""
    site_timezone: str = "UTC"
    schedules: str = "schedules.d/**/*.yaml"
    prune: bool = True
    manage_prefix: str = ""
    protect: tuple[str, ...] = ()
    ignore_fields: tuple[str, ...] = ()
    safety: Safety = field(default_factory=Safety)
    quota: int = 1000
    concurrency: int = 32
    rate_limit: float = 400
    policies: Policies = field(default_factory=Policies)
    request_timeout: float = REQUEST_TIMEOUT
    max_file_bytes: int = MAX_FILE_BYTES

    def __post_init__(self) -> None:
        provider = provider_named(self.provider)
        if not self.app_key_env:
            object.__setattr__(self, "app_key_env", provider.app_key_env)
        if not self.master_secret_env:
            object.__setattr__(self, "master_secret_env", provider.master_secret_env)

    @cached_property
    def site_zone(self) -> tzinfo:
        """The zone of `site_timezone`, looked up once (ValueError if unknown)."""
        return zone(self.site_timezone)

    @property
    def is_local(self) -> bool:
        return self.endpoint == "local"

    @property
    def state_file(self) -> Path:
        """Where the embedded emulator of `endpoint: local` keeps its state."""
        return self.root / ".reconciler" / f"{self.name}.db"


@dataclass(frozen=True)
class Config:
    path: Path | None
    root: Path
    default_target: str
    targets: Mapping[str, Target]

    def target(self, name: str | None = None) -> Target:
        chosen = name or self.default_target
        if chosen not in self.targets:
            known = ", ".join(sorted(self.targets))
            where = self.path.name if self.path else "the defaults"
            raise ConfigError(f"unknown target {chosen!r} in {where} (known: {known})")
        return self.targets[chosen]
