"""The API client's exceptions: every way talking to EngageLab can fail, as one tree.

    ReconcilerError                    (reconciler.errors) the root the CLI catches
    └── ApiError                       status, code, server_message, explanation, method, path
        ├── TargetConfigError          (also a ConfigError) bad endpoint/region
        │   └── MissingCredentials     a credential variable is unset or empty
        ├── AuthenticationFailed       401 / 28101: key and master secret do not match
        ├── InvalidRequest             400 / 28100, 28102, 28103, 28400: the server refused the body
        ├── ScheduleNotFound           404 / 28104, 28404: no such (unexpired) schedule
        │                              (also the seam's ScheduleMissing, which apply catches)
        ├── NoPushTarget               404 / 28105: nobody to push to at that time
        ├── RateLimited                429 / 2001: still refused after the retries
        ├── ServerError                500 / 28200: still failing after the retries
        ├── ServiceUnavailable         503 / 28203: still timing out after the retries
        ├── ConnectionFailed           network error or timeout, after the retries
        ├── MalformedResponse          an answer we cannot read (not JSON, wrong shape)
        ├── ListingUnstable            the app kept changing while it was being listed
        └── CreateAmbiguous            a create's outcome is unknown or conflicting: re-plan
            └── CreateContended        another writer created the name at the same moment

httpx's exceptions never leave the client: each is translated into one of these
and raised outside the ``except`` block that caught it, so neither ``__cause__`` nor
``__context__`` leads back to an httpx request (whose headers carry the credentials).
``str(err)`` is one line: ``PUT /v4/schedules/<id>: HTTP 400, 28103 invalid push
time: ... (the server's message: ...)``.
"""

from __future__ import annotations

from typing import Any, Self

from reconciler.errors import ConfigError, ReconcilerError
from reconciler.remote.protocol import ScheduleMissing

__all__ = [
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
]


class ApiError(ReconcilerError):
    """The remote refused, failed, or could not be reached.

    ``status`` is the HTTP status (None when no answer came), ``code`` the 28xxx code
    of the body (None when absent), ``server_message`` the body's message verbatim,
    ``explanation`` our words for the user, ``method``/``path`` the request.
    """

    def __init__(
        self,
        explanation: str,
        *,
        status: int | None = None,
        code: int | None = None,
        server_message: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.server_message = server_message
        self.explanation = explanation
        self.method = method
        self.path = path
        super().__init__(self._render())

    def _render(self) -> str:
        parts: list[str] = []
        if self.method and self.path:
            parts.append(f"{self.method} {self.path}: ")
        head: list[str] = []
        if self.status is not None:
            head.append(f"HTTP {self.status}")
        if self.code is not None:
            head.append(str(self.code))
        if head:
            parts.append(", ".join(head) + " ")
        parts.append(self.explanation)
        if self.server_message:
            parts.append(f" (the server's message: {self.server_message})")
        # One line, whatever the server sent.
        return " ".join("".join(parts).split())

    def __str__(self) -> str:
        return self._render()

    def with_explanation(self, explanation: str) -> Self:
        """A copy of this error with another explanation (e.g. counting the retries)."""
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.explanation = explanation
        Exception.__init__(clone, clone._render())
        return clone

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._render()!r})"


class TargetConfigError(ApiError, ConfigError):
    """The target's endpoint, region or credentials cannot be used."""


class MissingCredentials(TargetConfigError):
    """A credential environment variable is unset or empty (its name is given, never a value)."""


class AuthenticationFailed(ApiError):
    """401 / 28101: the app key and master secret do not match."""


class InvalidRequest(ApiError):
    """400 / 28100, 28102, 28103: the server refused what we sent."""


class ScheduleNotFound(ApiError, ScheduleMissing):
    """404 / 28104: the schedule is gone, expired, or never existed."""


class NoPushTarget(ApiError):
    """404 / 28105: the push has no audience at the scheduled time."""


class RateLimited(ApiError):
    """429: refused for the request rate, still so after the retries."""

    def __init__(
        self, explanation: str, *, retry_after: float | None = None, **details: Any
    ) -> None:
        self.retry_after = retry_after
        super().__init__(explanation, **details)


class ServerError(ApiError):
    """500 / 28200 (or another 5xx): the server failed, still so after the retries."""


class ServiceUnavailable(ApiError):
    """503 / 28203: the schedule service timed out, still so after the retries."""


class ConnectionFailed(ApiError):
    """No answer: connection refused or cut, a protocol error, or a timeout.

    ``request_sent`` is False when the request certainly never reached the server
    (the connection could not be made), which makes even a POST safe to send again.
    """

    request_sent: bool = True


class MalformedResponse(ApiError):
    """The server answered something that is not the documented shape."""


class ListingUnstable(ApiError):
    """The app changed under every attempt to list it; try again when it is quiet."""


class CreateAmbiguous(ApiError):
    """A POST may or may not have created the schedule, and looking it up did not settle it."""


class CreateContended(CreateAmbiguous):
    """Another writer created the same name at the same moment and settled it first (see
    ``_claim``): our parked copy was withdrawn before it could fire."""
