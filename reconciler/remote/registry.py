"""The providers a target may name (`provider:` in reconciler.yaml), and opening one.

How to add a provider (say `acme`):

1. Write `reconciler/remote/acme/`: a client that satisfies
   `reconciler.remote.protocol.ScheduleProvider` (errors as `ReconcilerError`s,
   a schedule that is not there as a subclass of `ScheduleMissing`), its
   settings, and a `provider.py` whose `PROVIDER` is a `Provider` (name,
   default credential variables, `connect(target, now, *, writable=True)`, and
   `locate(endpoint, region)`: the base URL the credentials go to, which an
   approval names).
   Import the client inside `connect`, so that `validate` never loads it.
2. Add `PROVIDER` to `PROVIDERS` below, and `"acme"` to the `provider` enum of a
   target in `schemas/config.schema.json` (reconciler.yaml is checked against it,
   so an unknown provider is refused naming the file and line).
3. Document it in docs/reference/configuration.md (and the schema's description).

Opening a real target first checks its connection against the approved one
(`RECONCILER_ENDPOINT`, see reconciler.remote.approval), before the provider
reads a credential.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from types import MappingProxyType

from reconciler.remote.approval import APPROVAL_ENV, check_approved
from reconciler.remote.engagelab.provider import PROVIDER as ENGAGELAB
from reconciler.remote.protocol import Provider, ScheduleProvider, TargetLike

__all__ = [
    "DEFAULT_PROVIDER",
    "PROVIDERS",
    "base_url_of",
    "check_connection",
    "locate",
    "open_provider",
    "provider_named",
]

#: Every provider by its name in reconciler.yaml.
PROVIDERS: Mapping[str, Provider] = MappingProxyType({p.name: p for p in (ENGAGELAB,)})
#: What a target without `provider:` uses.
DEFAULT_PROVIDER = ENGAGELAB.name


def provider_named(name: str) -> Provider:
    """The provider of that name (the config schema admits only known names)."""
    try:
        return PROVIDERS[name]
    except KeyError:
        known = ", ".join(PROVIDERS)
        raise ValueError(f"unknown provider {name!r} (known: {known})") from None


def locate(provider: str, endpoint: str | None, region: str | None) -> str:
    """The base URL a `provider` target with that `endpoint` or `region` sends its requests to."""
    return provider_named(provider).locate(endpoint, region)


def base_url_of(target: TargetLike) -> str:
    """Where `target`'s client connects: `local` for the embedded emulator, else the base URL."""
    return "local" if target.is_local else locate(target.provider, target.endpoint, target.region)


def check_connection(target: TargetLike, approved: str | None, *, required: bool = False) -> None:
    """UnapprovedConnection unless `target`'s connection is `approved` (see remote.approval)."""
    check_approved(target, approved, locate, DEFAULT_PROVIDER, required=required)


def open_provider(
    target: TargetLike, now: datetime, *, writable: bool = True
) -> AbstractAsyncContextManager[ScheduleProvider]:
    """`async with open_provider(target, now) as remote:` the app of `target`.

    `now` is the planner's clock: the embedded emulator (`endpoint: local`) runs on it.
    A caller that only reads passes `writable=False` (plan, import, history, drift):
    the embedded emulator then reads its state file as a snapshot and never writes it.
    A real target whose connection is not the approved one (when `RECONCILER_ENDPOINT`
    is set) is refused here, before any credential is read.
    """
    check_connection(target, os.environ.get(APPROVAL_ENV))
    return provider_named(target.provider).connect(target, now, writable=writable)
