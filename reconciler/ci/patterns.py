"""GitHub's two path pattern languages, as GitHub documents them: CODEOWNERS and workflow filters.

`reconciler ci check-repo` reads both from the checkout: who owns reconciler.yaml
and .github/ (a CODEOWNERS line), and whether the apply workflow's `paths:`
start a run for every file a target plans from (a filter pattern).

CODEOWNERS (`owners_of`) follows gitignore's rules with GitHub's exceptions: no
`!` negation, no `[ ]` ranges, no `\\#` escape (GitHub skips such a line, and so
do we), and a last segment with a `*` (`docs/*`) matches that folder's files,
not deeper ones. A pattern with a `/` before its end is anchored at the root,
one without matches at any depth; a pattern matching a folder covers all below
it; the last matching line wins, and a line with no owner leaves its paths
unowned. GitHub looks for the file in .github/, the root and docs/, in that order.

Workflow filters (`filtered_in`): `*` any characters but `/`, `**` any, `?` and
`+` zero-or-one and one-or-more of the character before, `[ ]` a range, and a
leading `!` excludes what earlier patterns included; a path is in when the
last pattern that matches it is not a negation.

pathspec (gitwildmatch) would cover most of the first; it is not a runtime
dependency, and it reads the lines GitHub skips. Neither language is long.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

__all__ = ["CODEOWNERS_PLACES", "codeowners_file", "filtered_in", "owners_of", "read_codeowners"]

#: Where GitHub looks for CODEOWNERS, first found wins.
CODEOWNERS_PLACES = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")

Rule = tuple[str, tuple[str, ...]]


def codeowners_file(root: Path) -> str | None:
    """The CODEOWNERS GitHub reads in the checkout at `root` (relative path), or None."""
    return next((p for p in CODEOWNERS_PLACES if (root / p).is_file()), None)


def read_codeowners(text: str) -> list[Rule]:
    """(pattern, owners) per line GitHub would use, in order."""
    rules: list[Rule] = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        pattern, *owners = line.split()
        if pattern.startswith("!") or "[" in pattern or "]" in pattern or "\\" in pattern:
            continue  # GitHub skips a line it cannot read
        rules.append((pattern, tuple(owners)))
    return rules


def owners_of(rules: Sequence[Rule], path: str) -> tuple[str, ...]:
    """The owners of `path` (a repository path): the last matching rule's, () if none."""
    found: tuple[str, ...] = ()
    for pattern, owners in rules:
        if _codeowners_regex(pattern).fullmatch(path):
            found = owners
    return found


@cache
def _codeowners_regex(pattern: str) -> re.Pattern[str]:
    folder_only = pattern.endswith("/")
    body = pattern.strip("/")
    anchored = pattern.startswith("/") or "/" in body
    last = body.rsplit("/", 1)[-1]
    out = "" if anchored else "(?:.*/)?"
    out += _translate(body, codeowners=True)
    if folder_only:
        out += "/.*"
    elif not ("*" in last and last != "**"):
        out += "(?:/.*)?"  # a folder covers what is below it
    return re.compile(out)


def filtered_in(patterns: Sequence[str], path: str) -> bool:
    """Whether a workflow `paths:` filter (`patterns`) lets a change to `path` start a run."""
    included = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if _filter_regex(pattern.removeprefix("!")).fullmatch(path):
            included = not negated
    return included


@cache
def _filter_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(_translate(pattern, codeowners=False))


def _translate(pattern: str, *, codeowners: bool) -> str:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif codeowners and pattern[i] == "?":
            out += "[^/]"
            i += 1
        elif not codeowners and pattern[i] in "?+" and out:
            out += pattern[i]
            i += 1
        elif not codeowners and pattern[i] == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            out += "[" + pattern[i + 1 : end].replace("\\", "\\\\") + "]"
            i = end + 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return out
