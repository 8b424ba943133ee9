"""No perpetual diff: for random valid desired sets, plan -> apply creates -> plan gives only noops.

The desired sets are written the many ways YAML and the API allow (time_unit
case, point case, order and duplicates, `point: []` / null / absent for day,
key order), then loaded from real files, planned against an empty emulator,
created through the real client, and planned again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.apply.executor import apply_plan
from reconciler.config.targets import Target
from reconciler.desired.read import validate_target
from reconciler.emulator import Settings, create_app
from reconciler.plan.changes import Plan
from reconciler.plan.planner import make_plan
from reconciler.remote.engagelab import RetryPolicy
from reconciler.repo.importer import Dumper
from tests.support.api import client_for
from tests.support.clock import NOW

names = st.text(alphabet=st.sampled_from("abcxyzABC0129_推送定时"), min_size=1, max_size=12)
cases = st.sampled_from([str.lower, str.upper, str.title])
#: The twelve months after NOW's: a trigger fires in one of the first six; a window ends six later.
MONTHS = ["2026-12", "2027-01", "2027-02", "2027-03", "2027-04", "2027-05",
          "2027-06", "2027-07", "2027-08", "2027-09", "2027-10", "2027-11"]  # fmt: skip


@st.composite
def triggers(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["single", "day", "week", "month", "intelligent"]))
    month = draw(st.integers(0, 5))
    day = draw(st.integers(1, 28))
    hour = draw(st.integers(0, 23))
    zone_type = draw(st.sampled_from([1, 2]))
    at = f"{MONTHS[month]}-{day:02d} {hour:02d}:30:00"
    if kind == "single":
        return {"single": {"zone_type": zone_type, "time": at}}
    if kind == "intelligent":
        return {"intelligent": {"backup_time": at}}
    periodical: dict[str, Any] = {
        "start": "2026-11-22 00:00:00",
        "end": f"{MONTHS[month + 6]}-{day:02d} 00:00:00",
        "time": f"{hour:02d}:15:00",
        "zone_type": zone_type,
    }
    unit = kind
    periodical["time_unit"] = draw(cases)(unit)
    if unit == "day":
        spelling = draw(st.sampled_from(["absent", "empty", "null"]))
        if spelling == "empty":
            periodical["point"] = []
        elif spelling == "null":
            periodical["point"] = None
    elif unit == "week":
        days = draw(
            st.lists(
                st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
                min_size=1,
                max_size=9,
            )
        )
        periodical["point"] = [draw(cases)(d) for d in days]
    else:
        dates = draw(st.lists(st.integers(1, 28), min_size=1, max_size=5))
        periodical["point"] = [f"{d:02d}" for d in dates]
    if draw(st.booleans()):
        periodical["frequency"] = draw(st.integers(1, 3))
    keys = list(periodical)
    order = draw(st.permutations(keys))
    return {"periodical": {k: periodical[k] for k in order}}


@st.composite
def desired_sets(draw: st.DrawFn) -> list[dict[str, Any]]:
    chosen = draw(st.lists(names, min_size=1, max_size=8, unique=True))
    out = []
    for name in chosen:
        push: dict[str, Any] = {
            "to": draw(
                st.sampled_from(["all", {"tag": ["vip"]}, {"registration_id": ["r1", "r2"]}])
            ),
            "body": {
                "platform": draw(st.sampled_from(["all", "android", ["ios", "android"]])),
                "notification": {"alert": draw(st.text(min_size=1, max_size=20))},
            },
        }
        if draw(st.booleans()):
            push["body"]["options"] = {"time_to_live": draw(st.integers(0, 86400))}
        doc = {"name": name, "enabled": True, "trigger": draw(triggers()), "push": push}
        keys = draw(st.permutations(list(doc)))
        out.append({k: doc[k] for k in keys})
    return out


def write_files(root: Path, docs: list[dict[str, Any]]) -> None:
    folder = root / "schedules.d"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.yaml"):
        old.unlink()
    # Half in one multi-document file, the rest one per file.
    half = len(docs) // 2
    # The importer's dumper: PyYAML's own (YAML 1.1) leaves `0E0` plain, a number to YAML 1.2.
    (folder / "many.yaml").write_text(
        yaml.dump_all(docs[:half], Dumper=Dumper, allow_unicode=True), encoding="utf-8"
    )
    for i, doc in enumerate(docs[half:]):
        text = yaml.dump(doc, Dumper=Dumper, allow_unicode=True, default_flow_style=bool(i % 2))
        (folder / f"one_{i}.yaml").write_text(text, encoding="utf-8")


async def round_trip(target: Target) -> tuple[Plan, Plan]:
    _loaded, result = validate_target(target, NOW)
    assert result.ok, [str(d) for d in result.diagnostics]
    app = create_app(Settings(now=NOW))
    client = client_for(app, retry=RetryPolicy(base_delay=0.001, max_delay=0.01))
    async with client:
        first = make_plan(result.schedules, await client.list_schedules(), target, NOW)
        report = await apply_plan(first, client)
        assert not report.failed, [o.line() for o in report.failed]
        second = make_plan(result.schedules, await client.list_schedules(), target, NOW)
    return first, second


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(docs=desired_sets())
def test_applied_then_planned_again_is_all_noop(tmp_path: Path, docs: list[dict[str, Any]]) -> None:
    write_files(tmp_path, docs)
    target = Target(name="prop", root=tmp_path)
    first, second = asyncio.run(round_trip(target))
    assert first.summary["create"] == len(docs)
    assert {c.action for c in second.changes} == {"noop"}, [
        (c.name, c.action, [d.data() for d in c.diff]) for c in second.changes if c.action != "noop"
    ]
