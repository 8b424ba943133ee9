"""Assert our words, never a dependency's.

Where our line passes on what a library or the OS said (jsonschema's reason, libyaml's
syntax error, PyYAML's reader), the expected line writes `…` for that part: the test
checks our words, the place and the shape around it, and any release of the
dependency may reword its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

THEIRS = "…"


def ours(expected: str) -> re.Pattern[str]:
    """`expected` as a pattern whose every `…` matches some text on the same line."""
    return re.compile("[^\n]+".join(re.escape(part) for part in expected.split(THEIRS)))


def assert_ours(actual: str, expected: str) -> None:
    assert ours(expected).fullmatch(actual), f"{actual!r}\n does not read {expected!r}"


def assert_lines_ours(actual: Sequence[str], expected: Sequence[str]) -> None:
    assert len(actual) == len(expected), list(actual)
    for line, wanted in zip(actual, expected, strict=True):
        assert_ours(line, wanted)
