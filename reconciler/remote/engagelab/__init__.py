"""The EngageLab v4 Schedules API client: the EngageLab provider's door to the remote.

Modules, one job each:

- ``_client``: ScheduleClient, the public face; wires the pieces below together.
- ``_http``: one attempt of one request (concurrency, rate limit, timing log, errors).
- ``_retry``: RetryPolicy and the retry loop for idempotent requests (tenacity).
- ``_listing``: reading a whole app consistently (pages, details, relisting).
- ``_create``: the safe POST (look up before re-sending after an ambiguous failure).
- ``_claim``: one schedule per name among concurrent writers (park, settle, promote).
- ``_json``: JSON answers parsed with their nesting bounded.
- ``_models``: RemoteSchedule and Run, and parsing the API's JSON into them.
- ``_target``: base URLs by region, credentials from the environment.
- ``settings``: the EngageLab specifics (regions, paths, page size, codes, credential names).
- ``provider``: the provider a target names (`provider: engagelab`), opening the client.
- ``errors``: the ApiError tree.

The names below load on first use: reading the settings (as config does) must
not import httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.remote.engagelab._client import ScheduleClient
    from reconciler.remote.engagelab._models import RemoteSchedule, Run
    from reconciler.remote.engagelab._retry import RetryPolicy
    from reconciler.remote.engagelab._target import REGIONS, base_url_for, credentials_from_env
    from reconciler.remote.engagelab.errors import (
        ApiError,
        AuthenticationFailed,
        ConnectionFailed,
        CreateAmbiguous,
        CreateContended,
        InvalidRequest,
        ListingUnstable,
        MalformedResponse,
        MissingCredentials,
        NoPushTarget,
        RateLimited,
        ScheduleNotFound,
        ServerError,
        ServiceUnavailable,
        TargetConfigError,
    )

_HOMES = {
    "ScheduleClient": "_client",
    "RemoteSchedule": "_models",
    "Run": "_models",
    "RetryPolicy": "_retry",
    "REGIONS": "_target",
    "base_url_for": "_target",
    "credentials_from_env": "_target",
    **dict.fromkeys(
        (
            "ApiError",
            "AuthenticationFailed",
            "ConnectionFailed",
            "CreateAmbiguous",
            "CreateContended",
            "InvalidRequest",
            "ListingUnstable",
            "MalformedResponse",
            "MissingCredentials",
            "NoPushTarget",
            "RateLimited",
            "ScheduleNotFound",
            "ServerError",
            "ServiceUnavailable",
            "TargetConfigError",
        ),
        "errors",
    ),
}

__all__ = [
    "REGIONS",
    "ApiError",
    "AuthenticationFailed",
    "ConnectionFailed",
    "CreateAmbiguous",
    "CreateContended",
    "InvalidRequest",
    "ListingUnstable",
    "MalformedResponse",
    "MissingCredentials",
    "NoPushTarget",
    "RateLimited",
    "RemoteSchedule",
    "RetryPolicy",
    "Run",
    "ScheduleClient",
    "ScheduleNotFound",
    "ServerError",
    "ServiceUnavailable",
    "TargetConfigError",
    "base_url_for",
    "credentials_from_env",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
