"""The history view: the runs of one schedule (its msg-ids), newest first, as text or JSON.

`FORMATS` lists them for `reconciler history --format` (to add one, see
reconciler/views/formats.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from reconciler.remote.protocol import Run
from reconciler.views.formats import Formats

__all__ = ["FORMATS", "History", "render_json", "render_text"]


@dataclass(frozen=True)
class History:
    """One schedule's runs, and the zone (and its name) their times are shown in."""

    name: str
    schedule_id: str
    runs: Sequence[Run]
    zone: tzinfo
    zone_name: str

    def newest_first(self) -> list[Run]:
        return sorted(self.runs, key=lambda r: r.timestamp, reverse=True)


def render_text(history: History) -> str:
    """A headline, then one line per run: time, msg_id, and sent or failed with the meaning."""
    count = len(history.runs)
    lines = [f"{history.name} (id {history.schedule_id}): {count} run{'s' * (count != 1)}"]
    for run in history.newest_first():
        when = run.timestamp.astimezone(history.zone).strftime("%Y-%m-%d %H:%M:%S")
        if run.error_code == 0:
            outcome = "sent"
        else:
            outcome = f"failed {run.error_code} {run.meaning}"
            if run.need_retry:
                outcome += " (the service will retry)"
        lines.append(f"  {when} {history.zone_name}  msg_id={run.msg_id}  {outcome}")
    return "\n".join(lines) + "\n"


def render_json(history: History) -> str:
    """`{"name", "schedule_id", "runs": [{"time", "msg_id", "error_code", …}]}`, indented."""
    data = {
        "name": history.name,
        "schedule_id": history.schedule_id,
        "runs": [_run_json(run, history.zone) for run in history.newest_first()],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _run_json(run: Run, zone: tzinfo) -> dict[str, Any]:
    return {
        "time": run.timestamp.astimezone(zone).isoformat(),
        "msg_id": run.msg_id,
        "error_code": run.error_code,
        "error_message": run.error_message,
        "meaning": run.meaning,
        "need_retry": run.need_retry,
    }


FORMATS = Formats[History]("history", {"text": render_text, "json": render_json})
