"""Diagnostics: one finding about the desired state, pinned to a file position."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "Diagnostic",
    "Severity",
    "close_match",
    "label_of",
    "labelled",
    "one_line",
    "shown",
    "unknown_key",
]

Severity = Literal["error", "warning"]
# A diagnostic's own label, after its place: `FILE[:LINE:COL]: error: ` (on the first line).
_LABEL = re.compile(r"[^\n]*?: (error|warning): ")


@dataclass(frozen=True, order=True)
class Diagnostic:
    """`FILE:LINE:COL: error: MESSAGE (schedule NAME)`; ordering sorts by place."""

    file: str
    line: int
    column: int
    severity: Severity
    message: str
    schedule: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        suffix = f" (schedule {self.schedule})" if self.schedule else ""
        # Names and values come from the files: one line, whatever they hold.
        return f"{where}: {self.severity}: {one_line(self.message + suffix)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "message": self.message,
            "schedule": self.schedule,
        }


def label_of(text: str) -> re.Match[str] | None:
    """Where `text` names its own severity, as a diagnostic does after its place."""
    return _LABEL.match(text)


def labelled(severity: Severity, text: str) -> str:
    """`text` as a line of output that says its severity once: `warning: TEXT`, or `text`
    as it is when it is a diagnostic (`FILE:LINE:COL: warning: …`), which says it already."""
    return text if label_of(text) else f"{severity}: {text}"


def shown(text: str) -> str:
    """`text` (a file name) safe on one output line: non-printable characters escaped.

    A newline in a file name would start a new line of output, and a line that
    starts with `::` is a workflow command to a CI runner (`::error::…`,
    `::add-mask::…`): so every character that is not printable is written as
    its escape (`\\n`, `\\x1b`, `\\u2028`), and a name that starts with `::`
    gets a harmless `./` in front.
    """
    escaped = one_line(text)
    return f"./{escaped}" if escaped.startswith("::") else escaped


def one_line(text: str) -> str:
    """`text` with every character that is not printable written as its escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def close_match(word: str, known: Collection[str]) -> str | None:
    """The known word `word` is most likely a misspelling of, if any is close enough."""
    found = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_key(key: str, known: Collection[str], where: str) -> str:
    """`unknown key 'x' in W; did you mean 'y'?`, or the known keys when none is close."""
    hint = close_match(key, known)
    tip = f"; did you mean {hint!r}?" if hint else f" (known: {', '.join(sorted(known))})"
    return f"unknown key {key!r} in {where}{tip}"
