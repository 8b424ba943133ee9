"""Faults: parse fault specs, decide from a seeded random stream what each request suffers, and
keep the per-app rate limit.

Specs (the same on the command line and in `PUT /_emulator/faults`):
    latency=MS[,jitter=MS]    add MS (± up to jitter MS) before each answer
    error=500:RATE            answer 500 {"error":{"code":28200,...}} at RATE (0..1)
    error=503:RATE            answer 503 {"error":{"code":28203,...}}
    error=429:RATE            answer 429 {"error":{"code":2001,...}} with Retry-After
    drop-after-commit=RATE    make the change, then cut the connection mid-answer

and, for the runs the clock records rather than for requests (counted, not random):
    run-error=SCHEDULE:CODE[:N]   the next N runs (default 1) of SCHEDULE (a name or a
                                  schedule id) are recorded failed with push error CODE
    run-drop=SCHEDULE[:N]         the next N fire times of SCHEDULE pass with no run recorded
                                  (a miss)
"""

from __future__ import annotations

import math
import random
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "NO_FAULT",
    "RUN_MESSAGES",
    "SPEC_HELP",
    "Decision",
    "DropAfterCommit",
    "ErrorRate",
    "Fault",
    "FaultInjector",
    "FaultSpecError",
    "Latency",
    "RunFault",
    "Throttled",
    "parse_fault",
    "parse_faults",
]

_NUMBER = r"(\d+(?:\.\d+)?)"
_LATENCY_RE = re.compile(rf"latency={_NUMBER}(?:,jitter={_NUMBER})?\Z")
_ERROR_RE = re.compile(rf"error=(500|503|429):{_NUMBER}\Z")
_DROP_RE = re.compile(rf"drop-after-commit={_NUMBER}\Z")
# SCHEDULE is a name (no colon in the documented names) or a schedule id (a UUID).
_RUN_ERROR_RE = re.compile(r"run-error=([^:=,]+):(\d{1,6})(?::(\d{1,6}))?\Z")
_RUN_DROP_RE = re.compile(r"run-drop=([^:=,]+)(?::(\d{1,6}))?\Z")
SPEC_HELP = (
    "expected latency=MS[,jitter=MS], error=500:RATE, error=503:RATE, error=429:RATE "
    "or drop-after-commit=RATE, with RATE from 0 to 1; or run-error=SCHEDULE:CODE[:N] "
    "or run-drop=SCHEDULE[:N]"
)
#: The server's message for the push error codes a run is likeliest to carry (the
#: documents' msg-ids example has 1011); any other code is recorded as an injected failure.
RUN_MESSAGES = {
    1011: "Cannot find sending target",
    1003: "Parameter value is invalid",
    1030: "Internal service timeout",
    2002: "Rate limit exceeded",
    2003: "The app is not allowed to push",
}


class FaultSpecError(ValueError):
    """A fault spec that does not parse; the message is one line."""


@dataclass(frozen=True)
class Latency:
    ms: float
    jitter_ms: float = 0.0


@dataclass(frozen=True)
class ErrorRate:
    status: int
    rate: float


@dataclass(frozen=True)
class DropAfterCommit:
    rate: float


@dataclass(frozen=True)
class RunFault:
    """The next `count` runs of one schedule (by name or id) fail with `code`, or are
    dropped (`code` None): the fire time passes and no run is recorded."""

    schedule: str
    code: int | None
    count: int

    @property
    def message(self) -> str:
        if self.code is None:
            return ""
        return RUN_MESSAGES.get(self.code, f"injected run failure {self.code}")


Fault = Latency | ErrorRate | DropAfterCommit | RunFault


def _rate(text: str, spec: str) -> float:
    rate = float(text)
    if not 0.0 <= rate <= 1.0:
        raise FaultSpecError(f"bad fault spec {spec!r}: RATE {text} is not between 0 and 1")
    return rate


def _count(text: str | None, spec: str) -> int:
    count = 1 if text is None else int(text)
    if count < 1:
        raise FaultSpecError(f"bad fault spec {spec!r}: N must be at least 1")
    return count


