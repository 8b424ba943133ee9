"""Fault injection: errors, latency, drops after commit, the rate limit, and reproducibility."""

from __future__ import annotations

import time

import httpx
import pytest

from reconciler.emulator import DEMO_APP, AppCredentials, Settings, create_app
from reconciler.emulator.faults import (
    DropAfterCommit,
    ErrorRate,
    FaultInjector,
    FaultSpecError,
    Latency,
    parse_fault,
)
from tests.support.clock import NOW
from tests.support.emulator import Api

BODY = {
    "name": "n",
    "enabled": True,
    "trigger": {"single": {"time": "2027-01-19 00:00:00"}},
    "push": {"to": "all", "body": {"platform": "all", "notification": {"alert": "x"}}},
}


# Specs ----------------------------------------------------------------------------------


def test_fault_specs_parse() -> None:
    assert parse_fault("latency=50") == Latency(50, 0)
    assert parse_fault("latency=50,jitter=20") == Latency(50, 20)
    assert parse_fault("latency=50, jitter=20.5") == Latency(50, 20.5)
    assert parse_fault("error=500:0.1") == ErrorRate(500, 0.1)
    assert parse_fault("error=503:1") == ErrorRate(503, 1.0)
    assert parse_fault("error=429:0") == ErrorRate(429, 0.0)
    assert parse_fault("drop-after-commit=0.25") == DropAfterCommit(0.25)


@pytest.mark.parametrize(
    "spec",
    ["", "latency", "latency=-1", "latency=fast", "error=404:0.1", "error=500", "error=500:1.5",
     "drop-after-commit", "drop-after-commit=2", "chaos=1", "jitter=5"],
)  # fmt: skip
def test_bad_fault_specs_are_one_line_errors(spec: str, api: Api) -> None:
    with pytest.raises(FaultSpecError) as caught:
        parse_fault(spec)
    assert "\n" not in str(caught.value)
    response = api.faults(spec)
    assert response.status_code == 400
    assert "\n" not in response.json()["error"]["message"]
    with pytest.raises(ValueError, match="bad fault spec"):
        create_app(Settings(faults=(spec,)))


def test_bad_admin_fault_bodies(api: Api) -> None:
    api.faults("error=503:0.5", seed=3)
    for body in ({}, {"faults": "error=500:1"}, {"faults": [1]}, {"faults": [], "seed": "x"},
                 {"faults": [], "rate_limit": "fast"}, {"faults": [], "rate_limit": -1}):  # fmt: skip
        assert api.request("PUT", "/_emulator/faults", json=body).status_code == 400
    # A refused change leaves the active set alone.
    assert api.request("GET", "/_emulator/faults").json() == {
        "faults": ["error=503:0.5"],
        "seed": 3,
        "rate_limit": None,
        "runs_left": {},
    }


# Error faults ---------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "code"), [(500, 28200), (503, 28203), (429, 2001)])
def test_error_faults(api: Api, status: int, code: int) -> None:
    assert api.faults(f"error={status}:1").status_code == 200
    for method, url in [
        ("POST", "/v4/schedules"),
        ("GET", "/v4/schedules"),
        ("GET", "/v4/schedules/0eac1b80-c2ac-4b69-948b-c65b34b96512"),
        ("DELETE", "/v4/schedules/0eac1b80-c2ac-4b69-948b-c65b34b96512"),
    ]:
        response = api.request(method, url, json=BODY)
        assert response.status_code == status
        assert response.json()["error"]["code"] == code
        if status == 429:
            assert response.json()["error"]["message"] == "Rate limit exceeded"
            assert int(response.headers["Retry-After"]) >= 1
            for header in ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"):
                assert response.headers[header].isdigit()
    # An injected error makes no change, and /_emulator is never faulted.
    assert api.count() == 0
    assert api.request("GET", "/_emulator/state").status_code == 200
    assert api.faults().status_code == 200  # {"faults": []} clears
    assert api.request("POST", "/v4/schedules", json=BODY).status_code == 200


def test_faults_from_settings_and_reset(api: Api) -> None:
    faulty = Api(Settings(now=NOW, faults=("error=503:1",)))
    try:
        assert faulty.request("GET", "/v4/schedules").status_code == 503
        faulty.request("POST", "/_emulator/reset")
        assert faulty.request("GET", "/v4/schedules").status_code == 200
    finally:
        faulty.close()


