"""Card: a push as the person who approves it reads it — who, what, when, and when next.

    audience  tag: digest_subscribers
    content   all platforms: alert “Your weekly digest is ready”
    when      every Mon and Thu at 09:00 UTC, 2026-11-22 to 2099-12-31
    next      Mon 2026-12-07 09:00, Thu 2026-12-10 09:00, Mon 2026-12-14 09:00 (UTC)

The plan leads each create, update, replace and delete with one (reconciler/views/plan.py),
the calendar shows one on hover and in each iCalendar event. `card_of` reads a
schedule body (the API object); the content is the text each platform shows:
the notification's `alert`, or a platform's own `title` and `alert` (iOS:
`alert.title` and `alert.body`), and the in-app message's `title` and
`msg_content`. Platforms that show the same text share a line. A body this tool
cannot read whole (a remote object of another client) still gets a card of
what can be read; the YAML below it shows the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from reconciler.core.audience import describe
from reconciler.core.diagnostics import one_line
from reconciler.core.model import WEEKDAYS, canonical, trigger_from_json
from reconciler.core.timing import next_runs
from reconciler.core.words import describe_trigger
from reconciler.documents.dump import schedule_yaml
from reconciler.views.markdown import text as _md
from reconciler.views.width import pad

__all__ = ["Card", "card_of", "markdown_lines", "schedule_as_yaml", "text_lines"]

PLATFORMS = ("android", "ios", "hmos")
NEXT_COUNT = 3
_LABEL_WIDTH = len("audience")


@dataclass(frozen=True)
class Card:
    """One push in words: its audience, its text per platform, its trigger, its next fires."""

    audience: str
    content: tuple[str, ...]
    when: str
    next_fires: tuple[str, ...]
    zone: str  # the clock the next fires are read on: the site zone, or device-local
    enabled: bool = True
    texts: tuple[str, ...] = ()  # the distinct texts shown, for a table's column

    @property
    def text(self) -> str:
        """The push's text on one line: its distinct alerts and message texts."""
        return " / ".join(self.texts)


def _quoted(text: Any) -> str:
    return f"“{one_line(str(text))}”"


def _ios_alert(own: Mapping[str, Any]) -> tuple[Any, Any]:
    alert = own.get("alert")
    if isinstance(alert, Mapping):
        return alert.get("title"), alert.get("body")
    return None, alert


def _platform_text(notification: Mapping[str, Any], platform: str) -> tuple[Any, Any]:
    """(title, alert) a platform shows: its own, else the notification's common alert."""
    own = notification.get(platform)
    own = own if isinstance(own, Mapping) else {}
    title, alert = _ios_alert(own) if platform == "ios" else (own.get("title"), own.get("alert"))
    return title, alert if alert not in (None, "") else notification.get("alert")


def _platforms(body: Mapping[str, Any]) -> tuple[list[str], bool]:
    """The platforms the push goes to, and whether that is every platform."""
    platform = body.get("platform")
    if platform == "all":
        return list(PLATFORMS), True
    chosen = [platform] if isinstance(platform, str) else list(platform or [])
    return [str(p) for p in chosen], False


