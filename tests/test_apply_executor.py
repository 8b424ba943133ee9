"""apply.py on its own: order of the batches, one outcome per change, stale-plan checks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from reconciler.apply.executor import BATCHES, apply_plan, check_checksum, check_still_valid
from reconciler.emulator import Settings, create_app
from reconciler.errors import StalePlan
from reconciler.plan.planner import make_plan
from reconciler.remote.engagelab import RetryPolicy
from reconciler.remote.engagelab._claim import park
from tests.support.api import client_for
from tests.support.clock import NOW
from tests.support.plan import body, desired, never_fires, plan_of, remote, target


def test_batches_run_deletes_then_replaces_then_updates_then_creates() -> None:
    # Parked copies an interrupted apply left: withdrawn first (they free quota and
    # names), completed (their create finished) before the new creates.
    assert BATCHES == ("withdraw", "delete", "replace", "update", "complete", "create")


def test_apply_carries_out_every_change_in_batch_order_and_reports_each() -> None:
    async def scenario() -> tuple[list[str], list[str], list[Any]]:
        app = create_app(Settings(now=NOW))
        client = client_for(app, retry=RetryPolicy(base_delay=0.001, max_delay=0.01))
        async with client:
            for name in ("updated", "replaced", "removed"):
                await client.create_schedule(desired(name).body())
            new_push = {"to": "all", "body": {"platform": "all", "notification": {"alert": "new"}}}
            zone2 = {"single": {"time": "2026-12-21 10:00:00", "zone_type": 2}}
            wanted = [
                desired("created"),
                desired("updated", push=new_push),
                desired("replaced", trigger=zone2),
            ]
            plan = make_plan(wanted, await client.list_schedules(), target(), NOW)
            seen: list[str] = []
            report = await apply_plan(plan, client, lambda o: seen.append(o.change.action))
            after = await client.list_schedules()
        return seen, [o.line() for o in report.outcomes], [(s.name, s.trigger) for s in after]

    seen, lines, after = asyncio.run(scenario())
    assert seen == ["delete", "replace", "update", "create"]
    assert lines[0].startswith("deleted removed id=")
    assert lines[1].startswith("replaced replaced id=")
    assert " -> id=" in lines[1]
    assert sorted(name for name, _ in after) == ["created", "replaced", "updated"]
    assert dict(after)["replaced"] == {"single": {"time": "2026-12-21 10:00:00", "zone_type": 2}}


def test_a_refused_change_is_reported_and_the_others_go_on() -> None:
    async def scenario() -> list[str]:
        app = create_app(Settings(now=NOW))
        client = client_for(app)
        async with client:
            plan = plan_of([desired("fine"), desired("never", trigger=never_fires())], [])
            report = await apply_plan(plan, client)
        return [report.summary(), *sorted(o.line() for o in report.outcomes)]

    summary, *lines = asyncio.run(scenario())
    assert summary == "Apply: 1 done, 1 failed (1 created)."
    assert lines[0].startswith("created fine id=")
    assert lines[1].startswith("failed create never: POST /v4/schedules: HTTP 404, 28105")


def test_a_saved_plan_of_another_format_or_target_is_refused() -> None:
    plan = plan_of([desired("a")], [remote("a")])
    with pytest.raises(StalePlan, match="unsupported plan format_version 2"):
        check_still_valid({**plan.data(), "format_version": 2}, plan)
    with pytest.raises(StalePlan, match="the plan is for target 'prod', not 'test'"):
        check_still_valid({**plan.data(), "target": "prod"}, plan)
    check_still_valid(plan.data(), plan)


def test_a_moved_plan_says_what_moved() -> None:
    saved = plan_of([desired("a")], []).data()
    fresh = plan_of([desired("a"), desired("b")], [])
    with pytest.raises(StalePlan, match="create 1 -> 2"):
        check_checksum(saved["checksum"], fresh, saved["summary"])


def test_a_delete_of_a_schedule_already_gone_is_done_and_says_so() -> None:
    # Another writer (a second apply, a person in the console) deleted it between our
    # plan and our delete: the goal, no such schedule, holds; apply must not fail on it.
    async def scenario() -> tuple[list[str], int]:
        app = create_app(Settings(now=NOW))
        async with client_for(app) as client:
            first = await client.create_schedule(desired("first").body())
            second = await client.create_schedule(desired("second").body())
            plan = plan_of([], await client.list_schedules())
            await client.delete_schedule(first)  # the other writer
            report = await apply_plan(plan, client)
            left = len(await client.list_schedules())
        lines = sorted(o.line() for o in report.outcomes)
        assert second in lines[1]
        return lines, left

    lines, left = asyncio.run(scenario())
    assert lines[0].startswith("deleted first id=")
    assert lines[0].endswith(" (already gone)")
    assert not lines[1].endswith("(already gone)")
    assert left == 0


async def _leave_parked(client: Any, *names: str) -> list[str]:
    """What an apply killed between its POSTs and its promotions leaves: parked copies."""
    return [await client.create_schedule(park(body(name), NOW, "killed")) for name in names]


def test_leftovers_are_completed_and_withdrawn_and_the_app_ends_as_desired() -> None:
    async def scenario() -> tuple[list[str], str, list[Any]]:
        app = create_app(Settings(now=NOW))
        async with client_for(app) as client:
            await client.create_schedule(body("won"))
            await _leave_parked(client, "resumed", "won", "abandoned")
            wanted = [desired("resumed"), desired("won")]
            plan = make_plan(wanted, await client.list_schedules(), target(prune=False), NOW)
            report = await apply_plan(plan, client)
            after = await client.list_schedules()
        lines = sorted(o.line() for o in report.outcomes)
        return lines, report.summary(), [r.body() for r in after]

    lines, summary, after = asyncio.run(scenario())
    assert [line.split(" id=")[0] for line in lines] == [
        "completed resumed",
        "withdrawn abandoned",
        "withdrawn won",
    ]
    assert summary == "Apply: 3 done, 0 failed (1 completed, 2 withdrawn)."
    assert sorted(after, key=lambda b: b["name"]) == [body("resumed"), body("won")]


def test_a_completion_whose_copy_another_writer_deleted_fails_saying_so() -> None:
    async def scenario() -> str:
        app = create_app(Settings(now=NOW))
        async with client_for(app) as client:
            (copy,) = await _leave_parked(client, "resumed")
            plan = plan_of([desired("resumed")], await client.list_schedules())
            await client.delete_schedule(copy)  # another apply withdrew it meanwhile
            (outcome,) = (await apply_plan(plan, client)).outcomes
        return outcome.line()

    line = asyncio.run(scenario())
    assert line.startswith("failed complete resumed: PUT /v4/schedules/")
    assert "HTTP 404, 28104 the parked copy was deleted by another writer meanwhile" in line
    assert (
        "nothing of this create is left in the app, and the next plan shows it as a create" in line
    )
