"""Import: write the remote schedules of an app as schedule files, the start of a repo.

Each managed remote schedule becomes one YAML file named after it, with the
schema modeline on top, keys in the API's order and every time quoted, so
that the files plan as all noop against the app they came from. A parked copy
an interrupted apply left (``reconciler.core.parked``) is not a schedule: it is
named in a warning and never written.

All or nothing. Every reason not to write is found before the first file is
written, and reported together (exit 1): a name the repository's rules would
reject (the API may hold names with spaces or unassigned code points), a
schedule we cannot read. A name too long for a file name (255 bytes on every
common file system, ".yaml" included) gets a shortened file name with a stable
hash suffix, and so does one that would collide with another's file name on a
case-insensitive file system. The files are written to temporary files first
and renamed into place only when all were written: a full disk or a bad
permission leaves the directory as it was.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from reconciler.core import parked
from reconciler.core.diagnostics import one_line
from reconciler.core.model import Schedule, schedule_from_json
from reconciler.core.words import plural
from reconciler.desired.names import name_problem
from reconciler.documents.dump import Dumper
from reconciler.errors import ReconcilerError

__all__ = [
    "MAX_FILE_NAME",
    "SCHEMA_FILE",
    "Dumper",
    "file_name",
    "plan_files",
    "render_file",
    "write_files",
]

SCHEMA_FILE = Path("schemas") / "schedule.schema.json"
_UNSAFE = re.compile(r"[^\w\u3400-\u9fff-]+")


#: Bytes of a file name: 255 on ext4, APFS, NTFS (in UTF-16 units there, fewer bytes).
MAX_FILE_NAME = 255
_SUFFIX = ".yaml"


def _stable_hash(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]


def file_name(name: str) -> str:
    """A file name from a schedule name: valid names are safe as they are.

    One too long for a file name is cut (at a character boundary) and given a
    stable hash of the whole name, so that importing again names it the same.
    """
    cleaned = _UNSAFE.sub("_", name).strip("._") or "schedule"
    if len(f"{cleaned}{_SUFFIX}".encode()) <= MAX_FILE_NAME:
        return f"{cleaned}{_SUFFIX}"
    room = MAX_FILE_NAME - len(f"_{_stable_hash(name)}{_SUFFIX}")
    short = cleaned.encode()[:room].decode("utf-8", "ignore")
    return f"{short}_{_stable_hash(name)}{_SUFFIX}"


def _refusals(remote: Any) -> list[str]:
    """Why this remote schedule cannot become a file the repository accepts."""
    shown = one_line(remote.name)
    if getattr(remote, "problem", None):
        return [f"{shown} (id {remote.schedule_id}) cannot be read: {remote.problem}"]
    problem = name_problem(remote.name)
    if problem:
        return [
            f"{shown!r} (id {remote.schedule_id}): the name {problem}; "
            "the repository's rules would refuse the file (rename it in the app first)"
        ]
    return []


def render_file(schedule: Schedule, modeline: str) -> str:
    """One schedule as a YAML document, modeline first."""
    text = yaml.dump(schedule.body(), Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)
    return f"# yaml-language-server: $schema={modeline}\n{text}"


def plan_files(
    remote: Sequence[Any], directory: Path, root: Path, manage_prefix: str
) -> tuple[dict[Path, str], list[str]]:
    """The files to write (path -> text) and warnings, for the managed remote schedules.

    Raises ReconcilerError naming every schedule that cannot be imported: then
    nothing is written.
    """
    schema = os.path.relpath(root / SCHEMA_FILE, directory)
    files: dict[Path, str] = {}
    taken: set[str] = set()  # file names, case-folded: macOS and Windows ignore case
    names: dict[str, str] = {}
    warnings: list[str] = []
    refused: list[str] = []
    for r in sorted(remote, key=lambda r: r.position):
        if not r.name.startswith(manage_prefix):
            continue
        mark = None if getattr(r, "problem", None) else parked.mark_of(r.body())
        if mark is not None:
            # Half a create, never a user's schedule: as a file it would be applied as one.
            warnings.append(
                f"{r.name} (id {r.schedule_id}) was not written: it is a copy "
                f"{mark.describe()}, not a schedule; apply completes or withdraws it"
            )
            continue
        problems = _refusals(r)
        if problems:
            refused.extend(problems)
            continue
        if r.name in names:
            warnings.append(
                f"{r.name}: several remote schedules share this name; wrote the oldest "
                f"({names[r.name]}), not {r.schedule_id}"
            )
            continue
        chosen = file_name(r.name)
        if chosen.casefold() in taken:
            chosen = f"{chosen.removesuffix(_SUFFIX)[:200]}_{_stable_hash(r.name)}{_SUFFIX}"
        taken.add(chosen.casefold())
        names[r.name] = r.schedule_id
        files[directory / chosen] = render_file(schedule_from_json(r.body()), schema)
    if refused:
        shown = "; ".join(refused)
        raise ReconcilerError(
            f"cannot import {plural(len(refused), 'schedule')}, so nothing was written: {shown}"
        )
    return files, warnings


def write_files(files: dict[Path, str], root: Path, overwrite: bool) -> list[Path]:
    """Write every file, or none: existing files are refused unless `overwrite`.

    Each file is written to a temporary file beside it first; only when all were
    written are they renamed into place, and a rename that fails undoes the
    renames before it (restoring what `overwrite` replaced).
    """
    existing = sorted(p for p in files if p.exists())
    directories = [p for p in existing if p.is_dir()]
    if directories:
        raise ReconcilerError(
            f"{directories[0].relative_to(root)} is a directory; nothing was written"
        )
    if existing and not overwrite:
        shown = ", ".join(str(p.relative_to(root)) for p in existing[:5])
        more = f" and {len(existing) - 5} more" if len(existing) > 5 else ""
        raise ReconcilerError(f"refusing to overwrite {shown}{more}; pass --overwrite")
    staged: dict[Path, Path] = {}
    try:
        for path, text in sorted(files.items()):
            path.parent.mkdir(parents=True, exist_ok=True)
            staged[path] = _staged(path.parent, text)
        _swap_in(staged)
    except OSError as err:
        for leftover in staged.values():
            leftover.unlink(missing_ok=True)
        raise ReconcilerError(
            f"could not write the imported files ({err.strerror or err}); nothing was written"
        ) from None
    _ship_schema(root, bool(files))
    return sorted(files)


def _staged(directory: Path, text: str) -> Path:
    handle, name = tempfile.mkstemp(prefix=".import-", suffix=".tmp", dir=directory)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    return Path(name)


def _swap_in(staged: dict[Path, Path]) -> None:
    """Rename every staged file into place, or (OSError) leave every path as it was."""
    done: list[tuple[Path, Path | None]] = []
    try:
        for path, temporary in staged.items():
            backup = None
            if path.exists():
                backup = temporary.with_suffix(".old")  # unique: the staged name is
                os.replace(path, backup)
            done.append((path, backup))
            os.replace(temporary, path)
    except OSError:
        for path, backup in reversed(done):
            if backup is not None:
                os.replace(backup, path)
            elif path.exists():
                path.unlink()
        raise
    for _, backup in done:
        if backup is not None:
            backup.unlink(missing_ok=True)


def _ship_schema(root: Path, needed: bool) -> None:
    schema = root / SCHEMA_FILE
    if needed and not schema.exists():
        # The modeline must resolve for editors: ship the schema beside the files.
        schema.parent.mkdir(parents=True, exist_ok=True)
        text = (
            resources.files("reconciler")
            .joinpath("schemas", "schedule.schema.json")
            .read_text("utf-8")
        )
        schema.write_text(text, encoding="utf-8")
