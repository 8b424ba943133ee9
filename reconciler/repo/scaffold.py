"""Scaffold: the files of a new schedules repository, as `reconciler init` writes them.

The repository it makes validates and plans on the embedded emulator at once,
and carries the four workflows (rendered from reconciler/repo/templates, the same
templates this repository's own reconciler-*.yml come from) pinned to the
reconciler action at the commit the installed tool was built from, with a
comment that says truthfully what that commit is (a `Pin`): `# vX.Y.Z` only when
the build is that release, else `# commit of <version>`. The pre-commit hook's
`rev:` and the README's install line name the same commit. Nothing is written
when any of its files exists already.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

from reconciler._version import __version__
from reconciler.errors import ConfigError, ReconcilerError
from reconciler.repo.build_info import ACTION_REPOSITORY, DOCS_URL, source_commit, source_release

__all__ = [
    "CHOSEN",
    "LOCAL_ACTION",
    "WORKFLOWS",
    "Pin",
    "action_pin",
    "action_reference",
    "files",
    "pin_label",
    "render",
    "sample",
    "write",
]

WORKFLOWS = (
    "reconciler-pr.yml",
    "reconciler-plan.yml",
    "reconciler-apply.yml",
    "reconciler-drift.yml",
)
#: This repository's own workflows use the action from its checkout.
LOCAL_ACTION = "./"
_ACTION = re.compile(r"([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)@([0-9a-f]{40})")
_SAMPLE = """\
# yaml-language-server: $schema=../schemas/schedule.schema.json
# A sample: every Monday at 09:00 in the app's main-site zone, for a year.
# Quote times: unquoted, YAML 1.1 tools read them as numbers or dates.
name: weekly_digest
enabled: true
trigger:
  periodical:
    start: "{start}"
    end: "{end}"
    time: "09:00:00"
    time_unit: week
    point: [MON]
    zone_type: 1          # 1: the main site's zone (site_timezone); 2: each device's zone
push:
  to: all
  body:
    platform: all
    notification:
      alert: "Your weekly digest is ready"
"""


def _template(name: str) -> str:
    return resources.files("reconciler.repo").joinpath("templates", name).read_text("utf-8")


#: The label of a commit given with `init --action` that is not the build's own: all we know.
CHOSEN = "commit chosen with init --action"


@dataclass(frozen=True)
class Pin:
    """The reconciler at one commit, and what that commit is, in words (`label`)."""

    repository: str
    sha: str
    label: str

    @property
    def uses(self) -> str:
        """The workflows' `uses:` value: the SHA, with the label as its comment."""
        return f"{self.repository}@{self.sha} # {self.label}"


def pin_label(release: str | None, version: str = __version__) -> str:
    """`vX.Y.Z` for the release itself; any other commit says it is one."""
    return release if release is not None else f"commit of {version}"


def action_pin(override: str | None, built_from: str | None, release: str | None = None) -> Pin:
    """The reconciler to pin: `--action`, else the commit this copy was built from
    (`built_from`, the release `release` when it is one)."""
    if override is None:
        if built_from is None:
            raise ReconcilerError(
                "cannot tell which commit this reconciler was built from: pass "
                f"--action {ACTION_REPOSITORY}@<40-hex commit sha>"
            )
        return Pin(ACTION_REPOSITORY, built_from, pin_label(release))
    match = _ACTION.fullmatch(override.strip())
    if match is None:
        raise ConfigError(f"--action {override!r}: expected OWNER/REPO@<40-hex commit sha>")
    repository, sha = match.groups()
    return Pin(repository, sha, pin_label(release) if sha == built_from else CHOSEN)


def action_reference(override: str | None, built_from: str | None) -> tuple[str, str]:
    """(repository, `uses:` value) of the reconciler action (see `action_pin`)."""
    pin = action_pin(override, built_from)
    return pin.repository, pin.uses


def render(
    name: str, action: str, repository: str = ACTION_REPOSITORY, pin: Pin | None = None
) -> str:
    """A template with the action reference, the repository, the pinned commit and its
    label, the version and the documentation's address filled in."""
    values = {
        "ACTION": action,
        "REPOSITORY": repository,
        "SHA": pin.sha if pin else "",
        "LABEL": pin.label if pin else "",
        "VERSION": __version__,
        "DOCS": DOCS_URL,
    }
    text = _template(name)
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    return text


def sample(now: datetime) -> str:
    """The sample schedule: weekly from today for 360 days, valid whenever init runs."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    end = day + timedelta(days=360)
    return _SAMPLE.format(start=f"{day:%Y-%m-%d %H:%M:%S}", end=f"{end:%Y-%m-%d %H:%M:%S}")


def files(now: datetime, action_override: str | None = None) -> dict[Path, str]:
    """Every file of the scaffold: relative path -> text."""
    pin = action_pin(action_override, source_commit(), source_release(__version__))

    def rendered(name: str) -> str:
        return render(name, pin.uses, pin.repository, pin)

    out = {
        Path("reconciler.yaml"): rendered("reconciler.yaml"),
        Path("schedules.d/weekly_digest.yaml"): sample(now),
        Path(".github/dependabot.yml"): rendered("dependabot.yml"),
        Path(".pre-commit-config.yaml"): rendered("pre-commit-config.yaml"),
        Path(".gitignore"): rendered("gitignore"),
        Path("README.md"): rendered("README.md"),
    }
    for schema in ("schedule.schema.json", "config.schema.json"):
        text = resources.files("reconciler").joinpath("schemas", schema).read_text("utf-8")
        out[Path("schemas") / schema] = text
    for name in WORKFLOWS:
        out[Path(".github/workflows") / name] = rendered(f"workflows/{name}")
    return out


def write(directory: Path, scaffold: dict[Path, str]) -> list[Path]:
    """Write every file under `directory`, or none when any of them exists."""
    existing = sorted(str(path) for path in scaffold if (directory / path).exists())
    if existing:
        shown = ", ".join(existing[:5]) + (
            f" and {len(existing) - 5} more" if len(existing) > 5 else ""
        )
        raise ReconcilerError(f"refusing to overwrite {shown} in {directory}: nothing was written")
    for path, text in sorted(scaffold.items()):
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return sorted(scaffold)