def parse_fault(spec: str) -> Fault:
    text = spec.strip().replace(" ", "")
    if match := _LATENCY_RE.match(text):
        return Latency(float(match[1]), float(match[2] or 0))
    if match := _ERROR_RE.match(text):
        return ErrorRate(int(match[1]), _rate(match[2], spec))
    if match := _DROP_RE.match(text):
        return DropAfterCommit(_rate(match[1], spec))
    if match := _RUN_ERROR_RE.match(text):
        if int(match[2]) == 0:
            raise FaultSpecError(f"bad fault spec {spec!r}: CODE 0 is a run that was sent")
        return RunFault(match[1], int(match[2]), _count(match[3], spec))
    if match := _RUN_DROP_RE.match(text):
        return RunFault(match[1], None, _count(match[2], spec))
    raise FaultSpecError(f"bad fault spec {spec!r}: {SPEC_HELP}")


def parse_faults(specs: Iterable[str]) -> tuple[Fault, ...]:
    return tuple(parse_fault(spec) for spec in specs)


@dataclass(frozen=True)
class Decision:
    """What one request suffers: a delay, an injected error status, a cut after commit."""

    delay: float
    error: int | None
    drop: bool


NO_FAULT = Decision(0.0, None, False)


@dataclass(frozen=True)
class Throttled:
    """A request over the rate limit: what the 429 answer's headers say."""

    limit: int
    retry_after: int


class FaultInjector:
    """The active faults, their random stream and the per-app token buckets."""

    def __init__(self, specs: Iterable[str] = (), seed: int = 0, rate_limit: float | None = None):
        self._lock = threading.Lock()
        self.configure(specs, seed, rate_limit)

    def configure(self, specs: Iterable[str], seed: int, rate_limit: float | None) -> None:
        """Replace the active set (parsing first, so a bad spec changes nothing)."""
        spec_list = [spec.strip() for spec in specs]
        faults = parse_faults(spec_list)
        if rate_limit is not None and not (math.isfinite(rate_limit) and rate_limit > 0):
            raise FaultSpecError(f"rate limit must be a positive number, got {rate_limit!r}")
        with self._lock:
            self.specs = tuple(spec_list)
            self.faults = faults
            self.seed = seed
            self.rate_limit = rate_limit
            # Run faults are counted down as runs are recorded: [fault, runs left].
            self._runs: list[tuple[RunFault, list[int]]] = [
                (f, [f.count]) for f in faults if isinstance(f, RunFault)
            ]
            self._random = random.Random(seed)
            self._buckets: dict[str, tuple[float, float]] = {}

    def decide(self) -> Decision:
        """Draw this request's fate; every fault draws once per request, hit or not, so a
        run is reproducible for a given request order whatever the outcomes."""
        if not self.faults:
            return NO_FAULT
        delay_ms = 0.0
        error: int | None = None
        drop = False
        with self._lock:
            for fault in self.faults:
                if isinstance(fault, Latency):
                    jitter = self._random.uniform(-fault.jitter_ms, fault.jitter_ms)
                    delay_ms += max(0.0, fault.ms + jitter)
                elif isinstance(fault, ErrorRate):
                    if self._random.random() < fault.rate and error is None:
                        error = fault.status
                elif isinstance(fault, DropAfterCommit) and self._random.random() < fault.rate:
                    drop = True
        return Decision(delay_ms / 1000.0, error, drop)

    def admit(self, app_key: str) -> Throttled | None:
        """Take a token from the app's bucket (refilled at rate_limit per second)."""
        limit = self.rate_limit
        if limit is None:
            return None
        now = time.monotonic()
        capacity = max(1.0, limit)
        with self._lock:
            tokens, last = self._buckets.get(app_key, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * limit)
            if tokens >= 1.0:
                self._buckets[app_key] = (tokens - 1.0, now)
                return None
            self._buckets[app_key] = (tokens, now)
        return Throttled(
            limit=math.ceil(limit), retry_after=max(1, math.ceil((1 - tokens) / limit))
        )

    def run_fate(self, schedule_id: str, name: str) -> RunFault | None:
        """The run fault the next run of this schedule suffers (counted down), or None.

        Drops come before errors when both are set for one schedule; never random, so a
        test or a demo knows which run fails."""
        with self._lock:
            pending = [
                (fault, left)
                for fault, left in self._runs
                if left[0] > 0 and fault.schedule in (schedule_id, name)
            ]
            if not pending:
                return None
            fault, left = min(pending, key=lambda entry: entry[0].code is not None)
            left[0] -= 1
            return fault

    def describe(self) -> dict[str, object]:
        runs_left: dict[str, int] = {}
        with self._lock:
            for fault, left in self._runs:
                runs_left[fault.schedule] = runs_left.get(fault.schedule, 0) + left[0]
        return {
            "faults": list(self.specs),
            "seed": self.seed,
            "rate_limit": self.rate_limit,
            "runs_left": runs_left,
        }
