"""Scaffold: the files of a new schedules repository, as `reconciler init` writes them.

The repository it makes validates and plans on the embedded emulator at once,
and carries the four workflows (rendered from reconciler/repo/templates, the same
templates this repository's own reconciler-*.yml come from) pinned to the
reconciler action at the commit the installed tool was built from, with the
version in a comment: `uses: OWNER/REPO@<40-hex sha> # vX.Y.Z`. Nothing is
written when any of its files exists already.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

from reconciler._version import __version__
from reconciler.errors import ConfigError, ReconcilerError
from reconciler.repo.build_info import ACTION_REPOSITORY, source_commit

__all__ = ["LOCAL_ACTION", "WORKFLOWS", "action_reference", "files", "render", "sample", "write"]

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


def action_reference(override: str | None, built_from: str | None) -> tuple[str, str]:
    """(repository, `uses:` value) of the reconciler action: `--action`, else the commit
    this copy was built from (`built_from`)."""
    if override is not None:
        match = _ACTION.fullmatch(override.strip())
        if match is None:
            raise ConfigError(f"--action {override!r}: expected OWNER/REPO@<40-hex commit sha>")
        repository, sha = match.groups()
    else:
        if built_from is None:
            raise ReconcilerError(
                "cannot tell which commit this reconciler was built from: pass "
                f"--action {ACTION_REPOSITORY}@<40-hex sha of the release v{__version__}>"
            )
        repository, sha = ACTION_REPOSITORY, built_from
    return repository, f"{repository}@{sha} # v{__version__}"


def render(name: str, action: str, repository: str = ACTION_REPOSITORY) -> str:
    """A template with the action reference, repository and version filled in."""
    text = _template(name)
    for key, value in (("ACTION", action), ("REPOSITORY", repository), ("VERSION", __version__)):
        text = text.replace(f"@@{key}@@", value)
    return text


def sample(now: datetime) -> str:
    """The sample schedule: weekly from today for 360 days, valid whenever init runs."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    end = day + timedelta(days=360)
    return _SAMPLE.format(start=f"{day:%Y-%m-%d %H:%M:%S}", end=f"{end:%Y-%m-%d %H:%M:%S}")


def files(now: datetime, action_override: str | None = None) -> dict[Path, str]:
    """Every file of the scaffold: relative path -> text."""
    repository, action = action_reference(action_override, source_commit())
    out = {
        Path("reconciler.yaml"): render("reconciler.yaml", action, repository),
        Path("schedules.d/weekly_digest.yaml"): sample(now),
        Path(".github/dependabot.yml"): render("dependabot.yml", action, repository),
        Path(".pre-commit-config.yaml"): render("pre-commit-config.yaml", action, repository),
        Path(".gitignore"): render("gitignore", action, repository),
        Path("README.md"): render("README.md", action, repository),
    }
    for schema in ("schedule.schema.json", "config.schema.json"):
        text = resources.files("reconciler").joinpath("schemas", schema).read_text("utf-8")
        out[Path("schemas") / schema] = text
    for name in WORKFLOWS:
        out[Path(".github/workflows") / name] = render(f"workflows/{name}", action, repository)
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
