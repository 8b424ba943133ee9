"""A hostile or broken remote: bounded reading, unreadable schedules reported, timeouts users set.

The rows of issue 12's table that the API side can cause, through the real CLI:
a schedule another client stored too deep (outside and inside `manage_prefix`),
a server that claims ten million pages, one that accepts and never answers.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import DEMO_APP, Settings
from reconciler.emulator.server import serve_in_thread
from reconciler.limits import MAX_ANSWER_BYTES
from reconciler.remote.engagelab import RetryPolicy, ScheduleClient
from reconciler.remote.engagelab._json import TOO_DEEP, depth_of, parse_json
from tests.support.cli import doc, remote, run, write
from tests.support.clock import NOW
from tests.support.hostile import (
    assert_one_line_error,
    deep_push,
    json_server,
    plant,
    run_capped,
    schedule,
    silent_server,
    write_repo,
)

STATE = Path(".reconciler") / "local.db"


def remote_config(url: str, **extra: Any) -> dict[str, Any]:
    return {"default_target": "far", "targets": {"far": {"endpoint": url, **extra}}}


# --- a schedule we cannot read ------------------------------------------------------------


def test_unreadable_schedule_outside_the_prefix_is_skipped_with_a_warning(repo: Path) -> None:
    (repo / "reconciler.yaml").write_text("manage_prefix: team_\n")
    other = plant(repo / STATE, "other_tool_deep", deep_push(600))
    write(repo, doc("team_a"))
    plan = run("plan")
    assert plan.exit_code == 0, plan.output + plan.stderr
    assert f"other_tool_deep (id {other}) cannot be read: it nests deeper than 64 levels" in (
        plan.output
    )
    applied = run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output + applied.stderr
    names = sorted(r.name for r in remote(repo))
    assert names == ["other_tool_deep", "team_a"]  # ours created, theirs left alone


def test_unreadable_schedule_inside_the_prefix_is_a_conflict_apply_refuses(repo: Path) -> None:
    mine = plant(repo / STATE, "deep", deep_push(600))
    write(repo, doc("deep"), doc("fine"), file="both")
    plan = run("plan", "--format", "json")
    assert plan.exit_code == 0, plan.stderr
    changes = {c["name"]: c for c in json.loads(plan.output)["changes"]}
    assert changes["deep"]["action"] == "conflict"
    assert changes["deep"]["schedule_id"] == mine
    assert "cannot be read: it nests deeper than 64 levels" in changes["deep"]["reason"]
    assert changes["fine"]["action"] == "create"
    applied = run("apply", "--auto-approve")
    assert applied.exit_code == 1
    assert applied.stderr.count("\n") == 1
    assert applied.stderr.startswith("error: 1 managed remote schedule cannot be read (deep)")
    assert sorted(r.name for r in remote(repo)) == ["deep"]  # nothing created beside it


def test_a_readable_twin_of_an_unreadable_name_is_left_alone_not_deleted(repo: Path) -> None:
    # Two remote schedules named "deep", one we cannot read: the name is in conflict,
    # and the readable one must not be planned as a delete ("not in the repo").
    plant(repo / STATE, "deep", deep_push(600))
    twin = plant(repo / STATE, "deep", schedule("deep")["push"])
    write(repo, doc("deep"))
    plan = run("plan", "--format", "json")
    assert plan.exit_code == 0, plan.stderr
    by_id = {c["schedule_id"]: c for c in json.loads(plan.output)["changes"]}
    assert by_id[twin]["action"] == "skip"
    assert "shares its name with a remote schedule that cannot be read" in by_id[twin]["reason"]
    assert [c["action"] for c in by_id.values() if c["action"] == "delete"] == []


def test_a_remote_name_with_a_newline_is_shown_escaped(repo: Path) -> None:
    (repo / "reconciler.yaml").write_text("manage_prefix: team_\n")
    plant(repo / STATE, "x\n::error::pwned", schedule("x")["push"])
    write(repo, doc("team_a"))
    plan = run("plan")
    assert plan.exit_code == 0, plan.stderr
    assert not [line for line in plan.output.splitlines() if line.startswith("::")]
    assert "x\\n::error::pwned" in plan.output


def test_summary_listing_with_unreadable_details(tmp_path: Path) -> None:
    """In summary mode the details carry the depth; the schedule is reported, not the page."""
    state = tmp_path / "state.db"
    deep_id = plant(state, "deep", deep_push(600))
    plant(state, "plain", schedule("plain")["push"])
    settings = Settings(now=NOW, state=str(state), list_detail="summary", detail_shape="object")
    with serve_in_thread(settings) as url:

        async def listing() -> list[Any]:
            async with ScheduleClient(
                base_url=url, app_key=DEMO_APP.key, master_secret=DEMO_APP.secret
            ) as client:
                return await client.list_schedules()

        found = {r.name: r for r in asyncio.run(listing())}
    assert found["plain"].problem is None
    assert found["deep"].schedule_id == deep_id
    assert found["deep"].problem == "it nests deeper than 64 levels"
    assert (found["deep"].trigger, found["deep"].push) == ({}, {})


# --- servers that lie about pages ---------------------------------------------------------


def entries(count: int) -> list[dict[str, Any]]:
    return [{"schedule_id": f"id{i}", "name": f"n{i}", "enabled": True} for i in range(count)]


@pytest.mark.parametrize(
    ("claim", "fragment"),
    [
        (
            {"total_count": 3, "total_pages": 10**7},
            "total_pages 10000000 does not fit total_count 3 at 50 a page (1 expected)",
        ),
        (
            {"total_count": 5 * 10**8, "total_pages": 10**7},
            "total_count 500000000 is not a number of schedules an app can hold",
        ),
    ],
)
def test_a_server_claiming_ten_million_pages_fails_at_once(
    tmp_path: Path, claim: dict[str, int], fragment: str
) -> None:
    def answer(path: str) -> Any:
        count = 3 if claim["total_count"] == 3 else 50
        return {**claim, "page": 1, "schedules": entries(count)}

    with json_server(answer) as url:
        write_repo(tmp_path, remote_config(url), [schedule("a")])
        outcome = run_capped(tmp_path, "plan", timeout=30)
    assert_one_line_error(outcome, "GET /v4/schedules?page=1", fragment)
    assert outcome.seconds < 10


def test_a_page_nested_two_hundred_thousand_deep_is_one_line(tmp_path: Path) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    with json_server(lambda path: deep) as url:
        write_repo(tmp_path, remote_config(url), [schedule("a")])
        outcome = run_capped(tmp_path, "plan", timeout=30)
    assert_one_line_error(outcome, "GET /v4/schedules?page=1", "expected an object")


def test_more_than_fifty_entries_on_a_page_is_malformed(tmp_path: Path) -> None:
    claim = {"total_count": 60, "total_pages": 2, "page": 1, "schedules": entries(60)}
    with json_server(lambda path: claim) as url:
        write_repo(tmp_path, remote_config(url), [schedule("a")])
        outcome = run_capped(tmp_path, "plan", timeout=30)
    assert_one_line_error(outcome, "60 schedules on one page, not 50")


def test_an_answer_past_the_bound_is_refused_not_read(tmp_path: Path) -> None:
    huge = b" " * (MAX_ANSWER_BYTES + 1024) + b"{}"  # valid JSON, too long to read
    with json_server(lambda path: huge) as url:
        write_repo(tmp_path, remote_config(url), [schedule("a")])
        outcome = run_capped(tmp_path, "plan", timeout=30)
    assert_one_line_error(outcome, "GET /v4/schedules?page=1", "the answer is longer than")


def test_a_gzip_bomb_is_refused_at_the_bound_of_what_it_inflates_to(tmp_path: Path) -> None:
    bomb = gzip.compress(b" " * (400 * 1024 * 1024) + b"{}", compresslevel=9)  # ~400 KB
    with json_server(lambda path: bomb, {"Content-Encoding": "gzip"}) as url:
        write_repo(tmp_path, remote_config(url), [schedule("a")])
        outcome = run_capped(tmp_path, "plan", timeout=30)
    assert_one_line_error(outcome, "GET /v4/schedules?page=1", "the answer is longer than")


# --- a server that never answers ----------------------------------------------------------


def test_a_hung_endpoint_fails_within_retries_times_request_timeout(tmp_path: Path) -> None:
    with silent_server() as url:
        write_repo(tmp_path, remote_config(url, request_timeout=0.5), [schedule("a")])
        outcome = run_capped(tmp_path, "plan", timeout=60)
    line = assert_one_line_error(outcome, "GET /v4/schedules?page=1", "timed out")
    assert "gave up after 3 s" in line  # 6 attempts x 0.5 s: the deadline of one call
    assert outcome.seconds < 3 + 5  # the deadline, plus starting the interpreter


def test_request_timeout_is_refused_when_not_positive(repo: Path) -> None:
    (repo / "reconciler.yaml").write_text("request_timeout: 0\n")
    outcome = run("validate")
    assert outcome.exit_code == 1
    assert "request_timeout" in outcome.stderr


def test_the_deadline_bounds_a_call_whatever_the_backoff(tmp_path: Path) -> None:
    slow = RetryPolicy(max_attempts=6, base_delay=5, max_delay=5)

    async def call() -> None:
        with silent_server() as url:
            async with ScheduleClient(
                base_url=url, app_key="k", master_secret="s", timeout=0.2, retry=slow
            ) as client:
                await client.list_schedules()

    loop = asyncio.new_event_loop()
    started = loop.time()
    with pytest.raises(Exception, match="timed out") as caught:
        loop.run_until_complete(call())
    loop.close()
    assert "gave up after 1.2 s" in str(caught.value)
    assert loop.time() - started < 3


# --- the bounded JSON parser --------------------------------------------------------------


def test_answers_within_the_bound_parse_as_json_does() -> None:
    text = json.dumps({"a": [1, {"b": 'x]"}'}], "c": "\\\\"}).encode()
    assert parse_json(text) == json.loads(text)
    assert parse_json(b"[" * 66 + b"]" * 66) == json.loads(b"[" * 66 + b"]" * 66)


def test_subtrees_past_the_bound_become_too_deep_and_the_rest_stays() -> None:
    text = (
        b'{"schedules": [{"schedule_id": "s1", "push": '
        + b'{"x": ' * 900
        + b"1"
        + b"}" * 900
        + b'}, {"schedule_id": "s2", "push": {}}]}'
    )
    value = parse_json(text)
    first, second = value["schedules"]
    assert depth_of(first, 64) == 65
    assert second == {"schedule_id": "s2", "push": {}}
    assert TOO_DEEP in _leaves(first)


def _leaves(value: Any) -> list[Any]:
    found, pending = [], [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        else:
            found.append(item)
    return found


@pytest.mark.parametrize("text", [b"[" * 200_000, b"[" * 10 + b"}" * 10, b"[1, 2"])
def test_unbalanced_or_broken_json_is_a_value_error(text: bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - json's own error type, whichever
        parse_json(text)
