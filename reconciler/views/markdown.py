"""Markdown escaping: every string from a repository or an app enters markdown through here.

A target name comes from reconciler.yaml's keys, a schedule name from a file or
from the app, a path from the file system, a reason or a policy message holds
them: in a pull-request comment, any of them could otherwise forge what the
reviewers read (`> [!IMPORTANT] Reviewed by security: **no changes**`, an
HTML comment that hides the rest, a table cell split by `|`). Each helper
makes one line of whatever it gets (line breaks and other unprintable
characters written as escapes, `\\n`), so that nothing starts a block:

    code(s)      a code span: nothing inside is markup (`cell=True` in a table)
    text(s)      inline text: every character markdown reads as markup escaped
    html(s)      text inside raw HTML (`<summary>`): HTML-escaped
    fence(s)     a fenced code block that no line of `s` can close
    comment(s)   a value inside an HTML comment (a marker): `-->` cannot close it

Our own words around them are written as they are.
"""

from __future__ import annotations

import html as _html
import re
from urllib.parse import quote

from reconciler.core.diagnostics import one_line

__all__ = ["code", "comment", "fence", "html", "text"]

# What markdown (GitHub's: alerts, tables, strikethrough, math, emoji) reads as markup
# anywhere in a line; `_` only where it can open or close emphasis (not inside a word),
# `&` only as an entity, `:` only around an emoji's name.
_MARKUP = re.compile(
    r"([\\`*\[\]<>#!|~$]|(?<![^\W_])_|_(?![^\W_])|&(?=#?\w+;)|:(?=[A-Za-z_+-][\w+-]*:))"
)
# And at the start of one: a list item (`- `, `+ `, `1. `).
_LEADING = re.compile(r"^(\s*)(\d*)([-+.)])")
_TICKS = re.compile(r"`+")


def _line(value: object) -> str:
    return one_line(str(value))


def text(value: object) -> str:
    """`value` as inline markdown text that renders as itself and as nothing else."""
    escaped = _MARKUP.sub(r"\\\1", _line(value))
    return _LEADING.sub(lambda m: f"{m.group(1)}{m.group(2)}\\{m.group(3)}", escaped, count=1)


def code(value: object, *, cell: bool = False) -> str:
    """`value` as a code span (`cell`: inside a table, where `|` must be escaped even there)."""
    inner = _line(value)
    longest = max((len(run) for run in _TICKS.findall(inner)), default=0)
    ticks = "`" * (longest + 1)
    if inner.startswith("`") or inner.endswith("`") or (inner[:1] == inner[-1:] == " "):
        inner = f" {inner} "
    if cell:
        inner = inner.replace("|", "\\|")
    return f"{ticks}{inner}{ticks}" if inner else "` `"


def html(value: object) -> str:
    """`value` as text inside raw HTML (GitHub renders no markdown there)."""
    return _html.escape(_line(value), quote=True)


def fence(body: str, info: str = "") -> str:
    """`body` in a fenced code block longer than any run of backticks in it."""
    longest = max((len(run) for run in _TICKS.findall(body)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{body.rstrip(chr(10))}\n{ticks}\n"


def comment(value: object) -> str:
    """`value` inside an HTML comment: what is not a name character is percent-encoded."""
    return quote(str(value), safe="")
