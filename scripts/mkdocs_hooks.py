"""mkdocs hooks (mkdocs.yml `hooks:`): what the documentation generates, so it cannot drift.

- `<!-- schema-reference: NAME -->` in a page becomes the reference tables of
  `schemas/NAME`, written from the schema at build time: every key, its type, the values
  it takes and its description. A key without a description fails the build (the
  schemas are also what editors show on hover, so the words belong there).
- The command-line reference (`reference/cli.md`, mkdocs-click) must show every command
  and subcommand the click group has: the group loads its commands lazily (COMMANDS),
  and a command the generator did not see fails the build.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import click
from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
CLI_PAGE = "reference/cli.md"
_MARKER = re.compile(r"<!-- schema-reference: ([\w.-]+\.json) -->")


# --- the schemas' reference --------------------------------------------------------------------


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The node a `$ref` names (with the referring node's own keys over it), and the ref."""
    ref = node.get("$ref")
    if ref is None:
        return node, None
    target: Any = schema
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}, ref


def _type(node: dict[str, Any], schema: dict[str, Any]) -> str:
    if "const" in node:
        return f"`{json.dumps(node['const'], ensure_ascii=False)}`"
    if "enum" in node:
        return ", ".join(f"`{json.dumps(v, ensure_ascii=False)}`" for v in node["enum"])
    if "anyOf" in node:
        return " or ".join(_type(_resolve(schema, option)[0], schema) for option in node["anyOf"])
    kind = node.get("type")
    if kind is None:
        return "any"
    kinds = kind if isinstance(kind, list) else [kind]
    words = []
    for one in kinds:
        if one == "array" and "items" in node:
            words.append(f"list of {_type(_resolve(schema, node['items'])[0], schema)}")
        else:
            words.append(one)
    return " or ".join(words)


def _bounds(node: dict[str, Any]) -> str:
    parts = []
    for key, word in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤")):
        if key in node:
            parts.append(f"{word} {node[key]}")
    if "minLength" in node:
        parts.append(f"at least {node['minLength']} character(s)")
    if "minItems" in node:
        parts.append(f"at least {node['minItems']} item(s)")
    if "minProperties" in node:
        parts.append(f"at least {node['minProperties']} key(s)")
    if "maxProperties" in node:
        parts.append(f"at most {node['maxProperties']} key(s)")
    if "pattern" in node:
        # Raw HTML with entities: in a code span, `|` would end the table's cell, and
        # `[0-9]` would be read as a link.
        pattern = html.escape(node["pattern"])
        for char, entity in (("|", "&#124;"), ("[", "&#91;"), ("]", "&#93;")):
            pattern = pattern.replace(char, entity)
        parts.append(f"matches <code>{pattern}</code>")
    if node.get("uniqueItems"):
        parts.append("no repeats")
    return "; ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rows(
    schema: dict[str, Any],
    node: dict[str, Any],
    path: str,
    seen: dict[str, str],
    out: list[str],
    missing: list[str],
) -> None:
    required = set(node.get("required", ()))
    children: list[tuple[str, dict[str, Any]]] = [
        (f"{path}.{key}" if path else key, value)
        for key, value in node.get("properties", {}).items()
    ]
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        children.append((f"{path}.<name>" if path else "<name>", extra))
    # Plain keys first, maps (`targets.<name>`) last: a key shared through a `$ref` under
    # the same name (`prune`, `targets.<name>.prune`) is described where it first appears,
    # at the shallowest level, and referred to after.
    children.sort(
        key=lambda child: isinstance(
            _resolve(schema, child[1])[0].get("additionalProperties"), dict
        )
    )
    for key_path, raw in children:
        child, ref = _resolve(schema, raw)
        name = key_path.rsplit(".", 1)[-1]
        description = raw.get("description") or child.get("description") or ""
        expand = True
        first = seen.get(ref or "", key_path)
        if ref is not None and first != key_path and first.rsplit(".", 1)[-1] == name:
            description = f"As [`{seen[ref]}`](#{_anchor(seen[ref])})."
            expand = False
        elif ref is not None:
            seen.setdefault(ref, key_path)
        if not description:
            missing.append(key_path)
        must = "yes" if name in required else ""
        out.append(
            f'| <a id="{_anchor(key_path)}"></a>`{key_path}` | {_cell(_type(child, schema))} '
            f"| {_cell(_bounds(child))} | {must} | {_cell(description)} |"
        )
        if not expand:
            continue
        if "properties" in child or isinstance(child.get("additionalProperties"), dict):
            _rows(schema, child, key_path, seen, out, missing)
        for option in child.get("anyOf", ()):
            resolved, _ = _resolve(schema, option)
            if "properties" in resolved:
                _rows(schema, resolved, key_path, seen, out, missing)


def _anchor(key_path: str) -> str:
    return "key-" + re.sub(r"[^a-z0-9]+", "-", key_path.lower()).strip("-")


def schema_reference(name: str) -> str:
    """The reference table of one schema, as Markdown; raises if a key has no description."""
    path = SCHEMAS / name
    if not path.is_file():
        raise PluginError(f"schema-reference: schemas/{name} does not exist")
    schema = json.loads(path.read_text(encoding="utf-8"))
    out = [
        f"*Generated from `schemas/{name}` when the site is built.* {schema.get('description', '')}",
        "",
        "| key | type | bounds | required | description |",
        "|---|---|---|---|---|",
    ]
    missing: list[str] = []
    _rows(schema, schema, "", {}, out, missing)
    if missing:
        raise PluginError(
            f"schemas/{name}: no description for {', '.join(missing)}: add one to the schema "
            "(editors show it on hover, and the configuration reference is written from it)"
        )
    return "\n".join(out) + "\n"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return _MARKER.sub(lambda match: schema_reference(match[1]), markdown)


# --- the command line's reference --------------------------------------------------------------


def command_paths(command: click.Command, prefix: str = "reconciler") -> list[str]:
    """Every command path of the group ("reconciler ci plan"), loading each as `--help` would."""
    paths = [prefix]
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=prefix.rsplit(" ", 1)[-1])
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None:
                raise PluginError(f"{prefix} {name}: listed but cannot be loaded")
            paths += command_paths(sub, f"{prefix} {name}")
    return paths


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    if page.file.src_uri != CLI_PAGE:
        return html
    from reconciler.cli.group import main

    absent = [path for path in command_paths(main) if f">{path}<" not in html]
    if absent:
        raise PluginError(f"{CLI_PAGE} does not show {', '.join(absent)} (mkdocs-click)")
    return html
