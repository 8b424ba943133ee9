"""Load: read the schedule files into plain JSON values, remembering where each value was written.

The YAML itself is composed by `reconciler.documents.compose` (the YAML 1.2 core types
only, bounded in nesting and aliases). This module decides which files are
read, and refuses before reading what it must not touch:

* a path that leaves the repository (a `..` in the glob, an absolute glob, a
  symlink whose target lies outside): refused without opening it, so that
  nothing of the target is ever printed;
* a symlink loop, a broken symlink, a directory or a special file that the
  glob matches: reported, not silently skipped (a FIFO would block for ever);
* a file larger than `max_file_bytes`: refused unread.

File names are shown escaped (`diagnostics.shown`): a name holding a newline
or starting with `::` cannot start an output line of its own, where a CI log
would take it for a workflow command.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reconciler.core.diagnostics import Diagnostic, shown
from reconciler.core.pointer import parent
from reconciler.documents.compose import ComposeError, Position, compose_documents
from reconciler.limits import MAX_FILE_BYTES

__all__ = [
    "Document",
    "LoadResult",
    "Position",
    "glob_matches",
    "load_schedules",
    "parse_documents",
    "read_text",
]


@dataclass(frozen=True)
class Document:
    """One YAML document of a schedule file: its value and where each part was written."""

    file: str
    index: int
    data: Any
    positions: dict[str, Position]

    def position(self, pointer: str) -> Position:
        """The position of `pointer`, or of its nearest written ancestor."""
        while True:
            if pointer in self.positions:
                return self.positions[pointer]
            if not pointer:
                return (1, 1)
            pointer = parent(pointer)


@dataclass(frozen=True)
class LoadResult:
    files: tuple[str, ...]
    documents: tuple[Document, ...]
    diagnostics: tuple[Diagnostic, ...]


def parse_documents(text: str, file: str) -> tuple[list[Document], list[Diagnostic]]:
    """Parse a YAML stream; YAML errors and crossed bounds become diagnostics with their line."""
    documents: list[Document] = []
    try:
        for index, (data, positions) in enumerate(compose_documents(text)):
            if data is not None:  # an empty document (a lone `---`) declares nothing
                documents.append(Document(file, index, data, positions))
    except ComposeError as err:
        return [], [Diagnostic(file, err.line, err.column, "error", str(err))]
    except yaml.MarkedYAMLError as err:
        return [], [_syntax_error(err, file, text)]
    except yaml.reader.ReaderError as err:
        # A character YAML does not allow (a control character): say where, on one line.
        before = text[: err.position]
        line, column = before.count("\n") + 1, err.position - before.rfind("\n")
        char = f"U+{err.character:04X}" if isinstance(err.character, int) else repr(err.character)
        message = f"YAML error: character {char} is not allowed in YAML text ({err.reason})"
        return [], [Diagnostic(file, line, column, "error", message)]
    except yaml.YAMLError as err:
        return [], [Diagnostic(file, 0, 0, "error", f"YAML error: {err}")]
    return documents, []


def _tab_hint(text: str, line: int, column: int) -> str:
    """What to do when a tab is what YAML stumbled on: it indents with spaces only."""
    if line < 1:
        return ""
    written = text.splitlines()[line - 1 : line] or [""]
    indent = written[0][: len(written[0]) - len(written[0].lstrip(" \t"))]
    if "\t" in indent or written[0][column - 1 : column] == "\t":
        return (
            "; a tab indents this line: YAML indents with spaces only, replace the tab with spaces"
        )
    return ""


def _syntax_error(err: yaml.MarkedYAMLError, file: str, text: str) -> Diagnostic:
    mark = err.problem_mark or err.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    problem = err.problem or err.context or "invalid YAML"
    context = err.context if err.context and err.problem else ""
    if context and err.context_mark and mark is not err.context_mark:
        # The problem is often found lines after its cause (an unclosed `[` or quote).
        start = err.context_mark
        context += f" that starts at {start.line + 1}:{start.column + 1}"
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return Diagnostic(file, line, column, "error", message + _tab_hint(text, line, column))


def read_text(
    path: Path | str, file: str, max_bytes: int = MAX_FILE_BYTES
) -> tuple[str | None, Diagnostic | None]:
    """The file as UTF-8 text, or a diagnostic saying why it cannot be read.

    A file larger than `max_bytes` is refused without reading it (it is checked
    again while reading: a file may grow meanwhile).
    """

    def refused(message: str) -> tuple[None, Diagnostic]:
        return None, Diagnostic(file, 0, 0, "error", message)

    too_big = f"more than max_file_bytes ({max_bytes}); refused unread"
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                return refused(f"the file is {size} bytes, {too_big}")
            raw = handle.read(max_bytes + 1)
    except OSError as err:
        return refused(f"cannot read file: {err.strerror or err}")
    if len(raw) > max_bytes:
        return refused(f"the file grew to {too_big}")
    if b"\x00" in raw:
        return refused("binary file, not YAML text")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as err:
        return refused(f"not UTF-8 text (byte {err.start})")


class _Repository:
    """The repository's real place, and which of a glob's matches may be read from it.

    Real paths are built from the parent directory's, resolved once per directory:
    only a match that is itself a symlink is resolved on its own.
    """

    def __init__(self, root: Path) -> None:
        self.inside = os.path.realpath(root)
        self._parents: dict[str, str] = {}

    def _contains(self, real: str) -> bool:
        return real == self.inside or real.startswith(self.inside.rstrip(os.sep) + os.sep)

    def check(self, path: str, relative: str) -> str | None:
        """Why `path` (`relative` to the repository) must not be read, or None.

        Strings, not pathlib: this runs once per file, a thousand times a validate.
        """
        if relative == ".." or relative.startswith("../") or os.path.isabs(relative):
            return "outside the repository (the schedules glob leaves it); refused"
        parent, name = os.path.split(path)
        if parent not in self._parents:
            self._parents[parent] = os.path.realpath(parent)
        real = os.path.join(self._parents[parent], name)
        try:
            status = os.lstat(path)
            if stat.S_ISLNK(status.st_mode):
                status = os.stat(path)  # follows it: ELOOP, or ENOENT when broken
                real = os.path.realpath(path)
        except OSError as err:
            if err.errno == errno.ELOOP:
                return "a symlink loop; there is nothing to read"
            if os.path.islink(path):
                return "a broken symlink: its target does not exist"
            return f"cannot read file: {err.strerror or err}"
        if not self._contains(real):
            return "a symlink to a file outside the repository; refused, nothing of it is read"
        if stat.S_ISDIR(status.st_mode):
            return "a directory, not a schedule file (it matches the schedules glob)"
        if not stat.S_ISREG(status.st_mode):
            return "not a regular file (a FIFO, socket or device); refused"
        return None


def default_dir(pattern: str) -> str:
    """The fixed leading directory of the `schedules:` glob ("schedules.d/**/*.yaml" -> "schedules.d")."""
    parts = []
    for part in Path(pattern).parts[:-1]:
        if any(c in part for c in "*?["):
            break
        parts.append(part)
    return os.path.join(*parts) if parts else "."


def glob_matches(relative: str, pattern: str) -> bool:
    """Whether the file `relative` (to the repository, with `/`) is among the matches of the
    relative glob `pattern`, by `load_schedules`' rules: `**` is any number of directories,
    `*`, `?` and `[…]` match within one name."""
    return _parts_match(relative.split("/"), pattern.split("/"))


def _parts_match(parts: list[str], patterns: list[str]) -> bool:
    if not patterns:
        return not parts
    if patterns[0] == "**":
        return any(_parts_match(parts[i:], patterns[1:]) for i in range(len(parts) + 1))
    return (
        bool(parts)
        and fnmatch.fnmatchcase(parts[0], patterns[0])
        and _parts_match(parts[1:], patterns[1:])
    )


def load_schedules(root: Path, pattern: str, *, max_file_bytes: int = MAX_FILE_BYTES) -> LoadResult:
    """Every document of every file matching `pattern` under `root`, in sorted file order.

    `root` is the repository: nothing outside it is read (see the module's docstring).
    """
    # An absolute pattern globs from its anchor (Path.glob refuses one); names are
    # made relative with relpath, so that a match outside root shows as such.
    base, relative = (
        (Path(pattern[:1]), pattern[1:]) if pattern.startswith("/") else (root, pattern)
    )
    named = {Path(os.path.relpath(p, root)).as_posix(): os.fspath(p) for p in base.glob(relative)}
    repository = _Repository(root)
    files: list[str] = []
    documents: list[Document] = []
    diagnostics: list[Diagnostic] = []
    for name, path in sorted(named.items()):
        file = shown(name)
        files.append(file)
        refusal = repository.check(path, name)
        if refusal is not None:
            diagnostics.append(Diagnostic(file, 0, 0, "error", refusal))
            continue
        text, problem = read_text(path, file, max_file_bytes)
        if problem is not None or text is None:
            diagnostics.append(problem or Diagnostic(file, 0, 0, "error", "cannot read file"))
            continue
        docs, diags = parse_documents(text, file)
        documents.extend(docs)
        diagnostics.extend(diags)
    return LoadResult(tuple(files), tuple(documents), tuple(diagnostics))
