"""The EngageLab provider: a target's app opened as a `ScheduleClient`.

`endpoint: local` is the embedded EngageLab emulator (reconciler.remote.local);
`endpoint: <URL>` or `region:` a real service, the credentials read from the
environment variables the target names (by default SETTINGS'). The client is
imported only when a command opens a target: `validate` starts without httpx.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from reconciler.remote.engagelab.settings import SETTINGS
from reconciler.remote.protocol import Provider, TargetLike

if TYPE_CHECKING:
    from reconciler.remote.engagelab._client import ScheduleClient

__all__ = ["PROVIDER", "connect", "locate"]


@asynccontextmanager
async def connect(
    target: TargetLike, now: datetime, *, writable: bool = True
) -> AsyncIterator[ScheduleClient]:
    """The API client of `target`; for `endpoint: local`, the emulator in-process (on a
    snapshot of its state file unless `writable`: see reconciler.remote.local)."""
    from reconciler.remote.engagelab._client import ScheduleClient
    from reconciler.remote.engagelab._target import base_url_for, credentials_from_env

    options: dict[str, Any] = {"concurrency": target.concurrency, "rate_limit": target.rate_limit}
    # A hung endpoint fails within the retries' deadline; creates are parked and claimed.
    options.update(timeout=target.request_timeout, park_creates_from=now)
    if target.is_local:
        # Imported here: a real target never loads the emulator.
        from reconciler.remote.local import embedded

        local = embedded(target, now, writable=writable)
        client = ScheduleClient(
            base_url=local.base_url,
            app_key=local.app_key,
            master_secret=local.master_secret,
            transport=local.transport,
            **options,
        )
    else:
        app_key, master_secret = credentials_from_env(target.app_key_env, target.master_secret_env)
        client = ScheduleClient(
            base_url=base_url_for(endpoint=target.endpoint, region=target.region),
            app_key=app_key,
            master_secret=master_secret,
            credential_names=(target.app_key_env, target.master_secret_env),
            **options,
        )
    async with client:
        yield client


def locate(endpoint: str | None, region: str | None) -> str:
    """The base URL of an EngageLab app: `endpoint` (checked) or `region`'s."""
    from reconciler.remote.engagelab._target import base_url_for

    return base_url_for(endpoint=endpoint, region=region)


PROVIDER = Provider("engagelab", SETTINGS.app_key_env, SETTINGS.master_secret_env, connect, locate)