def _content(body: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The content lines (`ios: title “…”, alert “…”`) and the distinct texts."""
    lines: list[str] = []
    texts: list[str] = []
    notification = body.get("notification")
    if isinstance(notification, Mapping) and notification:
        platforms, everyone = _platforms(body)
        groups: dict[tuple[Any, Any], list[str]] = {}
        for platform in platforms:
            groups.setdefault(_platform_text(notification, platform), []).append(platform)
        for (title, alert), members in groups.items():
            who = "all platforms" if everyone and len(groups) == 1 else ", ".join(members)
            said = [f"title {_quoted(title)}"] if title else []
            said.append(f"alert {_quoted(alert)}" if alert else "no alert text")
            lines.append(f"{who}: {', '.join(said)}")
            texts += [one_line(str(alert))] if alert else []
    message = body.get("message")
    if isinstance(message, Mapping) and message:
        said = [f"title {_quoted(message['title'])}"] if message.get("title") else []
        if message.get("msg_content"):
            said.append(f"text {_quoted(message['msg_content'])}")
            texts.append(one_line(str(message["msg_content"])))
        lines.append("in-app message: " + (", ".join(said) or "no text"))
    for kind, label in (("live_activity", "an iOS Live Activity update"), ("voip", "a VoIP push")):
        if body.get(kind):
            lines.append(f"{label} (see the YAML)")
    return lines or ["no text (see the YAML)"], list(dict.fromkeys(texts))


def _fire(at: datetime) -> str:
    clock = at.strftime("%H:%M:%S" if at.second else "%H:%M")
    return f"{WEEKDAYS[at.weekday()].title()} {at:%Y-%m-%d} {clock}"


def card_of(
    body: Mapping[str, Any], site_timezone: str, site: tzinfo, now: datetime | None
) -> Card:
    """The card of a schedule `body`; its next fires after `now` (none without a clock)."""
    push = body.get("push")
    push = push if isinstance(push, Mapping) else {}
    inner = push.get("body")
    content, texts = _content(inner if isinstance(inner, Mapping) else {})
    enabled = body.get("enabled") is not False
    try:
        trigger = trigger_from_json(body["trigger"])
        when = describe_trigger(trigger, site_timezone)
        fires = next_runs(trigger, now, site, NEXT_COUNT) if now and enabled else []
        zone = "device-local" if trigger.zone_type == 2 else site_timezone
    except (KeyError, TypeError, ValueError, AttributeError):
        when, fires, zone = "a trigger this tool cannot read (see the YAML)", [], site_timezone
    return Card(
        audience=describe(push.get("to")),
        content=tuple(content),
        when=when if enabled else f"disabled: never fires (when enabled: {when})",
        next_fires=tuple(_fire(at) for at in fires),
        zone=zone,
        enabled=enabled,
        texts=tuple(texts),
    )


def _next(card: Card) -> str:
    if card.next_fires:
        return ", ".join(card.next_fires) + (f" ({card.zone})" if card.zone else "")
    return "none" if card.enabled else "none (disabled)"


def text_lines(
    card: Card, *, next_label: str = "next", more: Sequence[tuple[str, Sequence[str]]] = ()
) -> list[str]:
    """The card as aligned lines for a terminal: a label column, then the value; `more`
    adds fields of several lines each (a plan's field changes, the YAML)."""
    rows: list[tuple[str, Sequence[str]]] = [
        ("audience", [card.audience]),
        ("content", card.content),
        ("when", [card.when]),
        (next_label, [_next(card)]),
        *more,
    ]
    column = max(_LABEL_WIDTH, *(len(label) for label, _ in rows))
    return [
        f"{pad(label if index == 0 else '', column)}  {value}".rstrip()
        for label, values in rows
        for index, value in enumerate(values)
    ]


def markdown_lines(card: Card, *, next_label: str = "next") -> list[str]:
    """The card as a markdown list: one item per field, the content's platforms nested."""
    lines = [f"- **Audience:** {_md(card.audience)}"]
    if len(card.content) == 1:
        lines.append(f"- **Content:** {_md(card.content[0])}")
    else:
        lines += ["- **Content:**", *(f"  - {_md(line)}" for line in card.content)]
    lines.append(f"- **When:** {_md(card.when)}")
    lines.append(f"- **{next_label.capitalize()}:** {_md(_next(card))}")
    return lines


def schedule_as_yaml(body: Mapping[str, Any]) -> str:
    """The schedule as the user writes it: block YAML, the schema's key order, and nothing
    the file did not need (no `point: []` for a daily trigger, no default `frequency: 1`)."""
    return schedule_yaml(canonical(body))
