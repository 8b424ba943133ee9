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
from tests.support.api import client_for
from tests.support.clock import NOW
from tests.support.plan import desired, never_fires, plan_of, remote, target


def test_batches_run_deletes_then_replaces_then_updates_then_creates() -> None:
    assert BATCHES == ("delete", "replace", "update", "create")


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
