"""Width: text measured in terminal cells, for the columns of every aligned text table.

A CJK ideograph or an emoji takes two cells of a terminal, a combining mark
none: padding by `len` pushes every later column of a `月度账单提醒` row out of
line. `width` measures with wcwidth (Unicode's East Asian Width and emoji
tables); `pad` and `clip` fill or cut to a number of cells.
"""

from __future__ import annotations

from wcwidth import wcswidth, wcwidth

__all__ = ["clip", "pad", "width"]

_ELLIPSIS = "…"


def width(text: str) -> int:
    """The cells `text` takes in a terminal (a control character counts as none)."""
    cells = wcswidth(text)
    if cells >= 0:
        return int(cells)
    # wcswidth gives up (-1) on a control character: count the rest.
    return sum(max(0, int(wcwidth(c))) for c in text)


def pad(text: str, cells: int) -> str:
    """`text` with spaces after it up to `cells` cells (as it is when it is wider)."""
    return text + " " * max(0, cells - width(text))


def clip(text: str, cells: int) -> str:
    """`text` cut to at most `cells` cells, an ellipsis where it was cut."""
    if width(text) <= cells:
        return text
    kept, used = [], 0
    for char in text:
        size = max(0, int(wcwidth(char)))
        if used + size > cells - 1:
            break
        kept.append(char)
        used += size
    return "".join(kept) + _ELLIPSIS
