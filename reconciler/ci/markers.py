"""Hidden first-line markers: how a step finds its own comment or issue again, exactly.

    <!-- reconciler-plan target=prod checksum=sha256:… head=<40-hex sha> run=<run id> -->
    <!-- reconciler-drift target=prod checksum=sha256:… health=sha256:… settings=sha256:… -->

A marker counts only on the first line of a body written by the Actions bot
(`github-actions[bot]`): anyone can post a comment carrying a forged marker,
and no one but a workflow can post as the bot. The target is compared
exactly (`prod` never matches `prod-eu`). A checksum is `sha256:<hex>`, or
`none` when there was no plan (the planning failed). `run` is the id of the
reconciler-plan run that posted the comment (apply checks the comment against
that run: reconciler.ci.proof); a plan marker without it, as reconciler wrote
them before, is still found (so its comment is edited in place) but never
trusted at merge. `health` (drift only, absent before health was reported)
names the set of unhealthy schedules the issue last reported (`none`: none);
`settings` (drift only, absent before check-repo was reported) the set of
repository settings it last reported missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BOT_LOGIN",
    "DRIFT",
    "NO_CHECKSUM",
    "PLAN",
    "TARGET_NAME",
    "Marker",
    "by_bot",
    "find",
    "find_all",
    "parse",
    "with_marker",
]

BOT_LOGIN = "github-actions[bot]"
PLAN = "reconciler-plan"
DRIFT = "reconciler-drift"
NO_CHECKSUM = "none"
#: Target names usable in markers, artifact names and environments.
TARGET_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_CHECKSUM = re.compile(r"sha256:[0-9a-f]{64}|none")
_SHA = re.compile(r"[0-9a-f]{40}")
_RUN = re.compile(r"[1-9][0-9]{0,19}")
_LINE = re.compile(r"<!-- (reconciler-plan|reconciler-drift)((?: [a-z]+=\S+)+) -->")
_FIELDS = {
    PLAN: (("target", "checksum", "head", "run"), ("target", "checksum", "head")),
    DRIFT: (
        ("target", "checksum"),
        ("target", "checksum", "health"),
        ("target", "checksum", "settings"),
        ("target", "checksum", "health", "settings"),
    ),
}


@dataclass(frozen=True)
class Marker:
    kind: str
    target: str
    checksum: str
    head: str | None = None
    run: int | None = None
    health: str | None = None
    settings: str | None = None

    def line(self) -> str:
        head = f" head={self.head}" if self.head is not None else ""
        run = f" run={self.run}" if self.run is not None else ""
        health = f" health={self.health}" if self.health is not None else ""
        settings = f" settings={self.settings}" if self.settings is not None else ""
        fields = f"target={self.target} checksum={self.checksum}{head}{run}{health}{settings}"
        return f"<!-- {self.kind} {fields} -->"

    @property
    def reviewed_checksum(self) -> str | None:
        return None if self.checksum == NO_CHECKSUM else self.checksum


def parse(body: str) -> Marker | None:
    """The marker on the first line of `body`, or None (anything malformed is no marker)."""
    match = _LINE.fullmatch(body.split("\n", 1)[0].rstrip("\r"))
    if match is None:
        return None
    kind = match.group(1)
    pairs = [field.split("=", 1) for field in match.group(2).split()]
    fields = dict(pairs)
    if len(fields) != len(pairs) or tuple(fields) not in _FIELDS[kind]:
        return None
    if not TARGET_NAME.fullmatch(fields["target"]) or not _CHECKSUM.fullmatch(fields["checksum"]):
        return None
    if kind == PLAN and not _SHA.fullmatch(fields["head"]):
        return None
    run = fields.get("run")
    if run is not None and not _RUN.fullmatch(run):
        return None
    health, settings = fields.get("health"), fields.get("settings")
    if any(v is not None and not _CHECKSUM.fullmatch(v) for v in (health, settings)):
        return None
    return Marker(
        kind,
        fields["target"],
        fields["checksum"],
        fields.get("head"),
        int(run) if run is not None else None,
        health,
        settings,
    )


def by_bot(item: dict[str, Any]) -> bool:
    user = item.get("user")
    return isinstance(user, dict) and user.get("login") == BOT_LOGIN and user.get("type") == "Bot"


def find_all(
    items: Iterable[dict[str, Any]], kind: str, target: str
) -> list[tuple[dict[str, Any], Marker]]:
    """Every bot-written item whose marker is of `kind` for exactly `target`, in `items`' order."""
    found = []
    for item in items:
        marker = parse(str(item.get("body") or ""))
        if marker and marker.kind == kind and marker.target == target and by_bot(item):
            found.append((item, marker))
    return found


def find(
    items: Iterable[dict[str, Any]], kind: str, target: str
) -> tuple[dict[str, Any], Marker] | None:
    """The last bot-written item of `items` whose marker is of `kind` for exactly `target`: the
    newest of a list kept oldest first, as GitHub lists comments (issues it lists newest first:
    reconciler.ci.drift picks its issue itself)."""
    found = find_all(items, kind, target)
    return found[-1] if found else None


def with_marker(marker: Marker, markdown: str) -> str:
    """`markdown` under `marker`, in place of a plain marker the renderer put on its first line."""
    first, _, rest = markdown.partition("\n")
    if first.startswith(f"<!-- {marker.kind} "):
        markdown = rest
    return f"{marker.line()}\n{markdown}"
