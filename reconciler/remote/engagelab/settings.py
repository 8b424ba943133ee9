"""The EngageLab specifics: where its apps live, its paths, credential names, codes, page size.

Everything the provider knows of EngageLab that is not code, in one value
(`SETTINGS`): the data centres and their base URLs (from the official SDKs;
sgp is the SDKs' default), the v4 Schedules API's path, the page size of its
listing, the default environment variables of a target's credentials, and our
reading of the error codes an answer (28xxx) or a run (the push API's) carries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["SETTINGS", "EngageLabSettings"]

_REGIONS = ("sgp", "hk", "usva", "defra", "jpn", "bra")

# Our reading of each documented code; the server's own message is kept beside it.
_CODE_MEANINGS = {
    2001: "rate limit exceeded",
    28100: "invalid parameter: the schedule is malformed, expired, or its body is not JSON",
    28101: "authentication failed",
    28102: "invalid push parameter: the push object is missing or not a valid push",
    28103: (
        "invalid push time: single time or trigger time format err "
        '(expect "yyyy-MM-dd HH:mm:ss" / "HH:mm:ss", in the future, within a year)'
    ),
    28104: "the schedule does not exist (already sent, expired, or a wrong id)",
    28105: "no push target for the set time: check the trigger time and the audience",
    28200: "internal server error",
    28203: "the schedule service timed out",
    28400: "invalid request",
    28404: "the schedule does not exist",
}

# Push error codes a run can carry (EngageLab/JPush push API); 0 is success.
_RUN_MEANINGS = {
    0: "sent",
    1003: "invalid parameter in the push",
    1004: "the push is too large",
    1008: "invalid app key",
    1011: "cannot find sending target: no device matched the audience",
    1020: "only HTTPS is allowed",
    1030: "internal service timeout",
    2002: "rate limit exceeded",
    2003: "the app is not allowed to push",
}


@dataclass(frozen=True)
class EngageLabSettings:
    """The settings of the EngageLab provider (one instance: `SETTINGS`)."""

    #: Data centre -> base URL of its API.
    regions: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType(
            {region: f"https://pushapi-{region}.engagelab.com" for region in _REGIONS}
        )
    )
    #: The v4 Schedules API: POST and GET (pages) here, one schedule at PATH/<id>.
    schedules_path: str = "/v4/schedules"
    #: Schedules per page of the listing (the API's documented, fixed size).
    page_size: int = 50
    #: Where a target's credentials come from when reconciler.yaml does not say.
    app_key_env: str = "ENGAGELAB_APP_KEY"
    master_secret_env: str = "ENGAGELAB_MASTER_SECRET"  # noqa: S105 - a variable's name
    #: Our reading of the codes an answer carries (2001, 28xxx).
    code_meanings: Mapping[int, str] = field(
        default_factory=lambda: MappingProxyType(_CODE_MEANINGS)
    )
    #: Our reading of the push error codes a run carries.
    run_meanings: Mapping[int, str] = field(default_factory=lambda: MappingProxyType(_RUN_MEANINGS))

    def detail_path(self, quoted_id: str) -> str:
        """The path of one schedule, its id already quoted for a URL."""
        return f"{self.schedules_path}/{quoted_id}"

    def run_meaning(self, code: int, message: str) -> str:
        """What a run's error code means: our words, else the server's, else the number."""
        known = self.run_meanings.get(code)
        if known:
            return known
        return message or f"error {code}"


SETTINGS = EngageLabSettings()
