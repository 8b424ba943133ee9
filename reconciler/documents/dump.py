"""Dump: values as the YAML a person writes, which our loader reads back as written.

`Dumper` writes block style, flat lists in brackets (`point: [MON, THU]`), and
double-quotes what a reader would take for another type: times, dates, digit
strings, and any string the YAML 1.2 core loader (reconciler.documents.compose)
would not read as a string. `in_schema_order` puts a schedule's keys in the
order the schema lists them (name, enabled, trigger, push; start, end, time,
time_unit, point, frequency, zone_type; …): the order the samples and the
documentation use. `schedule_yaml` is both, for the plan's readers; `import`
writes its files with the same `Dumper`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import yaml

from reconciler.documents.compose import plain_is_string
from reconciler.documents.schema import load_schema

__all__ = ["Dumper", "in_schema_order", "schedule_yaml"]

_QUOTED = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}|\d{2}:\d{2}:\d{2}|\d+")


class Dumper(yaml.SafeDumper):
    """Writes YAML that our loader reads back as written: block style; times, dates, digit
    strings, and any string our YAML 1.2 core loader would read as another type (PyYAML's
    own YAML 1.1 rules leave `0E0` plain, which 1.2 reads as a number) double-quoted."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Double quotes escape what other styles would write raw and a reader would fold: line
    # breaks (\n, U+0085, U+2028) and other characters that are not printable.
    quoted = (
        _QUOTED.fullmatch(value)
        or not plain_is_string(value)
        or not all(c.isprintable() and c not in "\x85\u2028\u2029" for c in value)
    )
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"' if quoted else None)


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    # `point: [MON, THU]` reads better than a block list; nested structures stay block.
    flat = all(not isinstance(v, dict | list) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat)


Dumper.add_representer(str, _str)
Dumper.add_representer(list, _list)


@cache
def _schedule_schema() -> dict[str, Any]:
    return load_schema("schedule.schema.json")


def _node(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    """The schema node, its `$ref` followed (and an `anyOf`'s mapping branch)."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _node(defs[ref.removeprefix("#/$defs/")], defs)
    for branch in schema.get("anyOf", ()):
        found = _node(branch, defs)
        if "properties" in found:
            return found
    return schema


def _ordered(value: Any, schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Any:
    if not isinstance(value, Mapping):
        return value
    properties: Mapping[str, Any] = _node(schema, defs).get("properties", {})
    rank = {key: index for index, key in enumerate(properties)}
    # Keys the schema does not name (passed-through objects) keep their order, after the rest.
    keys = sorted(value, key=lambda k: rank.get(k, len(rank)))
    return {k: _ordered(value[k], properties.get(k, {}), defs) for k in keys}


def in_schema_order(body: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the schedule `body` with every mapping's keys in the schema's order."""
    schema = _schedule_schema()
    ordered: dict[str, Any] = _ordered(body, schema, schema.get("$defs", {}))
    return ordered


def schedule_yaml(body: Mapping[str, Any]) -> str:
    """The schedule `body` as block YAML, keys in the schema's order."""
    text: str = yaml.dump(
        in_schema_order(body), Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100
    )
    return text
