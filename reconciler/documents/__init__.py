"""Documents: files read with bounds, into positioned YAML documents, checked by the schemas.

compose.py  YAML composed event by event, with bounds (depth, aliases) and positions
load.py     the schedule files of a glob, read within limits, as Documents
schema.py   the shipped JSON schemas, and a fast check against them
"""

__all__: list[str] = []
