"""Run faults: a schedule's next runs fail with a given push error, or pass with no run (a miss).

Counted, not random: `run-error=SCHEDULE:CODE[:N]` and `run-drop=SCHEDULE[:N]`, from
`--fault` or `PUT /_emulator/faults`, SCHEDULE a name or a schedule id.
"""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.emulator import Settings
from reconciler.emulator.faults import FaultSpecError, RunFault, parse_fault
from tests.support.clock import NOW
from tests.support.emulator import Api

DAILY: dict[str, Any] = {
    "name": "daily",
    "enabled": True,
    "trigger": {
        "periodical": {
            "start": "2026-11-21 00:00:00",
            "end": "2027-06-01 00:00:00",
            "time": "09:00:00",
            "time_unit": "day",
            "zone_type": 1,
        }
    },
    "push": {"to": "all", "body": {"platform": "all", "notification": {"alert": "x"}}},
}


def outcomes(api: Api, sid: str) -> list[tuple[str, int, str]]:
    """(UTC minute, error code, message) of each recorded run, oldest first."""
    times = api.fire_times(sid)
    runs = api.runs(sid)
    return [
        (t, r["error"]["code"], r["error"]["message"]) for t, r in zip(times, runs, strict=True)
    ]


def test_run_fault_specs_parse() -> None:
    assert parse_fault("run-error=daily:1011") == RunFault("daily", 1011, 1)
    assert parse_fault("run-error=daily:1011:3") == RunFault("daily", 1011, 3)
    assert parse_fault("run-drop=daily") == RunFault("daily", None, 1)
    sid = "6f1c2d3e-0000-4000-8000-000000000000"
    assert parse_fault(f"run-drop={sid}:2") == RunFault(sid, None, 2)
    assert RunFault("daily", 1011, 1).message == "Cannot find sending target"
    assert RunFault("daily", 4242, 1).message == "injected run failure 4242"


@pytest.mark.parametrize(
    "spec", ["run-error=daily", "run-error=daily:0", "run-error=daily:x", "run-drop=daily:0",
             "run-drop=", "run-error=:1011", "run-drop=a:b:c"],
)  # fmt: skip
def test_bad_run_fault_specs_are_one_line_errors(spec: str) -> None:
    with pytest.raises(FaultSpecError) as caught:
        parse_fault(spec)
    assert "\n" not in str(caught.value)
    assert spec in str(caught.value)


def test_the_next_runs_fail_with_the_code_then_runs_are_sent_again() -> None:
    with Api(Settings(now=NOW, faults=("run-error=daily:1011:2",))) as api:
        sid = api.create(DAILY)
        assert api.get("/_emulator/faults").json()["runs_left"] == {"daily": 2}
        api.set_clock("2026-11-24T12:00:00+00:00")
        assert outcomes(api, sid) == [
            ("2026-11-21 09:00", 1011, "Cannot find sending target"),
            ("2026-11-22 09:00", 1011, "Cannot find sending target"),
            ("2026-11-23 09:00", 0, ""),
            ("2026-11-24 09:00", 0, ""),
        ]
        assert [r["msg_id"] for r in api.runs(sid)][:2] == ["0", "0"]
        assert api.get("/_emulator/faults").json()["runs_left"] == {"daily": 0}


def test_a_dropped_run_is_a_fire_time_with_no_run() -> None:
    with Api(Settings(now=NOW)) as api:
        sid = api.create(DAILY)
        # By id, through the admin API, as a test or a demo sets it mid-run.
        assert api.faults(f"run-drop={sid}").status_code == 200
        api.set_clock("2026-11-23T12:00:00+00:00")
        assert [t for t, _, _ in outcomes(api, sid)] == ["2026-11-22 09:00", "2026-11-23 09:00"]


def test_run_faults_touch_only_their_schedule_and_drops_come_first() -> None:
    other = {**DAILY, "name": "other"}
    faults = ("run-error=daily:1030", "run-drop=daily")
    with Api(Settings(now=NOW, faults=faults)) as api:
        sid, other_id = api.create(DAILY), api.create(other)
        api.set_clock("2026-11-23T12:00:00+00:00")
        assert outcomes(api, sid) == [
            ("2026-11-22 09:00", 1030, "Internal service timeout"),
            ("2026-11-23 09:00", 0, ""),
        ]
        assert [code for _, code, _ in outcomes(api, other_id)] == [0, 0, 0]


def test_run_faults_draw_nothing_from_the_request_fault_stream() -> None:
    """A run fault beside request faults leaves the seeded stream as it was."""
    with Api(Settings(now=NOW, faults=("error=503:0.5",), seed=7)) as plain:
        alone = [plain.get("/v4/schedules").status_code for _ in range(20)]
    faults = ("error=503:0.5", "run-error=daily:1011:5")
    with Api(Settings(now=NOW, faults=faults, seed=7)) as mixed:
        beside = [mixed.get("/v4/schedules").status_code for _ in range(20)]
    assert alone == beside
    assert 503 in alone
