"""The findings of `reconciler ci check-repo`, and how the drift issue reports them.

`RepoCheck` holds one `Finding` per setting the workflows' guarantees rest on
(reconciler.ci.repo_settings reads them: the list is there), each `ok`,
`missing` or `unknown` (not readable with the token at hand; `notes` say why).
The drift workflow's issues job writes it as settings.json (`write_check`) and
reads it back (`read_check`); reconciler.ci.drift puts `section` of each
target's part (`RepoCheck.of`) in that target's issue, and `note` says what
changed since the issue last reported it (its marker keeps `RepoCheck.key`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reconciler.ci.errors import CiError

__all__ = [
    "FINDING_STATES",
    "SETTINGS_FILE",
    "Finding",
    "RepoCheck",
    "note",
    "read_check",
    "section",
    "write_check",
]

FINDING_STATES = ("ok", "missing", "unknown")
SETTINGS_FILE = "settings.json"


@dataclass(frozen=True)
class Finding:
    """One setting: its key, whose it is (None: the repository's), its state, what it asks
    for, and how to fix it."""

    key: str
    state: str
    what: str
    fix: str
    target: str | None = None

    def line(self) -> str:
        if self.state == "ok":
            return f"ok: {self.what}"
        if self.state == "unknown":
            return f"could not check: {self.what}"
        return f"missing: {self.what}. Fix: {self.fix}"


@dataclass(frozen=True)
class RepoCheck:
    """Every finding, what could not be read (`notes`), and the real targets checked."""

    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()

    def of(self, target: str) -> RepoCheck:
        """What concerns `target`: the repository's settings and its environments (nothing for
        a target with no credentials, such as `local`)."""
        if target not in self.targets:
            return RepoCheck((), (), ())
        mine = tuple(f for f in self.findings if f.target in (None, target))
        return replace(self, findings=mine, targets=(target,))

    @property
    def missing(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.state == "missing")

    @property
    def unknown(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.state == "unknown")

    @property
    def key(self) -> str:
        """Which settings are missing, as `sha256:…` (`none`: none); an issue marker keeps it."""
        keys = sorted(f.key for f in self.missing)
        if not keys:
            return "none"
        return "sha256:" + hashlib.sha256("\n".join(keys).encode()).hexdigest()

    def lines(self) -> list[str]:
        ordered = sorted(self.findings, key=lambda f: FINDING_STATES.index(f.state), reverse=True)
        return [f.line() for f in ordered] + [f"note: {n}" for n in self.notes]

    def summary(self) -> str:
        count = len(self.findings)
        parts = [f"{len(self.missing)} missing", f"{len(self.unknown)} not checked"]
        return f"{count - len(self.missing) - len(self.unknown)} of {count} settings in place, " + (
            ", ".join(parts)
        )

    def data(self) -> dict[str, Any]:
        return {
            "findings": [f.__dict__ for f in self.findings],
            "notes": list(self.notes),
            "targets": list(self.targets),
        }

    @classmethod
    def from_data(cls, data: Any) -> RepoCheck:
        try:
            findings = tuple(Finding(**dict(f)) for f in data["findings"])
            made = cls(findings, tuple(map(str, data["notes"])), tuple(map(str, data["targets"])))
        except (KeyError, TypeError, ValueError) as err:
            raise CiError(f"not a check-repo report ({err})") from None
        if any(f.state not in FINDING_STATES for f in made.findings):
            raise CiError("not a check-repo report (a finding's state is unknown)")
        return made


def write_check(out: Path, check: RepoCheck) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / SETTINGS_FILE
    path.write_text(json.dumps(check.data(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    return path


def read_check(folder: Path) -> RepoCheck | None:
    """The check-repo report in `folder`, or None when the step wrote none."""
    path = folder / SETTINGS_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CiError(f"{path}: not a check-repo report ({err})") from None
    try:
        return RepoCheck.from_data(data)
    except CiError as err:
        raise CiError(f"{path}: {err}") from None


def section(check: RepoCheck) -> str:
    """The "Repository settings" part of a drift issue: what is missing and how to fix it."""
    text = "### Repository settings\n\n"
    if not check.missing and not check.unknown:
        count = len(check.findings)
        return text + f"All {count} settings that reconciler's guarantees rest on are in place.\n"
    text += (
        "What is reviewed is what is applied, and credentials go only where the "
        "environments' owners allow, only while these settings hold "
        f"({check.summary()}; `reconciler ci check-repo` lists them):\n\n"
    )
    text += "".join(f"- **Missing:** {f.what}. Fix: {f.fix}.\n" for f in check.missing)
    text += "".join(f"- **Not checked:** {f.what}.\n" for f in check.unknown)
    text += "".join(f"\n> [!NOTE]\n> {n}\n" for n in check.notes)
    return text


def note(name: str, check: RepoCheck, before: str | None, was_open: bool) -> str | None:
    """The comment for the settings part: only when the set of missing settings changed;
    `before` is the set the issue last reported (None: never reported)."""
    if was_open and check.key == before:
        return None
    if not check.missing:
        if before in (None, "none") or not was_open:
            return None
        return f"The repository settings reconciler relies on for `{name}` are in place again."
    listing = "; ".join(f.what for f in check.missing)
    return (
        f"Repository settings missing for `{name}`: {listing}. "
        "The issue's settings section says how to fix each."
    )
