"""The EngageLab v4 Schedules API client: the reconciler's only door to the remote.

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
- ``errors``: the ApiError tree.
"""

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
