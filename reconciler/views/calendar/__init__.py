"""The calendar view: when the desired pushes fire, with the policies they break.

    model.py   Calendar, and `build`: the fires over a window and their violations
    text.py    text, markdown and JSON
    ics.py     iCalendar (RFC 5545), for Google Calendar or Outlook
    html.py    one self-contained page: a month grid coloured by audience

`FORMATS` is the one list of its outputs (`reconciler calendar --format`); to add
one, see reconciler/views/formats.py.
"""

from __future__ import annotations

from reconciler.views.calendar.html import render_html
from reconciler.views.calendar.ics import render_ics
from reconciler.views.calendar.model import Calendar
from reconciler.views.calendar.text import render_json, render_markdown, render_text
from reconciler.views.formats import Formats

__all__ = ["FORMATS"]

FORMATS = Formats[Calendar](
    "calendar",
    {
        "text": render_text,
        "markdown": render_markdown,
        "json": render_json,
        "ics": render_ics,
        "html": render_html,
    },
)
