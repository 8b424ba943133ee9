"""One registry style for every view: the CLI offers exactly the formats a view registers,
in its order, and an unknown one is a clear error naming the view and the known ones."""

from __future__ import annotations

import pytest

from reconciler.views.calendar import FORMATS as CALENDAR
from reconciler.views.formats import Formats
from reconciler.views.history import FORMATS as HISTORY
from reconciler.views.plan import FORMATS as PLAN
from reconciler.views.validation import FORMATS as VALIDATION
from tests.support.cli import run


@pytest.mark.parametrize(
    ("formats", "names"),
    [
        (PLAN, ("text", "markdown", "json")),
        (VALIDATION, ("text", "json")),
        (HISTORY, ("text", "json")),
        (CALENDAR, ("text", "markdown", "json", "ics", "html")),
    ],
)
def test_each_view_lists_its_formats_in_order(
    formats: Formats[object], names: tuple[str, ...]
) -> None:
    assert formats.names == names
    assert tuple(formats) == names
    assert "pdf" not in formats


@pytest.mark.parametrize(
    ("command", "formats"),
    [("plan", PLAN), ("validate", VALIDATION), ("history", HISTORY), ("calendar", CALENDAR)],
)
def test_the_commands_offer_what_the_registry_holds(command: str, formats: Formats[object]) -> None:
    shown = run(command, "--help").output
    assert f"[{'|'.join(formats.names)}]" in shown


def test_a_new_format_is_one_function_in_a_registry() -> None:
    shout = Formats[str]("greeting", {"text": str, "shout": str.upper})
    assert shout.render("hi", "shout") == "HI"
    with pytest.raises(
        ValueError, match="no 'pdf' format for the greeting \\(known: text, shout\\)"
    ):
        shout.render("hi", "pdf")
