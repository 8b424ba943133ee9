"""The YAML loader as it was before the bounds, for bench_hostile.py's comparison only.

libyaml's composer (recursive, in C) and a recursive construction of the same values
and positions as reconciler.documents.compose; no limits. Never use it on input you do not trust.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from reconciler.core.pointer import escape

_STR = "tag:yaml.org,2002:str"


class _OldLoader(yaml.CSafeLoader):  # type: ignore[misc]
    pass


_OldLoader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?(?:0|[1-9][0-9]*))$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$",
        "-+.0123456789",
    ),
):
    _OldLoader.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))
_OldLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])


def _construct(node: Any, pointer: str, positions: dict[str, tuple[int, int]]) -> Any:
    positions.setdefault(pointer, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _construct(key_node, pointer + "/<key>", {})
            child = f"{pointer}/{escape(key)}"
            positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = _construct(value_node, child, positions)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, f"{pointer}/{i}", positions) for i, item in enumerate(node.value)]
    text: str = node.value
    tag = node.tag
    if tag == _STR:
        return text
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return text.lower() == "true"
    return int(text) if tag == "tag:yaml.org,2002:int" else float(text)


def compose_documents(text: str, **_: Any) -> Iterator[tuple[Any, dict[str, Any]]]:
    loader = _OldLoader(text)
    try:
        while loader.check_node():
            positions: dict[str, tuple[int, int]] = {}
            yield _construct(loader.get_node(), "", positions), positions
    finally:
        loader.dispose()
