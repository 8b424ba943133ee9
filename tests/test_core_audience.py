"""Audience: what a push names, and which schedules reach a common audience."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.core.audience import Overlap, audience_of, describe, members


def overlaps(a: Any, b: Any) -> bool:
    overlap = Overlap([audience_of(a), audience_of(b)])
    assert bool(overlap.neighbours(0) & 0b10) == bool(overlap.neighbours(1) & 0b01)  # symmetric
    return bool(overlap.neighbours(0) & 0b10)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("all", "all", True),
        ("all", {"alias": ["u1"]}, True),  # "all" overlaps every audience
        ("all", {"tag": []}, True),  # even one naming no one, by the rule's letter
        ({"tag": ["vip"]}, {"tag": ["vip", "new"]}, True),
        ({"tag": ["vip"]}, {"tag": ["new"]}, False),
        ({"tag": ["vip"]}, {"alias": ["vip"]}, False),  # same value, another key
        ({"tag": ["vip"]}, {"tag_and": ["vip"]}, False),  # tag_and is its own key
        ({"tag_and": ["vip", "de"]}, {"tag_and": ["vip", "fr"]}, True),
        ({"tag": ["vip"], "tag_not": ["churned"]}, {"tag": ["new"], "tag_not": ["churned"]}, False),
        ({"tag_not": ["churned"]}, {"alias": ["u1"]}, True),  # only exclusions: everyone else
        ({"seg": {"id": "s1"}}, {"seg": {"id": "s1"}}, True),
        ({"seg": {"id": "s1"}}, {"seg": {"id": "s2"}}, False),
        ({"registration_id": ["r1"]}, {"registration_id": ["r1"]}, True),
        ({"live_activity_id": "x"}, {"live_activity_id": "x"}, True),
        ({"tag": []}, {"tag": []}, False),  # no one meets no one
    ],
)
def test_two_schedules_reach_a_common_audience(a: Any, b: Any, expected: bool) -> None:
    assert overlaps(a, b) is expected


def test_each_schedule_counts_itself_and_only_its_overlaps() -> None:
    audiences = [
        audience_of({"tag": ["a"]}),
        audience_of({"tag": ["b"]}),
        audience_of({"tag": ["a", "b"]}),
        audience_of("all"),
        audience_of({"alias": ["z"]}),
    ]
    overlap = Overlap(audiences)
    assert members(overlap.neighbours(0)) == [0, 2, 3]
    assert members(overlap.neighbours(1)) == [1, 2, 3]
    assert members(overlap.neighbours(2)) == [0, 1, 2, 3]  # not transitive: 0 and 1 do not meet
    assert members(overlap.neighbours(3)) == [0, 1, 2, 3, 4]
    assert members(overlap.neighbours(4)) == [3, 4]


def test_members_lists_set_bits_up_to_a_limit() -> None:
    assert members(0b101001) == [0, 3, 5]
    assert members(0b101001, 2) == [0, 3]
    assert members(0) == []


def test_describe_is_a_short_stable_label() -> None:
    assert describe("all") == "all"
    assert describe({"tag_not": ["x"], "tag": ["a", "b"]}) == "tag: a, b; tag_not: x"
    assert describe({"seg": {"id": "s1"}}) == "seg: s1"
