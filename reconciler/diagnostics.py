"""Diagnostics: one finding about the desired state, pinned to a file position."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


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
        return f"{where}: {self.severity}: {self.message}{suffix}"

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "message": self.message,
            "schedule": self.schedule,
        }


def has_errors(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)
