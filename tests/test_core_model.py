"""The canonical form: every spelling the API treats as equal folds into one, stably."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.config.targets import Target
from reconciler.core.model import (
    WEEKDAYS,
    Intelligent,
    Periodical,
    Schedule,
    Single,
    Source,
    canonical,
    canonical_json,
    remove_pointers,
    schedule_from_json,
    trigger_from_json,
    trigger_to_json,
)
from reconciler.desired.validate import validate
from reconciler.documents.load import parse_documents
from tests.support.clock import NOW

TARGET = Target(name="test", root=Path("."), site_timezone="UTC")
PUSH = {"to": "all", "body": {"platform": "all", "notification": {"alert": "hi"}}}


def periodical_json(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "start": "2026-06-02 00:00:00",
        "end": "2027-01-01 00:00:00",
        "time": "09:00:00",
        "time_unit": "week",
        "point": ["MON"],
        "zone_type": 1,
    }
    base.update(fields)
    return {"name": "p", "enabled": True, "trigger": {"periodical": base}, "push": PUSH}


# --- the canonical form, case by case ------------------------------------------------------


def test_week_points_upper_case_in_weekday_order_without_duplicates() -> None:
    trigger = trigger_from_json(
        periodical_json(time_unit="WEEK", point=["sun", "Mon", "fri", "MON", "wed"])["trigger"]
    )
    assert isinstance(trigger, Periodical)
    assert trigger.time_unit == "week"
    assert trigger.point == ("MON", "WED", "FRI", "SUN")


def test_month_points_in_date_order() -> None:
    trigger = trigger_from_json(
        periodical_json(time_unit="Month", point=["31", "02", "10", "01", "02"])["trigger"]
    )
    assert isinstance(trigger, Periodical)
    assert trigger.point == ("01", "02", "10", "31")


@pytest.mark.parametrize("point", [None, [], "absent"])
def test_day_has_no_points_however_written(point: Any) -> None:
    obj = periodical_json(time_unit="Day", point=point)
    if point == "absent":
        del obj["trigger"]["periodical"]["point"]
    assert canonical(obj)["trigger"]["periodical"] == {
        "start": "2026-06-02 00:00:00",
        "end": "2027-01-01 00:00:00",
        "time": "09:00:00",
        "time_unit": "day",
        "zone_type": 1,
    }


def test_frequency_1_is_the_same_as_absent() -> None:
    with_one = trigger_from_json(periodical_json(frequency=1)["trigger"])
    without = trigger_from_json(periodical_json()["trigger"])
    assert with_one == without
    assert "frequency" not in trigger_to_json(with_one)["periodical"]
    assert (
        trigger_to_json(trigger_from_json(periodical_json(frequency=7)["trigger"]))["periodical"][
            "frequency"
        ]
        == 7
    )


def test_key_order_is_irrelevant() -> None:
    forward = periodical_json(point=["TUE", "MON"])
    backward = json.loads(json.dumps(forward), object_pairs_hook=lambda p: dict(reversed(p)))
    assert list(backward) != list(forward)
    assert canonical_json(canonical(forward)) == canonical_json(canonical(backward))
    assert schedule_from_json(forward) == schedule_from_json(backward)


def test_body_is_the_api_object_and_round_trips() -> None:
    schedule = schedule_from_json(
        {**periodical_json(time_unit="day", point=None, frequency=1), "previous_name": "old"},
        Source("f.yaml", 1, 1),
    )
    body = schedule.body()
    assert body == {
        "name": "p",
        "enabled": True,
        "trigger": {
            "periodical": {
                "start": "2026-06-02 00:00:00",
                "end": "2027-01-01 00:00:00",
                "time": "09:00:00",
                "time_unit": "day",
                "point": [],
                "zone_type": 1,
            }
        },
        "push": PUSH,
    }
    assert "previous_name" not in body
    assert schedule_from_json(body) == Schedule("p", True, schedule.trigger, PUSH)


def test_source_does_not_take_part_in_equality() -> None:
    obj = periodical_json()
    assert schedule_from_json(obj, Source("a.yaml", 1, 1)) == schedule_from_json(
        obj, Source("b.yaml", 9, 9)
    )


def test_single_and_intelligent() -> None:
    assert trigger_from_json({"single": {"time": "2026-07-01 09:00:00"}}) == Single(
        "2026-07-01 09:00:00", None
    )
    intelligent = trigger_from_json({"intelligent": {"backup_time": "2026-07-01 09:00:00"}})
    assert intelligent == Intelligent("2026-07-01 09:00:00")
    assert intelligent.zone_type is None
    assert trigger_to_json(Single("t", 2)) == {"single": {"time": "t", "zone_type": 2}}
    assert trigger_to_json(Single("t")) == {"single": {"time": "t"}}


def test_trigger_without_a_kind_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="exactly one of"):
        trigger_from_json({})


def test_canonical_keeps_foreign_shapes_and_drops_ids() -> None:
    foreign = {
        "schedule_id": "abc",
        "name": "x",
        "trigger": {"periodical": {"time_unit": "week"}},  # no start/end: not ours
        "push": {"odd": True},
    }
    assert canonical(foreign) == {
        "name": "x",
        "trigger": {"periodical": {"time_unit": "week"}},
        "push": {"odd": True},
    }
    assert canonical({"name": "y", "trigger": {"cron": "* * *"}}) == {
        "name": "y",
        "trigger": {"cron": "* * *"},
    }


def test_remove_pointers() -> None:
    obj = {"push": {"request_id": "r", "to": "all", "a/b": 1, "t~": 2}, "name": "n"}
    assert remove_pointers(obj, ("/push/request_id", "/push/a~1b", "/push/t~0", "/no/such")) == {
        "push": {"to": "all"},
        "name": "n",
    }
    assert obj["push"]["request_id"] == "r"  # the input is untouched
    assert remove_pointers(obj, ()) is obj


def test_canonical_json_is_stable_text() -> None:
    assert canonical_json({"b": 1, "a": ["推", 2]}) == '{"a":["推",2],"b":1}'


# --- properties ----------------------------------------------------------------------------

weekday = st.sampled_from(WEEKDAYS)
month_day = st.integers(1, 31).map(lambda d: f"{d:02d}")
any_case = st.sampled_from([str.lower, str.upper, str.title, lambda s: s])
datetimes = st.datetimes(datetime(2026, 11, 22), datetime(2027, 10, 21)).map(
    lambda d: d.strftime("%Y-%m-%d %H:%M:%S")
)
times = st.times().map(lambda t: t.strftime("%H:%M:%S"))


@st.composite
def periodicals(draw: st.DrawFn) -> dict[str, Any]:
    unit = draw(st.sampled_from(["day", "week", "month"]))
    start = draw(datetimes)
    trigger: dict[str, Any] = {
        "start": start,
        "end": "2027-11-21 00:00:00",
        "time": draw(times),
        "time_unit": unit,
        "zone_type": draw(st.sampled_from([1, 2])),
    }
    if unit == "week":
        trigger["point"] = draw(st.lists(weekday, min_size=1, max_size=7, unique=True))
    elif unit == "month":
        trigger["point"] = draw(st.lists(month_day, min_size=1, max_size=5, unique=True))
    frequency = draw(st.none() | st.integers(1, 100))
    if frequency is not None:
        trigger["frequency"] = frequency
    return {"periodical": trigger}


triggers = (
    st.builds(
        lambda t, z: {"single": {"time": t, "zone_type": z}}, datetimes, st.sampled_from([1, 2])
    )
    | periodicals()
    | st.builds(lambda t: {"intelligent": {"backup_time": t}}, datetimes)
)


# YAML text allows no control characters, written or escaped past U+FFFF.
alerts = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=10)


@st.composite
def schedules(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "name": draw(st.from_regex(r"[A-Za-z0-9_推送]{1,20}", fullmatch=True)),
        "enabled": draw(st.booleans()),
        "trigger": draw(triggers),
        "push": {
            "to": draw(
                st.just("all")
                | st.builds(lambda t: {"tag": t}, st.lists(st.text("ab"), max_size=3))
            ),
            "body": {"platform": "all", "notification": {"alert": draw(alerts)}},
        },
    }


@st.composite
def respellings(draw: st.DrawFn, obj: dict[str, Any]) -> dict[str, Any]:
    """The same schedule as the API (and the planner) must see it, spelled differently."""
    obj = json.loads(json.dumps(obj))
    p = obj["trigger"].get("periodical")
    if p is not None:
        unit = p["time_unit"]
        p["time_unit"] = draw(any_case)(unit)
        if unit == "day":
            choice = draw(st.sampled_from(["absent", "empty", "null"]))
            if choice != "absent":
                p["point"] = [] if choice == "empty" else None
        else:
            points = draw(st.permutations(p["point"]))
            points = points + draw(st.lists(st.sampled_from(points), max_size=2))
            p["point"] = [draw(any_case)(x) for x in points]
        if "frequency" not in p and draw(st.booleans()):
            p["frequency"] = 1
    return shuffle_keys(obj, draw(st.randoms(use_true_random=False)))


def shuffle_keys(value: Any, rng: Any) -> Any:
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: shuffle_keys(value[k], rng) for k in keys}
    if isinstance(value, list):
        return [shuffle_keys(v, rng) for v in value]
    return value


def scalar(value: Any, flow: bool) -> str:
    """Plain when our loader reads it back unchanged (`12:00:00`, `01`, `mon`), else quoted."""
    if not isinstance(value, str):
        return json.dumps(value)
    if value and value.strip() == value and "#" not in value:
        probe = f"k: [{value}]" if flow else f"k: {value}"
        docs, diags = parse_documents(probe, "probe")
        if not diags and docs and docs[0].data == {"k": [value] if flow else value}:
            return value
    return json.dumps(value, ensure_ascii=False)


def to_yaml(value: Any, flow: bool, indent: int = 0) -> str:
    """A hand-written emitter, so that unquoted YAML 1.1 look-alikes appear in the text."""
    pad = " " * indent
    if flow:
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k}: {to_yaml(v, True)}" for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(to_yaml(v, True) for v in value) + "]"
        return scalar(value, True)
    lines = []
    for key, item in value.items():
        if isinstance(item, dict) and item:
            lines.append(f"{pad}{key}:\n{to_yaml(item, False, indent + 2)}")
        elif isinstance(item, list) and item:
            lines.append(f"{pad}{key}:\n" + "".join(f"{pad}  - {to_yaml(v, True)}\n" for v in item))
        else:
            lines.append(f"{pad}{key}: {to_yaml(item, True)}\n")
    return "".join(lines)


def load_valid(text: str) -> Schedule:
    documents, diagnostics = parse_documents(text, "f.yaml")
    assert diagnostics == [], (text, diagnostics)
    result = validate(documents, TARGET, NOW)
    errors = [str(d) for d in result.diagnostics if d.severity == "error"]
    assert errors == [], (text, errors)
    (schedule,) = result.schedules
    return schedule


@settings(max_examples=100, deadline=None)
@given(schedules())
def test_canonicalising_twice_changes_nothing(obj: dict[str, Any]) -> None:
    once = canonical(obj)
    assert canonical(once) == once
    schedule = schedule_from_json(obj)
    assert schedule_from_json(schedule.body()) == schedule
    assert canonical(schedule.body()) == canonical(canonical(schedule.body()))


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_api_equivalent_spellings_canonicalise_equal(data: st.DataObject) -> None:
    obj = data.draw(schedules())
    other = data.draw(respellings(obj))
    assert schedule_from_json(other) == schedule_from_json(obj)
    assert canonical_json(canonical(other)) == canonical_json(canonical(obj))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_yaml_equivalent_spellings_load_to_the_same_schedule(data: st.DataObject) -> None:
    obj = data.draw(schedules())
    first = data.draw(respellings(obj))
    second = data.draw(respellings(obj))
    block = to_yaml(first, flow=False)
    flow = to_yaml(second, flow=True) + "\n"
    one, two = load_valid(block), load_valid(flow)
    assert one == two == schedule_from_json(obj)
    assert canonical_json(canonical(one.body())) == canonical_json(canonical(two.body()))


def test_the_emitter_writes_yaml_1_1_look_alikes_unquoted() -> None:
    text = to_yaml({"t": "12:00:00", "p": ["01", "mon"], "s": "2026-06-02 00:00:00"}, False)
    assert text == "t: 12:00:00\np:\n  - 01\n  - mon\ns: 2026-06-02 00:00:00\n"
    assert to_yaml({"a": {"b": ["01", 2]}, "c": "yes"}, True) == "{a: {b: [01, 2]}, c: yes}"
