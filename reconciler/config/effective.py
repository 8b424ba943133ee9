"""Effective settings: what decides where and how a target's plan applies, as one value.

A plan is reviewed as a whole: not only the schedules and the changes, but the
settings that make them (`Settings`). They are part of the plan (the saved
plan's `settings`) and of its checksum, so that a reviewed checksum cannot be
applied under other settings:

    connection  provider, base_url (endpoint or region resolved; `local`: the
                embedded emulator), app_key_env, master_secret_env, site_timezone
    scope       manage_prefix, prune, protect, ignore_fields
    guards      safety (max_delete_percent, max_update_percent, min_existing), quota
    policies    every rule that is on, as it was read, with horizon_days and audience_zones

What only bounds how the API is hit (concurrency, rate_limit, request_timeout,
max_file_bytes) changes no plan and is left out. `changes` compares two
targets' settings key by key (`connection.base_url`, `guards.safety.quota`, …):
the pull-request plan shows them as "Configuration changes".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from reconciler.config.targets import Target
from reconciler.errors import ConfigError
from reconciler.policy.settings import Policies
from reconciler.remote.registry import base_url_of

__all__ = ["GROUPS", "SettingChange", "Settings", "changes", "effective_settings"]

GROUPS = ("connection", "scope", "guards", "policies")


@dataclass(frozen=True)
class SettingChange:
    """One setting that differs: its dotted key, and its JSON value before and after (None:
    absent)."""

    key: str
    before: Any
    after: Any

    @property
    def connection(self) -> bool:
        """Whether it changes where, or as whom, the credentials go."""
        return self.key.startswith("connection.")

    def data(self) -> dict[str, Any]:
        return {"key": self.key, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class Settings:
    """A target's effective settings, as JSON grouped by `GROUPS` (see the module docstring)."""

    data: Mapping[str, Mapping[str, Any]]

    def json(self) -> dict[str, Any]:
        return {group: dict(self.data[group]) for group in GROUPS}

    def flat(self) -> dict[str, Any]:
        """Every leaf under its dotted key (`guards.safety.max_delete_percent`); lists are leaves."""
        out: dict[str, Any] = {}
        for group in GROUPS:
            _flatten(group, self.data[group], out)
        return out


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):  # an empty one has no leaf: a rule that is off is absent
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}", inner, out)
    else:
        out[prefix] = value


def _plain(value: Any) -> Any:
    """A rule's settings (frozen dataclasses of times, tuples, …) as JSON."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, time | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _policies(policies: Policies) -> dict[str, Any]:
    return {
        "horizon_days": policies.horizon_days,
        "audience_zones": list(policies.audience_zones),
        "rules": {name: _plain(settings) for name, settings in policies.rules},
    }


def _base_url(target: Target) -> str:
    try:
        return base_url_of(target)
    except ConfigError:
        # Not an address a client can open (it is refused when one is): shown as written.
        return str(target.endpoint or target.region)


def effective_settings(target: Target) -> Settings:
    """The settings of `target` that its plans depend on."""
    return Settings(
        {
            "connection": {
                "provider": target.provider,
                "base_url": _base_url(target),
                "app_key_env": target.app_key_env,
                "master_secret_env": target.master_secret_env,
                "site_timezone": target.site_timezone,
            },
            "scope": {
                "manage_prefix": target.manage_prefix,
                "prune": target.prune,
                "protect": list(target.protect),
                "ignore_fields": list(target.ignore_fields),
            },
            "guards": {
                "safety": {
                    "max_delete_percent": target.safety.max_delete_percent,
                    "max_update_percent": target.safety.max_update_percent,
                    "min_existing": target.safety.min_existing,
                },
                "quota": target.quota,
            },
            "policies": _policies(target.policies),
        }
    )


def changes(before: Settings, after: Settings) -> tuple[SettingChange, ...]:
    """Each key whose value differs, connection first, in the groups' order."""
    old, new = before.flat(), after.flat()
    keys = list(old) + [k for k in new if k not in old]
    return tuple(
        SettingChange(key, old.get(key), new.get(key))
        for key in keys
        if old.get(key) != new.get(key)
    )
