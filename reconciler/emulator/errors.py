"""The emulator's internal signals: an API refusal with its code, and a simulated connection cut."""

from __future__ import annotations

__all__ = [
    "AUTH_FAILED",
    "INTERNAL",
    "INVALID",
    "NOT_FOUND",
    "NO_TARGET",
    "PUSH_INVALID",
    "RATE_LIMITED",
    "RETRY_LATER",
    "STATUS",
    "TIME_INVALID",
    "ConnectionCut",
    "Refusal",
]

# The documented error codes and the HTTP status each travels with.
INVALID = 28100
AUTH_FAILED = 28101
PUSH_INVALID = 28102
TIME_INVALID = 28103
NOT_FOUND = 28104
NO_TARGET = 28105
INTERNAL = 28200
RETRY_LATER = 28203
# JPush's rate-limit code; EngageLab documents none of its own.
RATE_LIMITED = 2001

STATUS: dict[int, int] = {
    INVALID: 400,
    AUTH_FAILED: 401,
    PUSH_INVALID: 400,
    TIME_INVALID: 400,
    NOT_FOUND: 404,
    NO_TARGET: 404,
    INTERNAL: 500,
    RETRY_LATER: 503,
    RATE_LIMITED: 429,
}


class Refusal(Exception):
    """The API answers with `{"error": {"code": code, "message": message}}` and code's status."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return STATUS[self.code]

    def payload(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": self.message}}


class ConnectionCut(Exception):
    """Raised after a partial response so that the server (or EmulatorTransport) cuts the line.

    Over uvicorn, an exception after the response has started makes it close the socket
    mid-body; in-process, EmulatorTransport turns it into an httpx transport error.
    """
