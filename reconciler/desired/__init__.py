"""Desired: the schedule files read and validated into the desired set.

validate.py  each document against the schema and the documented rules
names.py     valid names, one schedule per name, no look-alike names
read.py      a target's desired set (Desired), read once per set of equal inputs,
             with its policy findings
"""

__all__: list[str] = []
