"""Approval: a real target's credentials go only to the connection its owners approved.

reconciler.yaml says where a target's app is (`provider:`, `endpoint:` or
`region:`), and anyone who can merge a pull request can change it. The people
who own the credentials approve a connection outside the repository: in CI, the
variable `RECONCILER_ENDPOINT` of the GitHub environments that hold the
secrets (`T` and `T-plan`; only admins set it), which the workflows hand to
every step that holds a credential. Its value is a base URL or a region name,
as reconciler.yaml would write it, optionally after the provider's name
(`engagelab https://pushapi-sgp.engagelab.com`; without one, the default
provider).

`check_approved` compares the target's provider and resolved base URL with
it before a client is opened, so before any request carries a credential, and
refuses with `UnapprovedConnection`: one line naming the key, both values and
how an admin approves the change. `open_provider` calls it for every real
target whenever the variable is set (set but empty counts as set: a workflow
passes it and no one approved anything); the `reconciler ci` steps call it
with `required=True`, so that in CI a missing approval refuses too. The
embedded emulator (`endpoint: local`) holds no credential and needs none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reconciler.errors import ConfigError
from reconciler.remote.protocol import TargetLike

__all__ = ["APPROVAL_ENV", "Connection", "UnapprovedConnection", "check_approved", "parse"]

#: The variable that holds a real target's approved connection.
APPROVAL_ENV = "RECONCILER_ENDPOINT"

#: (provider name, endpoint, region) -> the base URL; raises ValueError-like ConfigErrors.
Locate = Callable[[str, str | None, str | None], str]


class UnapprovedConnection(ConfigError):
    """reconciler.yaml sends a target's credentials somewhere its owners did not approve."""


@dataclass(frozen=True)
class Connection:
    """Where a client sends a target's credentials: the provider and the resolved base URL."""

    provider: str
    base_url: str

    def shown(self, default_provider: str) -> str:
        """As the variable would hold it (the provider named only when it is not the default)."""
        if self.provider == default_provider:
            return self.base_url
        return f"{self.provider} {self.base_url}"


def parse(value: str, default_provider: str, locate: Locate) -> Connection:
    """The connection an approval names: `[PROVIDER ]URL-or-REGION` (ConfigError if unreadable)."""
    words = value.split()
    if len(words) not in (1, 2):
        raise UnapprovedConnection(
            f"{APPROVAL_ENV} is {value.strip()!r}: expected a base URL or a region, "
            "optionally after the provider's name"
        )
    provider = words[0] if len(words) == 2 else default_provider
    where = words[-1]
    is_url = "://" in where
    try:
        url = locate(provider, where if is_url else None, None if is_url else where)
    except (ConfigError, ValueError) as err:
        raise UnapprovedConnection(f"{APPROVAL_ENV} {value.strip()!r}: {err}") from None
    return Connection(provider, url)


def _key(target: TargetLike) -> str:
    """The reconciler.yaml key that placed the target."""
    return "endpoint" if target.endpoint else "region"


def check_approved(
    target: TargetLike,
    approved: str | None,
    locate: Locate,
    default_provider: str,
    *,
    required: bool = False,
) -> None:
    """Refuse (UnapprovedConnection) unless `target`'s connection is the approved one.

    `approved` is the variable's value (None: unset). Unset is refused only when
    `required`; set, empty or not, it must name the target's connection.
    """
    if target.is_local or (approved is None and not required):
        return
    own = Connection(target.provider, locate(target.provider, target.endpoint, target.region))
    shown = own.shown(default_provider)
    how = (
        f"an admin approves it by setting {APPROVAL_ENV} to {shown} where the credentials "
        f"are kept (GitHub: Settings → Environments → {target.name} and {target.name}-plan → "
        "Environment variables)"
    )
    if approved is None or not approved.strip():
        state = "is not set" if approved is None else "is empty"
        raise UnapprovedConnection(
            f"target {target.name}: no approved connection ({APPROVAL_ENV} {state}); nothing "
            f"was sent. reconciler.yaml sends its credentials to {shown}; {how}"
        )
    allowed = parse(approved, default_provider, locate)
    if allowed != own:
        key = "provider" if allowed.provider != own.provider else _key(target)
        raise UnapprovedConnection(
            f"target {target.name}: reconciler.yaml's {key} sends the credentials to {shown}, "
            f"but the approved connection ({APPROVAL_ENV}) is "
            f"{allowed.shown(default_provider)}; nothing was sent. If the change is "
            f"intended, {how}"
        )
