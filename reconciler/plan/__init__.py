"""Plan: the desired schedules against the remote ones, as the changes that would make them one.

changes.py    Change, FieldChange, Plan, Clock: the values a plan is made of
planner.py    make_plan: match by name, classify, checksum
leftovers.py  the parked copies interrupted applies left: complete or withdraw
diff.py       the changed fields, and what forces a replacement
guards.py     the safety thresholds on a plan
"""

from reconciler._compat import forward

__all__: list[str] = []

# The names of the old flat module of this name, for one release (with a DeprecationWarning).
__getattr__ = forward(__name__)
