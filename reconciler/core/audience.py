"""Audience: whom a push names, and which schedules reach a common audience.

Two schedules reach a common audience when either `to` is "all", or both name
the same value under the same audience key (`tag`, `tag_and`, `alias`,
`registration_id`, `live_activity_id`, `seg` by its id). The file cannot say
more: two different tags may well share users, which only the app knows.
`tag_not` only narrows an audience, so naming the same excluded tag is no
common audience; a `to` that names nothing but exclusions reaches everyone
else, and is read like "all".

The overlap is kept as bit masks (bit i: schedule i), so that "every schedule
that reaches a common audience with this one" is a few integer operations,
however many schedules share a tag.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["Audience", "Overlap", "audience_of", "describe", "members"]

# The audience of a push: the (key, value) pairs it names, or None for everyone.
Audience = frozenset[tuple[str, str]] | None
_EXCLUDING = ("tag_not",)


def audience_of(to: Any) -> Audience:
    """The (key, value) pairs `to` names; None when it reaches everyone."""
    if not isinstance(to, Mapping):
        return None  # "all" (the schema allows nothing else that is not a mapping)
    pairs: set[tuple[str, str]] = set()
    including = False
    for key, value in to.items():
        if key in _EXCLUDING:
            continue
        including = True
        if key == "seg" and isinstance(value, Mapping):
            value = value.get("id")
        values = value if isinstance(value, list | tuple) else [value]
        pairs.update((key, str(v)) for v in values if v is not None)
    # Only exclusions: everyone but them. Only empty lists: no one, so it shares
    # no value with anyone (a push to "all" still counts it, by the rule's letter).
    return frozenset(pairs) if including else None


def describe(to: Any) -> str:
    """A short label of an audience: `all`, or `tag: a, b; tag_not: c`."""
    if not isinstance(to, Mapping):
        return "all"
    parts = []
    for key in sorted(to):
        value = to[key]
        if key == "seg" and isinstance(value, Mapping):
            value = value.get("id")
        values = value if isinstance(value, list | tuple) else [value]
        parts.append(f"{key}: {', '.join(str(v) for v in values)}")
    return "; ".join(parts) or "no one"


class Overlap:
    """For each schedule, the mask of the schedules reaching a common audience with it."""

    def __init__(self, audiences: Sequence[Audience]) -> None:
        self.audiences = audiences
        self.wide = 0  # schedules reaching everyone
        self.groups: dict[tuple[str, str], int] = defaultdict(int)
        for index, audience in enumerate(audiences):
            if audience is None:
                self.wide |= 1 << index
            else:
                for pair in audience:
                    self.groups[pair] |= 1 << index
        everyone = (1 << len(audiences)) - 1
        self.masks: list[int] = []
        for index, audience in enumerate(audiences):
            if audience is None:
                self.masks.append(everyone)
                continue
            mask = self.wide | (1 << index)
            for pair in audience:
                mask |= self.groups[pair]
            self.masks.append(mask)

    def neighbours(self, index: int) -> int:
        """Schedule `index` and every schedule reaching a common audience with it."""
        return self.masks[index]


def members(mask: int, limit: int | None = None) -> list[int]:
    """The indexes of the set bits of `mask`, ascending; at most `limit` of them."""
    found: list[int] = []
    while mask and (limit is None or len(found) < limit):
        low = mask & -mask
        found.append(low.bit_length() - 1)
        mask ^= low
    return found
