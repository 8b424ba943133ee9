"""Load: read YAML files into plain JSON values, remembering where each value was written.

YAML 1.1 resolves `12:00:00` to 43200, `2024-01-01 00:00:00` to a datetime,
`01` to 1 and `yes`/`on` to True. None of that may bite here: the loader knows
only the YAML 1.2 core types (true/false, null, decimal integers without a
leading zero, decimal floats); everything else stays the string the user wrote,
and validation says what to write instead. Duplicate keys, custom tags and
non-string keys are errors rather than silent last-one-wins.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reconciler.diagnostics import Diagnostic
from reconciler.pointer import escape, parent

Position = tuple[int, int]

_BaseLoader: type[yaml.SafeLoader]
try:  # libyaml's C parser: an order of magnitude faster on a thousand files
    _BaseLoader = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - pyyaml without libyaml
    _BaseLoader = yaml.SafeLoader


class _CoreLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """A loader whose implicit types are the YAML 1.2 core schema, nothing more."""


_CoreLoader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?(?:0|[1-9][0-9]*))$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$",
        "-+.0123456789",
    ),
):
    _CoreLoader.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))
# The empty plain scalar (`key:` with nothing after it) is null.
_CoreLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])
# `<<` resolves to the merge tag only so that _construct can refuse it by name;
# without this it would silently become a key "<<".
_CoreLoader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^<<$"), ["<"])

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_SCALAR_TAGS = {
    _STR,
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}


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


class _NodeError(Exception):
    def __init__(self, node: yaml.Node, message: str) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1
        self.column = node.start_mark.column + 1


def _construct(node: yaml.Node, pointer: str, positions: dict[str, Position]) -> Any:
    positions.setdefault(pointer, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _COLLECTION_TAGS:
        # `!!python/object/apply:… [args]`, `!!set {…}`, `!custom {…}`: the tag would be dropped.
        raise _NodeError(node, f"unsupported YAML tag {node.tag!r}; write a plain list or mapping")
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                raise _NodeError(key_node, "YAML merge keys (<<) are not supported")
            key = _construct(key_node, pointer + "/<key>", {})
            if not isinstance(key, str):
                message = (
                    f"mapping keys must be strings; quote {key_node.value!r}"
                    if isinstance(key_node, yaml.ScalarNode)
                    else "mapping keys must be strings, not a list or mapping"
                )
                raise _NodeError(key_node, message)
            if key in result:
                raise _NodeError(key_node, f"duplicate key {key!r}")
            child = f"{pointer}/{escape(key)}"
            positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = _construct(value_node, child, positions)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, f"{pointer}/{i}", positions) for i, item in enumerate(node.value)]
    tag = node.tag
    if tag == _MERGE:  # a plain `<<` anywhere but as a key is just the text
        return node.value
    if tag not in _SCALAR_TAGS:
        raise _NodeError(node, f"unsupported YAML tag {tag!r}; write a plain or quoted value")
    text: str = node.value
    if tag == _STR:
        return text
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return text.lower() == "true"
    try:
        return int(text) if tag == "tag:yaml.org,2002:int" else float(text)
    except ValueError:
        raise _NodeError(node, f"{text!r} is not a valid {tag.rsplit(':', 1)[1]}") from None


def parse_documents(text: str, file: str) -> tuple[list[Document], list[Diagnostic]]:
    """Parse a YAML stream; YAML errors become diagnostics with their line."""
    documents: list[Document] = []
    try:
        for index, node in enumerate(_compose_all(text)):
            positions: dict[str, Position] = {}
            try:
                data = _construct(node, "", positions)
            except _NodeError as err:
                documents.clear()
                return documents, [Diagnostic(file, err.line, err.column, "error", str(err))]
            if data is not None:  # an empty document (a lone `---`) declares nothing
                documents.append(Document(file, index, data, positions))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = err.problem or err.context or "invalid YAML"
        context = err.context if err.context and err.problem else ""
        if context and err.context_mark and mark is not err.context_mark:
            # The problem is often found lines after its cause (an unclosed `[` or quote).
            start = err.context_mark
            context += f" that starts at {start.line + 1}:{start.column + 1}"
        message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
        return [], [Diagnostic(file, line, column, "error", message)]
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


def _compose_all(text: str) -> Iterator[yaml.Node]:
    loader = _CoreLoader(text)
    try:
        while loader.check_node():
            yield loader.get_node()
    finally:
        loader.dispose()


def read_text(path: Path, file: str) -> tuple[str | None, Diagnostic | None]:
    """The file as UTF-8 text, or a diagnostic saying why it cannot be read."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        return None, Diagnostic(file, 0, 0, "error", f"cannot read file: {err.strerror or err}")
    if b"\x00" in raw:
        return None, Diagnostic(file, 0, 0, "error", "binary file, not YAML text")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as err:
        return None, Diagnostic(file, 0, 0, "error", f"not UTF-8 text (byte {err.start})")


def load_schedules(root: Path, pattern: str) -> LoadResult:
    """Every document of every file matching `pattern` under `root`, in sorted file order."""
    # An absolute pattern globs from its anchor (Path.glob refuses one); a `../`
    # pattern leaves root, so names are made relative with relpath, not relative_to.
    base, relative = (
        (Path(pattern[:1]), pattern[1:]) if pattern.startswith("/") else (root, pattern)
    )
    named = {
        Path(os.path.relpath(p, root)).as_posix(): p for p in base.glob(relative) if p.is_file()
    }
    files: list[str] = []
    documents: list[Document] = []
    diagnostics: list[Diagnostic] = []
    for file, path in sorted(named.items()):
        files.append(file)
        text, problem = read_text(path, file)
        if problem is not None or text is None:
            diagnostics.append(problem or Diagnostic(file, 0, 0, "error", "cannot read file"))
            continue
        docs, diags = parse_documents(text, file)
        documents.extend(docs)
        diagnostics.extend(diags)
    return LoadResult(tuple(files), tuple(documents), tuple(diagnostics))