def _statuses(api: Api, n: int) -> list[int]:
    return [api.request("GET", "/v4/schedules").status_code for _ in range(n)]


def test_faults_are_reproducible_for_a_seed() -> None:
    settings = Settings(now=NOW, faults=("error=503:0.3", "error=500:0.2"), seed=7)
    first, second, other = Api(settings), Api(settings), Api(Settings(now=NOW, seed=8))
    try:
        other.faults("error=503:0.3", "error=500:0.2", seed=8)
        run = _statuses(first, 40)
        assert set(run) == {200, 500, 503}
        assert _statuses(second, 40) == run
        assert _statuses(other, 40) != run
        # Re-seeding through the admin API restarts the stream.
        first.faults("error=503:0.3", "error=500:0.2", seed=7)
        assert _statuses(first, 40) == run
    finally:
        for client in (first, second, other):
            client.close()


def test_latency_and_jitter() -> None:
    injector = FaultInjector(["latency=50,jitter=20", "latency=10"], seed=1)
    delays = [injector.decide().delay for _ in range(200)]
    assert all(0.040 <= d <= 0.080 for d in delays)
    assert len(set(delays)) > 100  # jitter varies
    again = FaultInjector(["latency=50,jitter=20", "latency=10"], seed=1)
    assert [again.decide().delay for _ in range(200)] == delays

    api = Api(Settings(now=NOW, faults=("latency=60",)))
    try:
        started = time.perf_counter()
        assert api.request("GET", "/v4/schedules").status_code == 200
        assert time.perf_counter() - started >= 0.055  # a lower bound only
    finally:
        api.close()


# Drop after commit ----------------------------------------------------------------------


def test_drop_after_commit_in_process(api: Api) -> None:
    api.faults("drop-after-commit=1")
    with pytest.raises(httpx.RemoteProtocolError):
        api.request("POST", "/v4/schedules", json=BODY)
    state = api.request("GET", "/_emulator/state").json()
    (stored,) = state["apps"][DEMO_APP.key]["schedules"]
    sid = stored["schedule_id"]  # the change was committed

    changed = {**BODY, "name": "changed"}
    with pytest.raises(httpx.TransportError):
        api.request("PUT", f"/v4/schedules/{sid}", json=changed)
    with pytest.raises(httpx.TransportError):
        api.request("GET", f"/v4/schedules/{sid}")
    with pytest.raises(httpx.TransportError):  # an empty answer is cut too
        api.request("DELETE", f"/v4/schedules/{sid}")
    api.faults()
    assert api.request("GET", f"/v4/schedules/{sid}").status_code == 404
    # Errors are decided before the change, drops after: a refused request is cut as well.
    api.faults("drop-after-commit=1")
    with pytest.raises(httpx.TransportError):
        api.request("POST", "/v4/schedules", json={"name": "x"})
    api.faults()
    assert api.count() == 0


def test_drop_rate_is_partial_and_every_drop_is_committed(api: Api) -> None:
    api.faults("drop-after-commit=0.5", seed=11)
    answered = cut = 0
    for i in range(40):
        try:
            api.request("POST", "/v4/schedules", json={**BODY, "name": f"n{i}"})
            answered += 1
        except httpx.TransportError:
            cut += 1
    assert answered
    assert cut
    api.faults()
    assert api.count() == 40


# Rate limit -----------------------------------------------------------------------------


def test_rate_limit_per_app() -> None:
    one, two = AppCredentials("one", "s1"), AppCredentials("two", "s2")
    first = Api(Settings(apps=(one, two), now=NOW, rate_limit=5))
    second = Api(Settings(apps=(two,)), app=first.app)
    try:
        codes = _statuses(first, 30)
        assert codes[:5] == [200] * 5
        assert 429 in codes
        throttled = first.request("GET", "/v4/schedules")
        if throttled.status_code == 429:
            assert throttled.json()["error"]["code"] == 2001
            assert int(throttled.headers["Retry-After"]) >= 1
            assert throttled.headers["X-Rate-Limit-Limit"] == "5"
        # The other app has its own budget, and /_emulator is never limited.
        assert second.request("GET", "/v4/schedules").status_code == 200
        assert all(first.request("GET", "/_emulator/state").status_code == 200 for _ in range(20))
        # The admin API can lift it.
        first.faults(rate_limit=None)
        assert _statuses(first, 20) == [200] * 20
    finally:
        first.close()
        second.close()
