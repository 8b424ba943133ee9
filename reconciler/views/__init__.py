"""Views: every output format, one registry of formats per view (formats.py).

    plan.py        the plan: text, markdown (the pull-request comment), JSON (the saved plan)
    review.py      the review calendar inside the markdown plan
    markdown.py    escaping: every repository string enters markdown through it
    validation.py  a target's validation: text or JSON
    history.py     one schedule's runs: text or JSON
    calendar/      the fires over a window: text, markdown, JSON, iCalendar, HTML

Each renderer is a function of its value alone; the CLI's `--format` choices are
the view's `FORMATS.names`.
"""

__all__: list[str] = []
