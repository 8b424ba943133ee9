"""Formats: one registry style for every view's outputs (plan, validation, calendar, history).

A view is a value (a Plan, a Calendar, …) and the functions that render it,
each a pure function of the value alone. A view's `Formats` names them; the
CLI's `--format` choices are its `names`, and `render(value, fmt)` is the
one way to call them.

How to add an output format to a view: write the function (`def render_x(value) -> str`,
in the view's module, or in a module of its own when it is a new kind of
output), and add one entry to that view's `FORMATS`. The command line offers
it at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

__all__ = ["Formats", "Renderer"]

V = TypeVar("V")
Renderer = Callable[[V], str]


class Formats(Generic[V]):
    """The output formats of one view: name -> renderer, in the order they are offered."""

    def __init__(self, view: str, renderers: Mapping[str, Renderer[V]]) -> None:
        self.view = view
        self._renderers = dict(renderers)

    def __iter__(self) -> Iterator[str]:
        return iter(self._renderers)

    def __contains__(self, fmt: object) -> bool:
        return fmt in self._renderers

    @property
    def names(self) -> tuple[str, ...]:
        """The format names, for `--format` (the first is the default)."""
        return tuple(self._renderers)

    def render(self, value: V, fmt: str) -> str:
        """`value` in format `fmt` (one of `names`; ValueError otherwise)."""
        try:
            renderer = self._renderers[fmt]
        except KeyError:
            known = ", ".join(self._renderers)
            raise ValueError(f"no {fmt!r} format for the {self.view} (known: {known})") from None
        return renderer(value)
