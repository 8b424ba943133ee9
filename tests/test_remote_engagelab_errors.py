"""The error tree, its one-line messages, targets and credentials, and the retry policy."""

from __future__ import annotations

import asyncio
import pickle

import pytest

from reconciler.errors import ConfigError, ReconcilerError
from reconciler.remote.engagelab import (
    REGIONS,
    ApiError,
    AuthenticationFailed,
    MissingCredentials,
    RateLimited,
    RetryPolicy,
    ScheduleNotFound,
    ServiceUnavailable,
    TargetConfigError,
    base_url_for,
    credentials_from_env,
)
from reconciler.remote.protocol import ScheduleMissing
from tests.support.api import (
    DEMO_KEY,
    DEMO_SECRET,
    FAST,
    client_for,
    create_body,
    emulator_app,
)

# -- targets and credentials ------------------------------------------------------


def test_regions_map_to_pushapi_hosts() -> None:
    assert set(REGIONS) == {"sgp", "hk", "usva", "defra", "jpn", "bra"}
    assert base_url_for(endpoint=None, region="sgp") == "https://pushapi-sgp.engagelab.com"
    assert base_url_for(endpoint=None, region="DEFRA") == "https://pushapi-defra.engagelab.com"


def test_endpoint_wins_over_region() -> None:
    assert base_url_for(endpoint="http://127.0.0.1:8787/", region="sgp") == "http://127.0.0.1:8787"


@pytest.mark.parametrize(
    ("endpoint", "region", "fragment"),
    [
        (None, "mars", "unknown region 'mars'"),
        (None, None, "neither an endpoint nor a region"),
        ("pushapi-sgp.engagelab.com", None, "not an http(s) URL"),
        ("https://key:secret@pushapi-sgp.engagelab.com", None, "must not carry credentials"),
    ],
)
def test_bad_targets_are_config_errors(
    endpoint: str | None, region: str | None, fragment: str
) -> None:
    with pytest.raises(TargetConfigError) as caught:
        base_url_for(endpoint=endpoint, region=region)
    assert isinstance(caught.value, ConfigError)
    assert fragment in str(caught.value)
    assert "secret@" not in str(caught.value)


def test_credentials_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_KEY", "k")
    monkeypatch.setenv("T_SECRET", "S3CRET-canary-9f8e")
    assert credentials_from_env("T_KEY", "T_SECRET") == ("k", "S3CRET-canary-9f8e")


def test_missing_credentials_name_the_variable_never_a_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("T_KEY", "k-value-visible")
    monkeypatch.delenv("T_SECRET", raising=False)
    with pytest.raises(MissingCredentials) as caught:
        credentials_from_env("T_KEY", "T_SECRET")
    assert "T_SECRET is not set" in str(caught.value)
    assert "k-value-visible" not in str(caught.value)
    assert isinstance(caught.value, ConfigError)
    assert isinstance(caught.value, ApiError)
    monkeypatch.delenv("T_KEY")
    with pytest.raises(MissingCredentials, match="T_KEY and T_SECRET are not set:"):
        credentials_from_env("T_KEY", "T_SECRET")


def test_credentials_set_but_empty_are_said_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_SECRET", "")
    monkeypatch.delenv("T_KEY", raising=False)
    with pytest.raises(MissingCredentials) as caught:
        credentials_from_env("T_KEY", "T_SECRET")
    assert str(caught.value).startswith("T_KEY is not set and T_SECRET is set but empty: ")
    monkeypatch.setenv("T_KEY", " \t")  # a CI secret never filled in
    with pytest.raises(MissingCredentials, match="T_KEY and T_SECRET are set but empty: export"):
        credentials_from_env("T_KEY", "T_SECRET")


# -- the exceptions themselves ---------------------------------------------------


def test_message_is_one_line_with_status_code_explanation_and_server_message() -> None:
    err = ApiError(
        "invalid push time: single time or trigger time format err",
        status=400,
        code=28103,
        server_message="single time\nor trigger time format err",
        method="PUT",
        path="/v4/schedules/ab12",
    )
    assert str(err) == (
        "PUT /v4/schedules/ab12: HTTP 400, 28103 invalid push time: single time or trigger "
        "time format err (the server's message: single time or trigger time format err)"
    )
    assert repr(err) == f"ApiError({str(err)!r})"
    assert isinstance(err, ReconcilerError)
    assert err.args == (str(err),)


