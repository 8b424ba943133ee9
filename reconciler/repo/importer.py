"""Import: write the remote schedules of an app as schedule files, the start of a repo.

Each managed remote schedule becomes one YAML file named after it, with the
schema modeline on top, keys in the API's order and every time quoted, so
that the files plan as all noop against the app they came from. A parked copy
an interrupted apply left (``reconciler.core.parked``) is not a schedule: it is
named in a warning and never written.

All or nothing. Every reason not to write is found before the first file is
written, and reported together (exit 1): a name the repository's rules would
reject (the API may hold names with spaces or unassigned code points), a
schedule we cannot read, a name a file of the repository already declares
(a second file of it would fail validation; both places are named), and a
directory outside the repository (`import_folder`, checked before the app is
even read). A name too long for a file name (255 bytes on every
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
from reconciler.documents.load import glob_matches, load_schedules
from reconciler.errors import ReconcilerError

__all__ = [
    "MAX_FILE_NAME",
    "SCHEMA_FILE",
    "Declared",
    "Dumper",
    "declared_names",
    "file_name",
    "import_folder",
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


def import_folder(root: Path, directory: Path) -> Path:
    """Where import writes: `directory` under the repository `root`, or ReconcilerError
    when it lies outside it (through `..`, an absolute path or a symlink)."""
    folder = root / directory
    inside = root.resolve()
    if not folder.resolve().is_relative_to(inside):
        raise ReconcilerError(
            f"{directory} is outside the repository ({inside}): import writes schedule files "
            "into the repository only; nothing was written"
        )
    return folder


@dataclass(frozen=True)
class Declared:
    """Where a file of the repository declares a schedule's name."""

    file: str  # relative to the repository, as the diagnostics name it
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def declared_names(root: Path, pattern: str, max_file_bytes: int) -> dict[str, list[Declared]]:
    """Every name the repository's schedule files (the `schedules:` glob) declare, and where;
    a file that cannot be read or parsed declares nothing here (validate says why)."""
    found: dict[str, list[Declared]] = {}
    for doc in load_schedules(root, pattern, max_file_bytes=max_file_bytes).documents:
        name = doc.data.get("name") if isinstance(doc.data, dict) else None
        if isinstance(name, str):
            line, column = doc.position("/name")
            found.setdefault(name, []).append(Declared(doc.file, line, column))
    return found


def _already_declared(
    name: str, path: Path, root: Path, declared: Mapping[str, Sequence[Declared]]
) -> list[str]:
    """Why writing schedule `name` to `path` would declare it twice (empty if it would not):
    a file other than `path` declares it. `path` itself is the file --overwrite replaces."""
    written = path.relative_to(root).as_posix()
    elsewhere = [d for d in declared.get(name, ()) if d.file != written]
    if not elsewhere:
        return []
    places = ", ".join(str(d) for d in elsewhere)
    return [
        f"{name} is already declared in {places}; importing it would declare it again in {written}"
    ]


def _unread(files: Sequence[Path], root: Path, pattern: str) -> list[str]:
    """A warning when files import writes lie outside the `schedules:` glob: nothing reads them."""
    outside = [p.relative_to(root).as_posix() for p in files]
    outside = [p for p in outside if not glob_matches(p, pattern)]
    if not outside:
        return []
    one = len(outside) == 1
    shown = outside[0] + ("" if one else ", …")
    return [
        f"{plural(len(outside), 'file')} ({shown}) {'lies' if one else 'lie'} outside the "
        f"schedules glob {pattern!r}: validate, plan and apply will not read "
        f"{'it' if one else 'them'} until the glob matches {'it' if one else 'them'}"
    ]


def render_file(schedule: Schedule, modeline: str) -> str:
    """One schedule as a YAML document, modeline first."""
    text = yaml.dump(schedule.body(), Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)
    return f"# yaml-language-server: $schema={modeline}\n{text}"


def plan_files(
    remote: Sequence[Any],
    directory: Path,
    root: Path,
    manage_prefix: str,
    *,
    schedules: str | None = None,
    declared: Mapping[str, Sequence[Declared]] | None = None,
) -> tuple[dict[Path, str], list[str]]:
    """The files to write (path -> text) and warnings, for the managed remote schedules.

    Raises ReconcilerError naming every schedule that cannot be imported: then
    nothing is written. With the `schedules:` glob and the names the repository
    already `declared` (`declared_names`), a schedule whose file the glob would
    read beside another declaring its name is refused too; files outside the
    glob are written with a warning that nothing reads them.
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
        path = directory / chosen
        if declared and schedules and glob_matches(path.relative_to(root).as_posix(), schedules):
            refused += _already_declared(r.name, path, root, declared)
        files[path] = render_file(schedule_from_json(r.body()), schema)
    if schedules:
        warnings += _unread(sorted(files), root, schedules)
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
