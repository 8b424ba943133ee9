"""Health: did the pushes go out? Expected fires of each managed schedule against its runs.

Beside sync (is the app what the repository says? `plan`, drift), health asks
what a team asks the morning after: the fires each trigger should have made
(the same expansion the policies and the calendar use) against the runs the
API recorded (msg-ids), over a window, each schedule in one class: ok, failed,
missed, unexpected, quiet (or unchecked, when its runs or trigger cannot be read).

- `window`: `--since DURATION`, parsed and bounded;
- `expected`: the fires a trigger should have made, as spans of instants (the
  time rules: zone types, daylight saving, a trigger changed in the window);
- `match`: runs to fires, and the class (pure);
- `report`: the values a view renders (`Health`, `ScheduleHealth`);
- `check`: one target, end to end (files, their git history, the app, its runs).
"""

from __future__ import annotations

__all__: list[str] = []
