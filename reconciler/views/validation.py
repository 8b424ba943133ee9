"""The validation view: one target's diagnostics and counts, as text or JSON.

The text is what `reconciler validate` prints for a target: every diagnostic,
then one line of counts (a target whose files could not be read at all has no
text: its error goes to stderr). The JSON is the report a script reads
(`valid`, `files`, `schedules`, `errors`, `warnings`, `diagnostics`, or `error`).
`FORMATS` lists them for `--format` (to add one, see reconciler/views/formats.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from reconciler.core.words import plural
from reconciler.desired.read import Desired
from reconciler.views.formats import Formats

__all__ = ["FORMATS", "Validation", "render_json", "render_text"]


@dataclass(frozen=True)
class Validation:
    """One target's validation: its files read and checked, or why they could not be read."""

    desired: Desired | None
    error: str | None = None

    def report(self) -> dict[str, Any]:
        """The JSON form, keys in a fixed order."""
        if self.desired is None:
            return {"valid": False, "files": 0, "schedules": 0, "error": self.error}
        diagnostics = self.desired.result.diagnostics
        errors = sum(d.severity == "error" for d in diagnostics)
        return {
            "valid": errors == 0,
            "files": len(self.desired.loaded.files),
            "schedules": len(self.desired.result.schedules),
            "errors": errors,
            "warnings": len(diagnostics) - errors,
            "diagnostics": [d.to_json() for d in diagnostics],
        }

    @property
    def valid(self) -> bool:
        return bool(self.report()["valid"])


def render_text(validation: Validation) -> str:
    """Every diagnostic, then `N files, M valid schedules: E errors, W warnings` (a count of
    one in the singular: `1 file, 1 valid schedule: 0 errors, 1 warning`)."""
    if validation.desired is None:
        return ""
    lines = [str(diagnostic) for diagnostic in validation.desired.result.diagnostics]
    report = validation.report()
    errors, warnings = report["errors"], report["warnings"]
    lines.append(
        f"{plural(report['files'], 'file')}, {plural(report['schedules'], 'valid schedule')}: "
        f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"
    )
    return "\n".join(lines) + "\n"


def render_json(validation: Validation) -> str:
    """The report as indented JSON."""
    return json.dumps(validation.report(), indent=2, ensure_ascii=False) + "\n"


FORMATS = Formats[Validation]("validation", {"text": render_text, "json": render_json})
