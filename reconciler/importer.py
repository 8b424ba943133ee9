"""Import: write the remote schedules of an app as schedule files, the start of a repo.

Each managed remote schedule becomes one YAML file named after it, with the
schema modeline on top, keys in the API's order and every time quoted, so
that the files plan as all noop against the app they came from.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import ReconcilerError
from reconciler.model import Schedule, schedule_from_json

SCHEMA_FILE = Path("schemas") / "schedule.schema.json"
_QUOTED = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}|\d{2}:\d{2}:\d{2}|\d+")
_UNSAFE = re.compile(r"[^\w\u3400-\u9fff-]+")


class _Dumper(yaml.SafeDumper):
    """Block style; times, dates and digit strings always double-quoted."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if _QUOTED.fullmatch(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    # `point: [MON, THU]` reads better than a block list; nested structures stay block.
    flat = all(not isinstance(v, dict | list) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(list, _list)


def default_dir(pattern: str) -> str:
    """The fixed leading directory of the `schedules:` glob ("schedules.d/**/*.yaml" -> "schedules.d")."""
    parts = []
    for part in Path(pattern).parts[:-1]:
        if any(c in part for c in "*?["):
            break
        parts.append(part)
    return os.path.join(*parts) if parts else "."


def file_name(name: str) -> str:
    """A file name from a schedule name: valid names are safe as they are."""
    cleaned = _UNSAFE.sub("_", name).strip("._") or "schedule"
    return f"{cleaned}.yaml"


def render_file(schedule: Schedule, modeline: str) -> str:
    """One schedule as a YAML document, modeline first."""
    text = yaml.dump(
        schedule.body(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    )
    return f"# yaml-language-server: $schema={modeline}\n{text}"


def plan_files(
    remote: Sequence[Any], directory: Path, root: Path, manage_prefix: str
) -> tuple[dict[Path, str], list[str]]:
    """The files to write (path -> text) and warnings, for the managed remote schedules."""
    schema = os.path.relpath(root / SCHEMA_FILE, directory)
    files: dict[Path, str] = {}
    names: dict[str, str] = {}
    warnings: list[str] = []
    for r in sorted(remote, key=lambda r: r.position):
        if not r.name.startswith(manage_prefix):
            continue
        if r.name in names:
            warnings.append(
                f"{r.name}: several remote schedules share this name; wrote the oldest "
                f"({names[r.name]}), not {r.schedule_id}"
            )
            continue
        path = directory / file_name(r.name)
        if path in files:
            path = directory / f"{path.stem}_{r.schedule_id[:8]}.yaml"
        names[r.name] = r.schedule_id
        files[path] = render_file(schedule_from_json(r.body()), schema)
    return files, warnings


def write_files(files: dict[Path, str], root: Path, overwrite: bool) -> list[Path]:
    """Write every file, or none: existing files are refused unless `overwrite`."""
    existing = sorted(p for p in files if p.exists())
    if existing and not overwrite:
        shown = ", ".join(str(p.relative_to(root)) for p in existing[:5])
        more = f" and {len(existing) - 5} more" if len(existing) > 5 else ""
        raise ReconcilerError(f"refusing to overwrite {shown}{more}; pass --overwrite")
    schema = root / SCHEMA_FILE
    if files and not schema.exists():
        # The modeline must resolve for editors: ship the schema beside the files.
        schema.parent.mkdir(parents=True, exist_ok=True)
        text = (
            resources.files("reconciler")
            .joinpath("schemas", "schedule.schema.json")
            .read_text("utf-8")
        )
        schema.write_text(text, encoding="utf-8")
    for path, text in sorted(files.items()):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return sorted(files)
