"""CI errors: one line each, never a token, never an httpx exception (see the package docstring)."""

from __future__ import annotations

from reconciler.errors import ReconcilerError

__all__ = ["CiError", "EventError", "GitHubError", "TooLargeError", "UntrustedPlanComment"]


class CiError(ReconcilerError):
    """A CI step cannot go on."""


class GitHubError(CiError):
    """The GitHub API refused a request, answered nonsense, or could not be reached."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TooLargeError(GitHubError):
    """An answer longer than the bound set for it: refused, and not read any further."""


class UntrustedPlanComment(CiError):
    """The plan comment on a merged pull request cannot be traced to the plan run that posted it."""


class EventError(CiError):
    """The Actions environment (a variable, the event payload) is missing or not as expected."""
