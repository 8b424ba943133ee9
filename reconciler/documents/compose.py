"""Compose: a YAML stream into plain JSON values, event by event, within bounds.

YAML 1.1 resolves `12:00:00` to 43200, `2024-01-01 00:00:00` to a datetime,
`01` to 1 and `yes`/`on` to True. None of that may bite here: only the YAML
1.2 core types are resolved (true/false, null, decimal integers without a
leading zero, decimal floats); everything else stays the string the user
wrote. Duplicate keys, custom tags, merge keys and non-string keys are errors
rather than silent last-one-wins.

Why events and not libyaml's composer: the composer (`get_node`) builds the
node tree by recursion in C, and a 200,000-deep `[[[[…` overflows the C stack
(a segmentation fault, no message); a 10,000-deep one recurses Python's
construction to a RecursionError. libyaml's *parser* keeps its own stack and
hands out one event at a time, so this module reads events and builds values
with an explicit stack of its own, and stops at the first event past a bound,
before libyaml has even scanned the rest:

* nesting: at most `MAX_DEPTH` lists and mappings inside one another, aliases
  counted at the depth they are used;
* aliases: the values an alias adds are counted as what it expands to, and a
  file may add at most `MAX_ALIAS_VALUES` that way. Counting was chosen over
  refusing aliases to collections: sharing one `extras` block between android
  and ios is a fair use of YAML, and the count stops a "billion laughs" bomb
  (nine levels of nine aliases, under a kilobyte) after a few milliseconds,
  having built no more than the budget;
* an alias is a copy of its anchor's value, never the same object, and an
  anchor is defined only once its value is complete: a recursive structure
  (`&a [*a]`) is an undefined alias, not a cycle.

Every violation is a `ComposeError` with the line and column of the event that
crossed the bound.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from reconciler.core.pointer import escape
from reconciler.limits import MAX_ALIAS_VALUES, MAX_DEPTH

__all__ = ["ComposeError", "CoreLoader", "Position", "compose_documents", "plain_is_string"]

Position = tuple[int, int]

_BaseLoader: type[yaml.SafeLoader]
try:  # libyaml's C parser: an order of magnitude faster on a thousand files
    _BaseLoader = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - pyyaml without libyaml
    _BaseLoader = yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_SCALAR_TAGS = {_STR, _BOOL, _NULL, _INT, _FLOAT}

# The YAML 1.2 core schema, by first character. `<<` resolves to the merge tag
# only so that it can be refused by name; without it, it would become a key "<<".
_RESOLVERS: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
for _tag, _regexp, _first in (
    (_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (_NULL, r"^(?:~|null|Null|NULL|)$", "~nN"),
    (_INT, r"^(?:[-+]?(?:0|[1-9][0-9]*))$", "-+0123456789"),
    (
        _FLOAT,
        r"^(?:[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$",
        "-+.0123456789",
    ),
    (_MERGE, r"^<<$", "<"),
):
    for _char in _first:
        _RESOLVERS.setdefault(_char, []).append((_tag, re.compile(_regexp)))


class ComposeError(Exception):
    """A value the loader refuses, at a 1-based line and column."""

    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.line = mark.line + 1
        self.column = mark.column + 1


def _too_deep(max_depth: int) -> str:
    return (
        f"nested deeper than {max_depth} levels of lists and mappings; no schedule needs that many"
    )


def _resolve(event: yaml.ScalarEvent) -> str:
    tag = event.tag
    if tag is not None and tag != "!":
        return str(tag)
    if not event.implicit[0]:  # quoted
        return _STR
    value = event.value
    if not value:
        return _NULL  # `key:` with nothing after it
    for candidate, regexp in _RESOLVERS.get(value[0], ()):
        if regexp.match(value):
            return candidate
    return _STR


def plain_is_string(text: str) -> bool:
    """Whether `text`, written as a plain (unquoted) scalar, loads back as that string.

    `0E0`, `1e5`, `.5`, `True` or `~` would not: a writer must quote them.
    """
    if not text:
        return False
    return not any(regexp.match(text) for _, regexp in _RESOLVERS.get(text[0], ()))


def _scalar(event: yaml.ScalarEvent, tag: str) -> Any:
    if tag not in _SCALAR_TAGS:
        raise ComposeError(
            event.start_mark, f"unsupported YAML tag {tag!r}; write a plain or quoted value"
        )
    text: str = event.value
    if tag == _STR:
        return text
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return text.lower() == "true"
    try:
        number = int(text) if tag == _INT else float(text)
    except ValueError:
        raise ComposeError(
            event.start_mark, f"{text!r} is not a valid {tag.rsplit(':', 1)[1]}"
        ) from None
    if isinstance(number, float) and not math.isfinite(number):
        raise ComposeError(event.start_mark, f"{text!r} is too large a number; quote it")
    return number


def _measure(value: Any) -> tuple[int, int]:
    """(values, levels of nesting) of a finished value; iterative, as it may be deep."""
    count, height = 0, 0
    pending = [(value, 0)]
    while pending:
        item, level = pending.pop()
        count += 1
        if isinstance(item, dict):
            pending.extend((child, level + 1) for child in item.values())
            height = max(height, level + 1)
        elif isinstance(item, list):
            pending.extend((child, level + 1) for child in item)
            height = max(height, level + 1)
    return count, height


@dataclass
class _Anchor:
    value: Any
    text: str | None  # a scalar's text as written (for the non-string-key message)
    values: int
    height: int


@dataclass
class _Frame:
    """A list or mapping being built."""

    container: Any
    pointer: str
    anchor: str | None
    key: str | None = None  # a mapping's key awaiting its value

    @property
    def wants_key(self) -> bool:
        return isinstance(self.container, dict) and self.key is None


class _Composer:
    """Builds the documents of one stream; the alias budget spans the whole file."""

    def __init__(self, loader: yaml.SafeLoader, max_depth: int, alias_budget: int) -> None:
        self.loader = loader
        self.max_depth = max_depth
        self.alias_limit = alias_budget
        self.alias_budget = alias_budget

    def document(self) -> tuple[Any, dict[str, Position]]:
        """The next document (its start event already read) and the positions of its parts."""
        self.anchors: dict[str, _Anchor] = {}
        self.positions: dict[str, Position] = {}
        self.stack: list[_Frame] = []
        self.result: Any = None
        get_event: Any = self.loader.get_event
        while True:
            event = get_event()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                self.node(event, self.scalar_value(event), None)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                self.open(event)
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                self.close()
            elif kind is yaml.AliasEvent:
                self.alias(event)
            elif kind is yaml.DocumentEndEvent:
                return self.result, self.positions

    def scalar_value(self, event: yaml.ScalarEvent) -> Any:
        tag = _resolve(event)
        if tag == _MERGE:
            if self.stack and self.stack[-1].wants_key:
                raise ComposeError(event.start_mark, "YAML merge keys (<<) are not supported")
            return event.value  # a plain `<<` anywhere but as a key is just the text
        value = _scalar(event, tag)
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(value, event.value, 1, 0)
        return value

    def pointer_and_key(self, event: Any, value: Any, text: str | None) -> str | None:
        """The pointer of the value this event starts; None when it is a mapping key."""
        if not self.stack:
            self.positions.setdefault("", (event.start_mark.line + 1, event.start_mark.column + 1))
            return ""
        parent = self.stack[-1]
        if isinstance(parent.container, list):
            pointer = f"{parent.pointer}/{len(parent.container)}"
            self.positions.setdefault(
                pointer, (event.start_mark.line + 1, event.start_mark.column + 1)
            )
            return pointer
        if parent.key is None:
            self.take_key(parent, event, value, text)
            return None
        return f"{parent.pointer}/{escape(parent.key)}"

    def take_key(self, parent: _Frame, event: Any, key: Any, text: str | None) -> None:
        if not isinstance(key, str):
            message = (
                f"mapping keys must be strings; quote {text!r}"
                if text is not None
                else "mapping keys must be strings, not a list or mapping"
            )
            raise ComposeError(event.start_mark, message)
        if key in parent.container:
            raise ComposeError(event.start_mark, f"duplicate key {key!r}")
        parent.key = key
        child = f"{parent.pointer}/{escape(key)}"
        self.positions[child] = (event.start_mark.line + 1, event.start_mark.column + 1)

    def node(self, event: Any, value: Any, text: str | None) -> None:
        """A finished value (scalar, alias copy): a key, an item, a value, or the document."""
        text = event.value if text is None and type(event) is yaml.ScalarEvent else text
        if self.pointer_and_key(event, value, text) is not None:
            self.attach(value)

    def attach(self, value: Any) -> None:
        if not self.stack:
            self.result = value
            return
        parent = self.stack[-1]
        if isinstance(parent.container, list):
            parent.container.append(value)
        else:
            assert parent.key is not None
            parent.container[parent.key] = value
            parent.key = None

    def open(self, event: Any) -> None:
        is_map = type(event) is yaml.MappingStartEvent
        tag = event.tag if event.tag not in (None, "!") else (_MAP if is_map else _SEQ)
        if tag != (_MAP if is_map else _SEQ):
            # `!!python/object/apply:… [args]`, `!!set {…}`, `!custom {…}`: the tag would be dropped.
            raise ComposeError(
                event.start_mark, f"unsupported YAML tag {tag!r}; write a plain list or mapping"
            )
        if self.stack and self.stack[-1].wants_key:
            raise ComposeError(
                event.start_mark, "mapping keys must be strings, not a list or mapping"
            )
        if len(self.stack) >= self.max_depth:
            raise ComposeError(event.start_mark, _too_deep(self.max_depth))
        pointer = self.pointer_and_key(event, None, None)
        assert pointer is not None
        container: Any = {} if is_map else []
        self.stack.append(_Frame(container, pointer, event.anchor))

    def close(self) -> None:
        frame = self.stack.pop()
        if frame.anchor is not None:
            values, height = _measure(frame.container)
            self.anchors[frame.anchor] = _Anchor(frame.container, None, values, height)
        self.attach(frame.container)

    def alias(self, event: Any) -> None:
        anchor = self.anchors.get(event.anchor)
        if anchor is None:
            raise yaml.composer.ComposerError(
                None, None, f"found undefined alias {event.anchor!r}", event.start_mark
            )
        if len(self.stack) + anchor.height > self.max_depth:
            raise ComposeError(
                event.start_mark,
                f"alias *{event.anchor} nests deeper than {self.max_depth} levels "
                "of lists and mappings here",
            )
        self.alias_budget -= anchor.values
        if self.alias_budget < 0:
            raise ComposeError(
                event.start_mark,
                f"alias *{event.anchor} expands to {anchor.values} values; with the aliases "
                f"before it, that is past the {self.alias_limit} values aliases may add to "
                "one file (an alias bomb?)",
            )
        # A copy, never the anchor's object; plain JSON values of bounded depth, so
        # through the C JSON codec (five times faster than copy.deepcopy).
        value = json.loads(json.dumps(anchor.value)) if anchor.height else anchor.value
        self.node(event, value, anchor.text)


class CoreLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """libyaml's parser; resolution and construction are this module's own."""


def compose_documents(
    text: str, *, max_depth: int = MAX_DEPTH, alias_budget: int = MAX_ALIAS_VALUES
) -> Iterator[tuple[Any, dict[str, Position]]]:
    """Each document of a YAML stream as (value, positions by JSON pointer), bounded.

    Raises ComposeError past a bound, yaml.YAMLError for bad YAML.
    """
    loader = CoreLoader(text)
    try:
        loader.get_event()  # StreamStartEvent
        composer = _Composer(loader, max_depth, alias_budget)
        while not loader.check_event(yaml.StreamEndEvent):
            loader.get_event()  # DocumentStartEvent
            yield composer.document()
    except yaml.MarkedYAMLError as err:
        if "maximum nesting depth" not in str(err.problem):
            raise
        # libyaml 0.2.5 (in PyYAML >= 6.0.4's wheels) stops at 1000 levels of flow
        # nesting while it scans ahead, before the composer sees the 65th: the same
        # finding as the composer's own, so it is said in the same words.
        raise ComposeError(err.problem_mark or err.context_mark, _too_deep(max_depth)) from None
    finally:
        loader.dispose()
