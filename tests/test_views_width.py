"""Display width: CJK and emoji take two terminal cells, and every aligned text table pads by
cells, not characters."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.views.width import clip, pad, width
from tests.support.cli import doc, run, write


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        ("weekly", 6),
        ("月度账单提醒", 12),
        ("推送_once", 9),
        ("🎉", 2),
        ("👍🏽", 2),  # an emoji and its skin tone: one picture
        ("e\u0301", 1),  # a combining accent takes no cell
        ("a\x1bb", 2),  # a control character takes none either
        ("", 0),
    ],
)
def test_width_counts_cells(text: str, cells: int) -> None:
    assert width(text) == cells


def test_pad_fills_to_cells_and_clip_cuts_to_them() -> None:
    assert pad("月度", 6) == "月度  "
    assert pad("too wide", 3) == "too wide"
    assert clip("月度账单提醒", 7) == "月度账…"
    assert width(clip("月度账单提醒", 7)) <= 7
    assert clip("short", 7) == "short"


def columns(line: str) -> list[int]:
    """The cell at which each column (after a run of two spaces) starts."""
    found, at = [], 0
    for index, char in enumerate(line):
        if char != " " and line[index - 2 : index] == "  " and index >= 2:
            found.append(at)
        at += width(char)
    return found


def test_calendar_text_aligns_cjk_and_emoji_rows_by_display_width(repo: Path) -> None:
    write(repo, doc("weekly", alert="Your weekly digest"))
    write(repo, doc("月度账单提醒", alert="您的月度账单已生成"))
    tagged = doc("推送_once", alert="🎉 party")
    tagged["push"]["to"] = {"tag": ["🎉fans"]}
    write(repo, tagged, file="party")
    result = run("calendar", "--days", "60")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("  09:00")]
    assert len(rows) == 3
    assert len({tuple(columns(row)) for row in rows}) == 1, rows  # every column lines up
    assert len(columns(rows[0])) == 5  # time, zone, name, audience, text
