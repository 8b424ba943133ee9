"""Bounded JSON: parse the server's answers without letting their nesting reach our stack.

``json.loads`` recurses once per level (in C, up to Python's recursion limit), and so
does everything that later walks the value: ``copy.deepcopy``, ``json.dumps``, the
planner's comparisons. A server, or another client that stored a schedule through it,
can nest an ``extras`` object a thousand levels deep; that must cost one schedule
(reported, see ``_models``), not the whole run.

So an answer is first reduced to its skeleton, with C-speed regular expressions: the
strings dropped, then every character but brackets, then matching innermost pairs
(``[]``, ``{}``) removed once per level. An answer within ``max_depth`` levels, the
only kind a correct server sends, is empty after at most ``max_depth`` passes and goes
to ``json.loads`` as it is. A deeper one is walked once, bracket by bracket, in
Python: each subtree opening below ``max_depth`` is cut out of the text and replaced
by a marker string (a random nonce no server can guess); ``json.loads`` then parses
what is left, and the markers become ``TOO_DEEP``. Unbalanced brackets are not JSON.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from reconciler.limits import MAX_DEPTH

#: Levels an answer may nest: a schedule (``MAX_DEPTH``) inside a page's object and
#: its ``schedules`` array.
ANSWER_DEPTH = MAX_DEPTH + 2

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_PAIR = re.compile(rb"\[\]|\{\}")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


class _TooDeep:
    """Stands where a subtree nested deeper than the bound was cut out."""

    def __repr__(self) -> str:
        return "TOO_DEEP"


TOO_DEEP: Any = _TooDeep()


def _within(content: bytes, max_depth: int) -> bool:
    skeleton = _STRING.sub(b"", content).translate(None, _NOT_BRACKETS)
    for _ in range(max_depth):
        if not skeleton:
            return True
        reduced = _PAIR.sub(b"", skeleton)
        if reduced == skeleton:
            return False  # unbalanced: let the careful path say so
        skeleton = reduced
    return not skeleton


def _cut(content: bytes, max_depth: int, marker: bytes) -> bytes:
    """`content` with every subtree that opens below `max_depth` levels replaced by `marker`."""
    pieces: list[bytes] = []
    kept_from = 0
    depth = 0
    cut_at = -1
    for token in _TOKEN.finditer(content):
        char = token.group()[:1]
        if char in (b"[", b"{"):
            depth += 1
            if depth == max_depth + 1:
                cut_at = token.start()
        elif char in (b"]", b"}"):
            depth -= 1
            if depth < 0:
                raise ValueError("unbalanced brackets")
            if depth == max_depth and cut_at >= 0:
                pieces += [content[kept_from:cut_at], marker]
                kept_from, cut_at = token.end(), -1
    if depth:
        raise ValueError("unbalanced brackets")
    pieces.append(content[kept_from:])
    return b"".join(pieces)


def _restore(value: Any, marker: str) -> Any:
    """`value` with the marker strings replaced by TOO_DEEP (in place; depth is bounded now)."""
    if value == marker:
        return TOO_DEEP
    pending = [value]
    while pending:
        item = pending.pop()
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in list(pairs):
            if child == marker:
                item[key] = TOO_DEEP
            elif isinstance(child, dict | list):
                pending.append(child)
    return value


def parse_json(content: bytes, *, max_depth: int = ANSWER_DEPTH) -> Any:
    """The JSON value of `content`, subtrees nested deeper than `max_depth` as TOO_DEEP.

    Raises ValueError when `content` is not JSON.
    """
    try:
        # Each level takes two bytes at least: text this short cannot nest past the bound
        # (a msg-ids element, about 90 bytes, is the common case: thousands per health check).
        if len(content) <= 2 * max_depth or _within(content, max_depth):
            return json.loads(content)
        nonce = f"reconciler:too-deep:{secrets.token_hex(16)}"
        value = json.loads(_cut(content, max_depth, json.dumps(nonce).encode()))
        return _restore(value, nonce)
    except RecursionError:  # not reached while the bound holds; never a crash if it did not
        raise ValueError("nested too deeply") from None


def depth_of(value: Any, limit: int) -> int:
    """Levels of lists and objects in `value` (a value holding TOO_DEEP: more than `limit`).

    Stops counting past `limit`.
    """
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if item is TOO_DEEP:
            return limit + 1
        if isinstance(item, dict | list):
            if level > limit:
                return limit + 1
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, level + 1) for child in children)
    return deepest
