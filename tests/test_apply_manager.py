"""The manager's sync path, driven directly (no CliRunner): create, update, guards, stale plans,
and several targets at once with one joint confirmation."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from reconciler.apply.executor import Outcome
from reconciler.apply.manager import (
    JointApproval,
    QuietHooks,
    SyncOptions,
    TargetResult,
    each_target,
    plan_target,
    sync,
)
from reconciler.config.load import load_config
from reconciler.config.targets import Target
from reconciler.desired.read import desired_reader
from reconciler.emulator import Settings, create_app
from reconciler.errors import PlanRefused, SourceError, StalePlan
from reconciler.plan.changes import Plan
from tests.support.api import client_for
from tests.support.cli import by_name, config, doc, write
from tests.support.clock import NOW


class Recorder(QuietHooks):
    """Hooks that remember what the sync showed and asked, and answer `approve`."""

    def __init__(self, approve: bool = True) -> None:
        self.approve = approve
        self.events: list[str] = []
        self.outcomes: list[Outcome] = []

    def planned(self, plan: Plan) -> None:
        self.events.append(f"planned {plan.summary['create']}+{plan.summary['update']}~")

    async def confirm(self, plan: Plan, count: int) -> bool:
        self.events.append(f"confirm {count}")
        return self.approve

    def applying(self, count: int) -> None:
        self.events.append(f"applying {count}")

    def applied(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)


def the_target(repo: Path, name: str | None = None) -> Target:
    return load_config(None, repo).target(name)


def test_sync_creates_then_updates_then_has_nothing_to_do(repo: Path) -> None:
    write(repo, doc("a"))
    write(repo, doc("b"))
    hooks = Recorder()
    report = asyncio.run(sync(the_target(repo), NOW, SyncOptions(), hooks))
    assert hooks.events == ["planned 2+0~", "confirm 2", "applying 2"]
    assert sorted(o.line().split(" id=")[0] for o in hooks.outcomes) == ["created a", "created b"]
    assert report.ok
    assert report.applied is not None
    assert not report.failed
    assert report.verified is not None
    assert not report.verified.needs_work
    assert set(by_name(repo)) == {"a", "b"}
    ids = {name: s.schedule_id for name, s in by_name(repo).items()}

    write(repo, doc("a", alert="edited"))
    hooks = Recorder()
    report = asyncio.run(sync(the_target(repo), NOW, SyncOptions(), hooks))
    assert hooks.events == ["planned 0+1~", "confirm 1", "applying 1"]
    assert [o.line() for o in hooks.outcomes] == [f"updated a id={ids['a']}"]
    assert report.ok
    assert by_name(repo)["a"].push["body"]["notification"]["alert"] == "edited"
    assert {name: s.schedule_id for name, s in by_name(repo).items()} == ids

    hooks = Recorder()
    report = asyncio.run(sync(the_target(repo), NOW, SyncOptions(), hooks))
    assert report.applied is None
    assert report.ok
    assert hooks.events == ["planned 0+0~"]  # nothing to do: nothing asked


def test_a_declined_confirmation_changes_nothing(repo: Path) -> None:
    write(repo, doc("a"))
    with pytest.raises(PlanRefused, match="declined"):
        asyncio.run(sync(the_target(repo), NOW, SyncOptions(), Recorder(approve=False)))
    assert by_name(repo) == {}


def test_a_tripped_guard_refuses_before_any_change_and_force_overrides(repo: Path) -> None:
    config(repo, safety={"max_delete_percent": 30, "min_existing": 3})
    for name in "abcd":
        write(repo, doc(name))
    asyncio.run(sync(the_target(repo), NOW))
    for name in "abc":
        (repo / "schedules.d" / f"{name}.yaml").unlink()
    hooks = Recorder()
    with pytest.raises(PlanRefused, match=r"would delete 3 of 4 managed schedules \(75.0% > "):
        asyncio.run(sync(the_target(repo), NOW, SyncOptions(), hooks))
    assert hooks.events == ["planned 0+0~"]  # shown, never asked, never applied
    assert set(by_name(repo)) == set("abcd")
    report = asyncio.run(sync(the_target(repo), NOW, SyncOptions(force=True)))
    assert report.ok
    assert set(by_name(repo)) == {"d"}


def test_a_stale_checksum_or_saved_plan_is_refused_and_the_reviewed_one_applied(
    repo: Path,
) -> None:
    write(repo, doc("a"))
    target = the_target(repo)
    reviewed = asyncio.run(plan_target(target, NOW))
    write(repo, doc("b"))  # the files moved on after the review
    for options in (
        SyncOptions(checksum=reviewed.checksum),
        SyncOptions(saved=reviewed.data()),
    ):
        hooks = Recorder()
        with pytest.raises(StalePlan, match="the plan no longer holds"):
            asyncio.run(sync(target, NOW, options, hooks))
        assert "confirm 2" not in hooks.events
    assert by_name(repo) == {}
    (repo / "schedules.d" / "b.yaml").unlink()
    hooks = Recorder()
    report = asyncio.run(sync(target, NOW, SyncOptions(checksum=reviewed.checksum), hooks))
    # A reviewed plan is its own approval: nothing is asked.
    assert hooks.events == ["planned 1+0~", "applying 1"]
    assert report.ok
    assert set(by_name(repo)) == {"a"}


def test_a_failed_change_is_an_outcome_not_an_exception(repo: Path) -> None:
    never = {  # valid offline (a warning), refused by the server: no fire time (28105)
        "periodical": {
            "start": "2027-02-01 00:00:00",
            "end": "2027-02-27 00:00:00",
            "time": "09:00:00",
            "time_unit": "month",
            "point": ["30"],
            "zone_type": 1,
        }
    }
    write(repo, doc("good"))
    write(repo, doc("never", trigger=never))
    report = asyncio.run(sync(the_target(repo), NOW))
    assert not report.ok
    assert [o.change.name for o in report.failed] == ["never"]
    assert "28105" in report.failed[0].error
    assert report.verified is None  # not verified after a failure: apply again first
    assert set(by_name(repo)) == {"good"}


def test_sync_reads_the_files_first(repo: Path) -> None:
    with pytest.raises(SourceError, match="no schedules found"):
        asyncio.run(sync(the_target(repo), NOW))


# --- several targets ----------------------------------------------------------------------


def two_targets(repo: Path) -> list[Target]:
    config(
        repo,
        targets={"blue": {"endpoint": "local"}, "green": {"endpoint": "local", "quota": 1}},
    )
    return list(load_config(None, repo).targets.values())


def names_in(target: Target) -> list[str]:
    """The schedule names of a local target's app (its own state file)."""

    async def listing() -> list[str]:
        app = create_app(Settings(state=str(target.state_file), now=NOW))
        async with client_for(app) as client:
            return sorted(s.name for s in await client.list_schedules())

    return asyncio.run(listing())


