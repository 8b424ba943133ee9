"""Where to talk to and as whom: base URLs by region, credentials from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from reconciler.remote.engagelab.errors import MissingCredentials, TargetConfigError
from reconciler.remote.engagelab.settings import SETTINGS

#: EngageLab data centres and their base URLs (the settings', by the name callers know).
REGIONS: Mapping[str, str] = SETTINGS.regions


def base_url_for(*, endpoint: str | None, region: str | None) -> str:
    """The API base URL of a target: ``endpoint`` wins over ``region``.

    ``endpoint: local`` (the embedded emulator) is the caller's business, not ours.
    """
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TargetConfigError(
                f"endpoint {endpoint!r} is not an http(s) URL (e.g. {SETTINGS.regions['sgp']})"
            )
        if parts.username or parts.password:
            # Credentials only ever come from the environment, never from a URL in a file.
            raise TargetConfigError("endpoint must not carry credentials; use the environment")
        return endpoint.rstrip("/")
    if region:
        try:
            return REGIONS[region.lower()]
        except KeyError:
            known = ", ".join(REGIONS)
            raise TargetConfigError(f"unknown region {region!r}; known: {known}") from None
    raise TargetConfigError("the target names neither an endpoint nor a region")


def credentials_from_env(app_key_env: str, master_secret_env: str) -> tuple[str, str]:
    """Read (app_key, master_secret) from the named variables; errors name the variable only.

    An unset variable and one set to nothing (or only whitespace: a CI secret that was
    never filled in) are told apart, since they are fixed in different places.
    """
    unset = [name for name in (app_key_env, master_secret_env) if name not in os.environ]
    empty = [
        name
        for name in (app_key_env, master_secret_env)
        if name in os.environ and not os.environ[name].strip()
    ]
    if unset or empty:
        said = [_said(unset, "not set"), _said(empty, "set but empty")]
        raise MissingCredentials(
            " and ".join(part for part in said if part) + ": export the app's credentials first"
        )
    return os.environ[app_key_env], os.environ[master_secret_env]


def _said(names: list[str], state: str) -> str:
    if not names:
        return ""
    return f"{' and '.join(names)} {'are' if len(names) > 1 else 'is'} {state}"
