"""Diff: what changed between the remote and the desired form of a schedule, and whether
the API can make the change in place (an update) or only by a replacement."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core import pointer
from reconciler.core.model import JSON, trigger_kind
from reconciler.plan.changes import ABSENT, FieldChange

__all__ = ["field_diff", "replacement_reason"]


def field_diff(before: JSON, after: JSON) -> tuple[FieldChange, ...]:
    """The changed fields as JSON pointers; a changed list is shown whole.

    Only called for schedules already known to differ: deepdiff is the
    expensive part of a plan and has no business with unchanged ones.
    """
    from deepdiff import DeepDiff

    tree = DeepDiff(before, after, view="tree", verbose_level=2)
    found: dict[str, FieldChange] = {}
    for kind in tree:
        for level in tree[kind]:
            parts = level.path(output_format="list")
            # A list is shown whole: "point: [MON] -> [MON, THU]" reads better than
            # an index-by-index account of how it moved.
            node_before: Any = before
            node_after: Any = after
            kept: list[Any] = []
            for part in parts:
                if isinstance(node_before, list) or isinstance(node_after, list):
                    break
                kept.append(part)
                node_before = (
                    node_before.get(part, ABSENT) if isinstance(node_before, dict) else ABSENT
                )
                node_after = (
                    node_after.get(part, ABSENT) if isinstance(node_after, dict) else ABSENT
                )
            path = pointer.join(kept)
            found.setdefault(path, FieldChange(path, node_before, node_after))
    return tuple(sorted(found.values(), key=lambda d: d.path))


def _zone_of(body: Mapping[str, Any]) -> tuple[str | None, Any]:
    trigger = body.get("trigger") or {}
    kind = trigger_kind(trigger) if isinstance(trigger, Mapping) else None
    inner = trigger.get(kind) if kind else None
    return kind, inner.get("zone_type") if isinstance(inner, Mapping) else None


def replacement_reason(before: Mapping[str, Any], after: Mapping[str, Any]) -> str | None:
    """Why the API cannot update `before` into `after`, or None if it can."""
    kind_before, zone_before = _zone_of(before)
    kind_after, zone_after = _zone_of(after)
    if kind_before != kind_after:
        return f"forces replacement: trigger {kind_before} -> {kind_after}"
    if zone_before != zone_after:
        return f"forces replacement: zone_type {_show(zone_before)} -> {_show(zone_after)}"
    return None


def _show(zone_type: Any) -> str:
    return "absent" if zone_type is None else str(zone_type)