def test_each_target_keeps_an_error_to_its_own_target(repo: Path) -> None:
    write(repo, doc("a"))
    write(repo, doc("b"))
    targets = two_targets(repo)
    results = asyncio.run(each_target(targets, lambda t: sync(t, NOW)))
    assert [r.target for r in results] == ["blue", "green"]
    blue, green = results
    assert blue.error is None
    assert blue.value is not None
    assert blue.value.ok
    assert isinstance(green.error, PlanRefused)
    assert "above the quota of 1" in str(green.error)
    # Each target is its own app: blue has both, green (refused) none.
    assert [names_in(t) for t in targets] == [["a", "b"], []]


def test_joint_approval_asks_once_after_every_target_has_planned(repo: Path) -> None:
    write(repo, doc("a"))
    config(repo, targets={"blue": {"endpoint": "local"}, "green": {"endpoint": "local"}})
    targets = list(load_config(None, repo).targets.values())
    asked: list[list[tuple[str, int]]] = []

    async def ask(waiting: Sequence[tuple[Plan, int]]) -> bool:
        asked.append([(plan.target, count) for plan, count in waiting])
        return True

    async def run_all() -> list[TargetResult[object]]:
        approval = JointApproval(ask, len(targets))

        async def one(target: Target) -> object:
            seat = approval.seat()

            class Seated(QuietHooks):
                async def confirm(self, plan: Plan, count: int) -> bool:
                    return await seat.confirm(plan, count)

            try:
                return await sync(target, NOW, SyncOptions(), Seated())
            finally:
                seat.leave()

        return await each_target(targets, one)

    results = asyncio.run(run_all())
    assert all(r.error is None for r in results)
    assert len(asked) == 1
    assert sorted(asked[0]) == [("blue", 1), ("green", 1)]
    assert [names_in(t) for t in targets] == [["a"], ["a"]]


def test_joint_approval_declined_answers_everyone_and_waits_for_the_slowest() -> None:
    async def scenario() -> tuple[list[BaseException | bool], list[int]]:
        asked: list[int] = []

        async def ask(waiting: Sequence[tuple[Plan, int]]) -> bool:
            asked.append(len(waiting))
            return False

        approval = JointApproval(ask, 3)
        first, second, idle = approval.seat(), approval.seat(), approval.seat()

        async def waits(seat: object, count: int) -> bool:
            return await seat.confirm(None, count)  # type: ignore[attr-defined,arg-type]

        tasks = [asyncio.create_task(waits(first, 1)), asyncio.create_task(waits(second, 2))]
        await asyncio.sleep(0)
        assert asked == []  # `idle` is still planning
        idle.leave()  # it ends without asking (nothing to do)
        answers = await asyncio.gather(*tasks, return_exceptions=True)
        return list(answers), asked

    answers, asked = asyncio.run(scenario())
    assert answers == [False, False]
    assert asked == [2]


def test_targets_that_read_the_same_files_under_the_same_rules_share_one_reading(
    repo: Path,
) -> None:
    write(repo, doc("app_a"))
    config(
        repo,
        targets={
            "blue": {"endpoint": "local"},
            "green": {"endpoint": "local", "quota": 5},  # not a validation input
            "prefixed": {"endpoint": "local", "manage_prefix": "app_"},
        },
    )
    blue, green, prefixed = load_config(None, repo).targets.values()
    desired_of = desired_reader(NOW)
    assert desired_of(blue) is desired_of(green)
    assert desired_of(prefixed) is not desired_of(blue)
    assert [s.name for s in desired_of(prefixed).result.schedules] == ["app_a"]
