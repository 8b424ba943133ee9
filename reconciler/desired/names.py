"""Names: the identity rules of the desired set: a valid name, one schedule per name, one
rename per old name, and no two names that read the same but differ."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from reconciler.core.diagnostics import Diagnostic
from reconciler.core.model import Schedule, Source
from reconciler.documents.load import Document

__all__ = ["MAX_NAME_BYTES", "duplicate_names", "lookalikes", "name_problem"]

MAX_NAME_BYTES = 255


def _is_name_char(char: str) -> bool:
    # isascii first: "K" (Kelvin sign) and "İ" lower-case into ASCII letters.
    if char == "_" or (char.isascii() and char.isalnum()):
        return True
    # CJK ideographs: the unified blocks and their extensions, and compatibility ideographs.
    return unicodedata.name(char, "").startswith(
        ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")
    )


def name_problem(name: str) -> str | None:
    """Why `name` is not a valid schedule name, or None."""
    size = len(name.encode("utf-8"))
    if size == 0:
        return "is empty"
    if size > MAX_NAME_BYTES:
        return f"is {size} bytes of UTF-8; at most {MAX_NAME_BYTES} are allowed"
    for index, char in enumerate(name):
        if not _is_name_char(char):
            shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
            if not char.isascii() and char.isprintable():
                shown += f" (U+{ord(char):04X})"  # "K" may be the Kelvin sign
            return (
                f"may hold only CJK ideographs, ASCII letters, digits and underscore; "
                f"found {shown} at position {index + 1}"
            )
    return None


def _at_schedule(schedule: Schedule, message: str) -> Diagnostic:
    """An error at the place `schedule` was written."""
    src = schedule.source or Source("?", 0, 0)
    return Diagnostic(src.file, src.line, src.column, "error", message, schedule.name)


def duplicate_names(schedules: Sequence[Schedule]) -> list[Diagnostic]:
    """One schedule per name, one rename per old name, and no rename of a name still declared."""
    found: list[Diagnostic] = []
    by_name: dict[str, Schedule] = {}
    by_previous: dict[str, Schedule] = {}
    for schedule in schedules:
        first = by_name.setdefault(schedule.name, schedule)
        if first is not schedule:
            message = f"duplicate name {schedule.name!r}: also defined at {first.source}"
            found.append(_at_schedule(schedule, message))
        if schedule.previous_name:
            other = by_previous.setdefault(schedule.previous_name, schedule)
            if other is not schedule:
                message = (
                    f"previous_name {schedule.previous_name!r} is also claimed at {other.source}"
                )
                found.append(_at_schedule(schedule, message))
    for schedule in schedules:
        if schedule.previous_name and schedule.previous_name in by_name:
            message = (
                f"previous_name {schedule.previous_name!r} is still declared at "
                f"{by_name[schedule.previous_name].source}; a rename needs the old one gone"
            )
            found.append(_at_schedule(schedule, message))
    return found


# Default-ignorable code points outside category Cf: they render as nothing.
_INVISIBLE = frozenset(
    [
        *(0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0),
        *range(0x180B, 0x1810),
        *range(0xFE00, 0xFE10),
        *range(0xE0100, 0xE01F0),
    ]
)


def _visible(name: str) -> str:
    return "".join(c for c in name if unicodedata.category(c) != "Cf" and ord(c) not in _INVISIBLE)


def _spelled(name: str) -> str:
    """`'name'`, with the code points of what is not plain ASCII (look-alikes differ there)."""
    points = [f"U+{ord(c):04X}" for c in name if not c.isascii() or not c.isprintable()]
    return repr(name) + (f" ({' '.join(points)})" if points else "")


def lookalikes(documents: Sequence[Document]) -> list[Diagnostic]:
    """Names that read the same but differ: equal under NFKC, or but for invisible characters.

    "豈" (U+F900, a compatibility ideograph) and "豈" (U+8C48) are two names to
    the API and one to a reviewer; so are "digest" and "dig\u200best". Every
    document's name counts, valid or not: the error names both places.
    """
    found: list[Diagnostic] = []
    first: dict[str, tuple[str, Document]] = {}
    for doc in documents:
        name = doc.data.get("name") if isinstance(doc.data, dict) else None
        if not isinstance(name, str):
            continue
        # ASCII is its own NFKC form and holds no invisible character: the common case.
        visible = name if name.isascii() else _visible(name)
        key = visible if name.isascii() else unicodedata.normalize("NFKC", visible)
        if key not in first:
            first[key] = (name, doc)
            continue
        other, where = first[key]
        if other == name:
            continue  # the same name twice: a duplicate, reported as such
        how = (
            "they differ only by invisible characters"
            if visible == _visible(other)
            else "equal under Unicode NFKC normalisation"
        )
        line, column = doc.position("/name")
        there = "{}:{}:{}".format(where.file, *where.position("/name"))
        found.append(
            Diagnostic(
                doc.file,
                line,
                column,
                "error",
                f"name {_spelled(name)} looks the same as {_spelled(other)} at {there} ({how})",
                name,
            )
        )
    return found
