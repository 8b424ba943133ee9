"""Health against the emulator, on a fixed clock: the runs it records as its clock passes fire
times, failed or dropped on purpose (run faults), matched to what the files expect.

Each story sets the emulator's clock to when the schedules were created, lets it run
to the end of the window, and checks the target over that window.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.config.targets import Target
from reconciler.core.model import schedule_from_json
from reconciler.desired.history import TriggerHistory, trigger_history
from reconciler.emulator import AppCredentials, Settings, create_app
from reconciler.health.check import check_health
from reconciler.health.report import Health
from tests.support.api import DEMO_KEY, DEMO_SECRET, client_for
from tests.support.emulator import Api

NO_HISTORY = TriggerHistory(False, "no history in this test")
NOW = datetime(2026, 11, 21, tzinfo=UTC)


def periodical(time: str, unit: str = "day", zone_type: int = 1, **over: Any) -> dict[str, Any]:
    trigger = {
        "start": "2026-10-01 00:00:00",
        "end": "2027-06-01 00:00:00",
        "time": time,
        "time_unit": unit,
        "zone_type": zone_type,
        **over,
    }
    return {"periodical": trigger}


def body(name: str, trigger: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "enabled": True,
        "trigger": trigger,
        "push": {"to": "all", "body": {"platform": "all", "notification": {"alert": name}}},
    }


class App:
    """One emulator app in `site`, its clock at `created`; the admin API and the API."""

    def __init__(self, created: str, site: str = "UTC") -> None:
        settings = Settings(apps=(AppCredentials(DEMO_KEY, DEMO_SECRET, site),))
        self.site = site
        self.app = create_app(settings)
        self.api = Api(settings, app=self.app)
        self.clock(created)

    def clock(self, when: str) -> None:
        self.api.set_clock(when)

    def create(self, *bodies: dict[str, Any]) -> list[str]:
        return [self.api.create(b) for b in bodies]

    def update(self, schedule_id: str, new: dict[str, Any]) -> None:
        assert self.api.put(f"/v4/schedules/{schedule_id}", json=new).status_code == 200

    def faults(self, *specs: str) -> None:
        assert self.api.faults(*specs).status_code == 200

    def health(
        self,
        desired: Sequence[dict[str, Any]],
        now: datetime = NOW,
        since: timedelta = timedelta(days=7),
        history: TriggerHistory = NO_HISTORY,
        root: Path = Path("."),
    ) -> Health:
        target = Target("t", root, endpoint="http://emulator.test", site_timezone=self.site)
        schedules = [schedule_from_json(d) for d in desired]

        async def check() -> Health:
            async with client_for(self.app) as client:
                return await check_health(target, client, schedules, history, (now - since, now))

        return asyncio.run(check())

    def close(self) -> None:
        self.api.close()


@pytest.fixture
def make_app() -> Iterator[Any]:
    made: list[App] = []

    def make(created: str, site: str = "UTC") -> App:
        made.append(App(created, site))
        return made[-1]

    yield make
    for app in made:
        app.close()


def classes(health: Health) -> dict[str, str]:
    return {s.name: s.state for s in health.schedules}


def walls(health: Health, name: str, state: str | None = None) -> list[str]:
    (schedule,) = [s for s in health.schedules if s.name == name]
    return [f"{j.fire.wall:%m-%d %H:%M}" for j in schedule.fires if state in (None, j.state)]


@pytest.mark.parametrize("zone_type", [1, 2])
def test_each_class_in_both_zone_types(make_app: Any, zone_type: int) -> None:
    z = zone_type
    app = make_app("2026-11-12T00:00:00+00:00")
    desired = [
        body(f"ok_{z}", periodical("09:00:00", zone_type=z)),
        body(f"failed_{z}", periodical("10:00:00", zone_type=z)),
        body(f"missed_{z}", periodical("11:00:00", zone_type=z)),
        body(f"unexpected_{z}", periodical("09:00:00", "week", z, point=["MON"])),
        body(f"quiet_{z}", {"single": {"time": "2026-12-24 18:00:00", "zone_type": z}}),
    ]
    # In the app, someone added Thursdays to the weekly one by hand.
    console = body(f"unexpected_{z}", periodical("09:00:00", "week", z, point=["MON", "THU"]))
    app.create(*desired[:3], console, desired[4])
    app.clock("2026-11-16T00:00:00+00:00")
    app.faults(f"run-error=failed_{z}:1011", f"run-drop=missed_{z}")
    app.clock(NOW.isoformat())
    health = app.health(desired)
    assert classes(health) == {
        f"failed_{z}": "failed",
        f"missed_{z}": "missed",
        f"ok_{z}": "ok",
        f"quiet_{z}": "quiet",
        f"unexpected_{z}": "unexpected",
    }
    # The window holds the fires due from 11-14 to 11-21: seven a day each.
    failed = next(s for s in health.schedules if s.state == "failed")
    assert failed.failures() == [
        (1011, "cannot find sending target: no device matched the audience", 1)
    ]
    assert len(failed.judged) == 7
    first_after_fault = "11-16 10:00" if z == 1 else "11-17 10:00"  # UTC+14 reached it first
    assert walls(health, f"failed_{z}", "failed") == [first_after_fault]
    assert walls(health, f"missed_{z}", "missed") == ["11-16 11:00" if z == 1 else "11-17 11:00"]
    (stray,) = [s for s in health.schedules if s.state == "unexpected"]
    assert len(stray.unexpected) == 1  # Thursday 11-19
    assert stray.zone == ("UTC" if z == 1 else "device-local (UTC+14 to UTC-12)")
    assert [s.name for s in health.unhealthy] == [f"failed_{z}", f"missed_{z}"]


def test_a_dst_change_inside_the_window(make_app: Any) -> None:
    """New York falls back on 2026-11-01: 09:00 local moves from 13:00 to 14:00 UTC."""
    app = make_app("2026-10-26T00:00:00+00:00", site="America/New_York")
    desired = [
        body("morning", periodical("09:00:00")),
        body("night", periodical("01:30:00")),  # 01:30 happens twice on 11-01
        body("device", periodical("09:00:00", zone_type=2)),
    ]
    app.create(*desired)
    now = datetime(2026, 11, 4, 12, tzinfo=UTC)
    app.clock(now.isoformat())
    health = app.health(desired, now)
    assert classes(health) == {"device": "ok", "morning": "ok", "night": "ok"}
    (morning,) = [s for s in health.schedules if s.name == "morning"]
    instants = {f"{j.fire.wall:%m-%d}": f"{j.runs[0].at:%H:%M}" for j in morning.judged}
    assert instants["10-31"] == "13:00"
    assert instants["11-01"] == instants["11-03"] == "14:00"
    assert len(morning.judged) == 7


def test_a_periodical_with_frequency_2(make_app: Any) -> None:
    app = make_app("2026-11-06T00:00:00+00:00")
    desired = [
        body("every_other_day", periodical("09:00:00", start="2026-11-01 00:00:00", frequency=2)),
        body(
            "fortnightly",
            periodical("09:00:00", "week", point=["MON"], start="2026-11-02 00:00:00", frequency=2),
        ),
    ]
    app.create(*desired)
    app.clock(NOW.isoformat())
    health = app.health(desired, since=timedelta(days=14))
    assert classes(health) == {"every_other_day": "ok", "fortnightly": "ok"}
    assert walls(health, "every_other_day") == [
        f"11-{d} 09:00" for d in ("07", "09", "11", "13", "15", "17", "19")
    ]
    assert walls(health, "fortnightly") == ["11-16 09:00"]  # not 11-09 (before), not 11-23


def test_month_dates_a_month_lacks(make_app: Any) -> None:
    app = make_app("2026-10-20T00:00:00+00:00")
    desired = [
        body("month_end", periodical("09:00:00", "month", point=["30", "31"])),
        body("the_31st", periodical("09:00:00", "month", point=["31"])),
    ]
    app.create(*desired)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    app.clock(now.isoformat())
    november = app.health(desired, now, since=timedelta(days=30))
    assert walls(november, "month_end") == ["11-30 09:00"]  # no 11-31
    # A window with only a 31st in it, in a month that has none, expects nothing.
    assert classes(november) == {"month_end": "ok", "the_31st": "quiet"}
    both = app.health(desired, now, since=timedelta(days=31))
    assert walls(both, "month_end") == ["10-31 09:00", "11-30 09:00"]
    assert walls(both, "the_31st") == ["10-31 09:00"]
    assert classes(both) == {"month_end": "ok", "the_31st": "ok"}


def git(repo: Path, *args: str, when: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.test"}
    env.update(GIT_COMMITTER_NAME="a", GIT_COMMITTER_EMAIL="a@example.test")
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def commit(repo: Path, schedule: dict[str, Any], when: str) -> None:
    (repo / "schedules.d").mkdir(exist_ok=True)
    (repo / "schedules.d" / f"{schedule['name']}.yaml").write_text(yaml.safe_dump(schedule))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "change", when=when)


def test_an_edited_trigger_is_matched_against_the_trigger_in_force(
    make_app: Any, tmp_path: Path
) -> None:
    """09:00 until 11-17, when a merged change moved it to 18:00 and apply followed."""
    git(tmp_path, "init", "-q")
    before, after = body("news", periodical("09:00:00")), body("news", periodical("18:00:00"))
    commit(tmp_path, before, "2026-11-10T00:00:00+00:00")
    app = make_app("2026-11-10T00:05:00+00:00")
    (news,) = app.create(before)
    app.clock("2026-11-17T12:00:00+00:00")
    commit(tmp_path, after, "2026-11-17T12:00:00+00:00")
    app.clock("2026-11-17T12:06:00+00:00")
    app.update(news, after)
    app.clock(NOW.isoformat())
    start = NOW - timedelta(days=7)
    history = trigger_history(
        tmp_path, "schedules.d/**/*.yaml", start - timedelta(days=4), NOW, max_file_bytes=10**6
    )
    assert history.available, history.reason
    known = app.health([after], history=history, root=tmp_path)
    assert classes(known) == {"news": "ok"}
    assert walls(known, "news") == [
        "11-14 09:00", "11-15 09:00", "11-16 09:00", "11-17 09:00",
        "11-17 18:00", "11-18 18:00", "11-19 18:00", "11-20 18:00",
    ]  # fmt: skip
    assert known.schedules[0].notes == (
        "the repository's history: declared 2026-11-10 00:00 UTC, changed 2026-11-17 12:00 UTC",
    )
    # Without the history (a shallow clone, no git): today's trigger over the whole window,
    # as the note says: the 18:00 fires before the edit are missed, the 09:00 runs stray.
    blind = app.health([after])
    (news_health,) = blind.schedules
    assert news_health.state == "missed"
    assert walls(blind, "news", "missed") == ["11-14 18:00", "11-15 18:00", "11-16 18:00"]
    assert len(news_health.unexpected) == 4
    assert news_health.notes == ("today's trigger over the whole window (no history in this test)",)


def test_a_schedule_absent_from_the_repository_is_checked_against_the_apps_trigger(
    make_app: Any,
) -> None:
    app = make_app("2026-11-12T00:00:00+00:00")
    (rogue,) = app.create(body("rogue", periodical("07:00:00")))
    app.clock("2026-11-18T00:00:00+00:00")
    app.faults("run-error=rogue:1030:2")
    app.clock(NOW.isoformat())
    (schedule,) = app.health([]).schedules
    assert (schedule.name, schedule.state, schedule.source) == ("rogue", "failed", "app")
    assert schedule.schedule_ids == (rogue,)
    assert schedule.failures() == [(1030, "internal service timeout", 2)]
    assert schedule.notes[0].startswith("absent from the repository: the app's trigger of today")


def test_outside_manage_prefix_nothing_is_checked(make_app: Any) -> None:
    app = make_app("2026-11-12T00:00:00+00:00")
    app.create(body("theirs", periodical("07:00:00")))
    app.clock(NOW.isoformat())
    target_app = app
    target = Target("t", Path("."), endpoint="http://emulator.test", manage_prefix="team_")

    async def check() -> Health:
        async with client_for(target_app.app) as client:
            return await check_health(
                target, client, [], NO_HISTORY, (NOW - timedelta(days=7), NOW)
            )

    assert asyncio.run(check()).schedules == ()


def test_a_desired_schedule_not_in_the_app_missed_every_fire_and_an_expired_one_is_unchecked(
    make_app: Any,
) -> None:
    app = make_app("2026-11-12T00:00:00+00:00")
    once = body("once", {"single": {"time": "2026-11-19 10:00:00", "zone_type": 1}})
    app.create(once)
    app.clock(NOW.isoformat())  # `once` fired on 11-19 and expired: it left the list
    never = body("never_created", periodical("09:00:00"))
    health = app.health([once, never])
    assert classes(health) == {"never_created": "missed", "once": "unchecked"}
    by_name = {s.name: s for s in health.schedules}
    assert len(by_name["never_created"].of_state("missed")) == 7
    assert "not in the app" in by_name["never_created"].notes[-1]
    assert "read its runs by id" in by_name["once"].notes[-1]
    assert health.unhealthy == (by_name["never_created"],)


def test_several_copies_of_a_name_are_read_together(make_app: Any) -> None:
    app = make_app("2026-11-12T00:00:00+00:00")
    daily = body("daily", periodical("09:00:00"))
    app.create(daily, daily)
    app.clock(NOW.isoformat())
    (schedule,) = app.health([daily]).schedules
    assert schedule.state == "ok"
    assert len(schedule.schedule_ids) == 2
    assert all(len(j.runs) == 2 for j in schedule.judged)
    assert "2 schedules in the app share this name" in schedule.notes[-1]


def parked_copy(name: str, parked: str) -> dict[str, Any]:
    """A create an interrupted apply left parked (its fire time far ahead, the mark stamped)."""
    copy = body(name, {"single": {"time": "2027-11-10 09:00:00", "zone_type": 1}})
    copy["push"]["request_id"] = f"reconciler-parked:{parked}:writer1"
    return copy


def test_parked_copies_are_not_schedules_and_stale_ones_are_noted(make_app: Any) -> None:
    app = make_app("2026-11-12T00:00:00+00:00")
    daily = body("daily", periodical("09:00:00"))
    app.create(daily, parked_copy("daily", "20261112T000000Z"))
    app.create(parked_copy("orphan", "20261112T000000Z"))
    app.clock("2026-11-20T23:00:00+00:00")
    app.create(parked_copy("fresh", "20261120T230000Z"))  # another writer settling it now
    app.clock(NOW.isoformat())
    health = app.health([daily])
    assert classes(health) == {"daily": "ok"}
    (daily_health,) = health.schedules
    assert len(daily_health.schedule_ids) == 1
    (note,) = health.notes
    assert note.startswith("2 parked copies (daily, orphan) left by an interrupted apply")
