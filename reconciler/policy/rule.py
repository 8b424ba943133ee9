"""The rule protocol: what a policy rule is, and the context every rule is checked in.

A rule is a key under `policies:` in reconciler.yaml. It reads its own
settings (`parse`, after the keys it `needs` were found in the merged mapping)
and checks a set of schedules (`check`), returning one `Violation` per
schedule it finds at fault. Rules that read fire times (`timed`) share the
context's `engine`, built once per evaluation; the others read the schedules
or their documents. Rules live one module each in `reconciler/policy/rules/`,
which says how to add one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from reconciler.core.diagnostics import Severity
from reconciler.core.model import Schedule
from reconciler.policy.engine import Engine
from reconciler.policy.violation import Violation

if TYPE_CHECKING:
    from reconciler.documents.load import Document

__all__ = ["Context", "Rule", "Settings", "by_place", "level_of"]


class Settings(Protocol):
    """A rule's settings: a frozen value with the level its findings are reported at."""

    @property
    def level(self) -> Severity: ...


S = TypeVar("S", bound=Settings)


class Rule(Protocol[S]):
    """One policy rule: its key, the keys it cannot do without, how it reads and checks."""

    @property
    def name(self) -> str:
        """The key under `policies:` (and of the rule's fragment in config.schema.json)."""
        ...

    @property
    def needs(self) -> tuple[str, ...]:
        """Keys the merged settings must have (a target may set them apart from the top level)."""
        ...

    @property
    def timed(self) -> bool:
        """Whether the rule reads fire times (then a calendar marks the fires it finds)."""
        ...

    def parse(self, raw: Mapping[str, Any]) -> S:
        """The settings from the merged, schema-checked mapping; ValueError saying what is wrong."""
        ...

    def check(self, settings: S, context: Context) -> list[Violation]:
        """One violation per schedule at fault, at its first offending place."""
        ...


def level_of(raw: Mapping[str, Any]) -> Severity:
    """A rule's `level:` (error unless it says warning)."""
    return "warning" if raw.get("level") == "warning" else "error"


def by_place(documents: Iterable[Document]) -> dict[tuple[str, int, int], Document]:
    """Documents by (file, line, column) of their start: what a schedule's source names."""
    return {(d.file, *d.position("")): d for d in documents}


@dataclass
class Context:
    """What a check reads: the schedules, their documents, the zones and the window [start, end)."""

    schedules: Sequence[Schedule]
    site: tzinfo
    site_name: str
    zones: Sequence[tuple[str, tzinfo]]  # (name, zone) of each audience zone
    start: datetime
    end: datetime
    documents: Iterable[Document] = field(default=())

    @cached_property
    def engine(self) -> Engine:
        """The fires landed in every audience zone, built on first use and shared by the rules."""
        return Engine(self.schedules, self.zones, self.site, self.start, self.end)

    @cached_property
    def documents_by_place(self) -> dict[tuple[str, int, int], Document]:
        return by_place(self.documents)
