"""JSON pointers (RFC 6901): the one way paths into a schedule or the config are written.

Diagnostics, plan diffs, `ignore_fields` and the loader's position map all name a
place with a pointer such as `/push/body/notification/alert`; a key holding `/` or
`~` is escaped (`~1`, `~0`) so that every pointer splits back into the keys it came
from.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["escape", "join", "parent", "split", "unescape"]


def escape(key: object) -> str:
    """One pointer segment: `~` -> `~0`, `/` -> `~1` (in that order)."""
    return str(key).replace("~", "~0").replace("/", "~1")


def unescape(segment: str) -> str:
    """The key one pointer segment stands for (the inverse of `escape`)."""
    return segment.replace("~1", "/").replace("~0", "~")


def join(parts: Iterable[object]) -> str:
    """The pointer of a path of keys and indexes: `["push", "to"]` -> `/push/to`."""
    return "".join("/" + escape(part) for part in parts)


def split(pointer: str) -> list[str]:
    """The keys of a pointer: `/push/to` -> `["push", "to"]`; the root `""` -> `[]`."""
    return [unescape(segment) for segment in pointer.split("/")[1:]]


def parent(pointer: str) -> str:
    """The pointer one level up; the root is its own parent."""
    return pointer.rsplit("/", 1)[0]
