"""Seen: the schedule ids an app has shown us, remembered in `.reconciler/seen-<target>.json`.

Why: a schedule that expired (a one-off push that fired, a window that closed)
leaves the app's list but keeps its runs, which only its id reaches
(`GET /v4/schedules/{id}/msg-ids`), and the API has no look-up by name. Without
a memory, `health` could not tell whether last night's one-off push went out:
by the next morning it is gone from the list. So every listing `health` reads,
and every schedule `apply` creates, is remembered here (id, name, when first
and last seen), and `health` reads the runs of a desired schedule that is no
longer listed by the ids remembered for its name.

It is a cache, never a source of truth: an entry not seen for `KEEP` (health
looks back at most 31 days, and two more before that) is dropped; an unreadable,
oversized or foreign file is taken as empty and replaced by the next write,
never an error; a write that fails (a read-only checkout) is the caller's note,
never a failed command. In CI the workflows keep the file between runs in the
Actions cache. It holds names and ids only, never a credential or a body.

    {"format_version": 1, "target": "prod",
     "schedules": {"<id>": {"name": "…", "first_seen": "…", "last_seen": "…"}}}
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = ["KEEP", "MAX_BYTES", "Seen", "path_for", "read_seen", "remember"]

FORMAT_VERSION = 1
#: How long an id is remembered after it was last seen.
KEEP = timedelta(days=45)
#: A file larger than this is not read (a quota of 1000 schedules a day for KEEP is ~10 MB).
MAX_BYTES = 16 * 1024 * 1024
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class Seen:
    """One schedule id the app showed us, its name, and when."""

    schedule_id: str
    name: str
    first_seen: datetime
    last_seen: datetime


def path_for(root: Path, target: str) -> Path:
    """`.reconciler/seen-<target>.json` under the repository root (odd characters %-escaped)."""
    safe = _SAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m[0].encode()), target)
    return root / ".reconciler" / f"seen-{safe}.json"


def _entry(schedule_id: Any, value: Any) -> Seen | None:
    if not isinstance(schedule_id, str) or not isinstance(value, Mapping):
        return None
    name, first, last = value.get("name"), value.get("first_seen"), value.get("last_seen")
    if not (isinstance(name, str) and isinstance(first, str) and isinstance(last, str)):
        return None
    try:
        first_seen, last_seen = datetime.fromisoformat(first), datetime.fromisoformat(last)
    except ValueError:
        return None
    if first_seen.tzinfo is None or last_seen.tzinfo is None:
        return None
    return Seen(schedule_id, name, first_seen, last_seen)


def read_seen(path: Path, target: str) -> dict[str, Seen]:
    """The ids remembered for `target` (id -> Seen); empty when there is no usable file."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        return {}
    schedules = data.get("schedules")
    if data.get("target") != target or not isinstance(schedules, dict):
        return {}
    found = (_entry(k, v) for k, v in schedules.items())
    return {seen.schedule_id: seen for seen in found if seen is not None}


def remember(path: Path, target: str, shown: Iterable[tuple[str, str]], now: datetime) -> None:
    """Add the (id, name) pairs the app showed at `now`, drop what is older than KEEP, and
    write the file whole (a temporary file renamed over it: a reader never sees half).

    Raises OSError when the file cannot be written; the caller decides what that means.
    """
    known = read_seen(path, target)
    for schedule_id, name in shown:
        before = known.get(schedule_id)
        first = before.first_seen if before is not None and before.name == name else now
        known[schedule_id] = Seen(schedule_id, name, first, now)
    kept = {i: s for i, s in known.items() if now - s.last_seen <= KEEP}
    data = {
        "format_version": FORMAT_VERSION,
        "target": target,
        "schedules": {
            i: {
                "name": s.name,
                "first_seen": s.first_seen.isoformat(),
                "last_seen": s.last_seen.isoformat(),
            }
            for i, s in sorted(kept.items())
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".seen-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=1)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
