"""Core: pure values and time, what every stage reads and nothing of the others.

pointer.py      JSON pointers (RFC 6901)
diagnostics.py  Diagnostic: one finding at a file, line and column
model.py        the canonical schedule (Schedule, triggers), and canonical JSON
timing.py       parsing times, zones, and when a trigger fires
fires.py        fire times over a window, landed in a zone
audience.py     who a push reaches, and which pushes share an audience
parked.py       the mark of a create an interrupted apply left parked, and reading it
"""

__all__: list[str] = []