def test_with_explanation_keeps_everything_else() -> None:
    err = RateLimited("rate limit exceeded", retry_after=2.0, status=429, code=2001)
    again = err.with_explanation("rate limit exceeded; retried 5 times")
    assert type(again) is RateLimited
    assert again.retry_after == 2.0
    assert again.status == 429
    assert str(again) == "HTTP 429, 2001 rate limit exceeded; retried 5 times"
    assert str(err) == "HTTP 429, 2001 rate limit exceeded"


def test_errors_pickle() -> None:
    err = ServiceUnavailable("the schedule service timed out", status=503, code=28203)
    assert str(pickle.loads(pickle.dumps(err))) == str(err)


def test_retry_policy_delays_grow_are_capped_and_honour_retry_after() -> None:
    policy = RetryPolicy(max_attempts=8, base_delay=0.1, max_delay=1.0, retry_after_cap=5.0)
    for attempt, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0), (9, 1.0)]:
        for _ in range(50):
            assert ceiling / 2 <= policy.delay(attempt) <= ceiling
    limited = RateLimited("rate limit exceeded", retry_after=3.0)
    assert 3.0 <= policy.delay(1, limited) <= 3.0 + 1e-9
    assert policy.delay(1, RateLimited("x", retry_after=3600.0)) == 5.0
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


# -- against the emulator: what 401 and 404 say ------------------------------------


def test_wrong_secret_says_which_variables_to_check() -> None:
    async def scenario() -> AuthenticationFailed:
        async with client_for(emulator_app(), master_secret="wrong-secret", retry=FAST) as client:
            with pytest.raises(AuthenticationFailed) as caught:
                await client.list_schedules()
            assert client.requests_sent == 1  # a refusal is an answer: never retried
            return caught.value

    err = asyncio.run(scenario())
    assert err.status == 401
    assert err.code == 28101
    assert "authentication failed: check ENGAGELAB_APP_KEY / ENGAGELAB_MASTER_SECRET" in str(err)
    assert str(err).startswith("GET /v4/schedules?page=1: HTTP 401, 28101 ")
    assert err.server_message
    assert "wrong-secret" not in str(err)


def test_custom_credential_names_appear_in_the_401_message() -> None:
    async def scenario() -> None:
        async with client_for(
            emulator_app(),
            master_secret="nope",
            retry=FAST,
            credential_names=("PROD_KEY", "PROD_SECRET"),
        ) as client:
            with pytest.raises(AuthenticationFailed, match="check PROD_KEY / PROD_SECRET"):
                await client.create_schedule(create_body("x"))

    asyncio.run(scenario())


def test_unknown_id_is_schedule_not_found_on_every_method() -> None:
    async def scenario() -> list[ScheduleNotFound]:
        caught: list[ScheduleNotFound] = []
        async with client_for(emulator_app(), retry=FAST) as client:
            for call in (
                client.get_schedule("no-such-id"),
                client.update_schedule("no-such-id", create_body("x")),
                client.delete_schedule("no-such-id"),
                client.msg_ids("no-such-id"),
            ):
                with pytest.raises(ScheduleNotFound) as info:
                    await call
                caught.append(info.value)
            assert client.requests_sent == 4
        return caught

    errors = asyncio.run(scenario())
    methods = [err.method for err in errors]
    assert methods == ["GET", "PUT", "DELETE", "GET"]
    for err in errors:
        assert err.status == 404
        assert err.code == 28104
        assert "/v4/schedules/no-such-id" in str(err)
        assert "28104 the schedule does not exist" in str(err)
        assert DEMO_SECRET not in str(err)
    assert DEMO_KEY  # the helper's credentials are the emulator's demo app


def test_a_schedule_not_found_is_the_seams_schedule_missing_in_other_words() -> None:
    """apply catches ScheduleMissing (remote/protocol.py) and rephrases it, keeping what
    the provider said of the request."""
    err = ScheduleNotFound(
        "the schedule does not exist", status=404, code=28104, method="PUT", path="/v4/schedules/x"
    )
    assert isinstance(err, ScheduleMissing)
    assert isinstance(err, ApiError)
    said = err.with_explanation("deleted meanwhile")
    assert isinstance(said, ScheduleNotFound)
    assert str(said) == "PUT /v4/schedules/x: HTTP 404, 28104 deleted meanwhile"
    plain = ScheduleMissing("no such schedule").with_explanation("deleted meanwhile")
    assert (type(plain), str(plain)) == (ScheduleMissing, "deleted meanwhile")
