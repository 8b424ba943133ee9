"""Load: reconciler.yaml read, checked against its schema, and resolved into targets.

Every key but `default_target` and `targets` (and what places a target:
`provider`, `endpoint`, `region`, the credentials' variables, `site_timezone`)
may be set at the top level and overridden per target. A missing file means
the defaults: one target, `local`, the embedded emulator. Every error names
the file, line and column.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.config.targets import Config, Safety, Target
from reconciler.core import pointer
from reconciler.core.diagnostics import unknown_key
from reconciler.documents.load import Document, parse_documents, read_text
from reconciler.documents.schema import checker
from reconciler.errors import ConfigError
from reconciler.policy.settings import Policies, merge_policies

__all__ = ["CONFIG_FILE", "OVERRIDABLE", "load_config"]

CONFIG_FILE = "reconciler.yaml"
OVERRIDABLE = (
    "schedules",
    "prune",
    "manage_prefix",
    "protect",
    "ignore_fields",
    "safety",
    "quota",
    "concurrency",
    "rate_limit",
    "policies",
    "request_timeout",
    "max_file_bytes",
)


def _target(name: str, root: Path, top: Mapping[str, Any], own: Mapping[str, Any]) -> Target:
    merged: dict[str, Any] = {k: top[k] for k in OVERRIDABLE if k in top}
    merged.update(own)
    if "region" in own and "endpoint" not in own:
        merged["endpoint"] = None
    if not merged.get("endpoint") and not merged.get("region"):
        raise ConfigError(f"target {name!r} needs `endpoint:` (a URL or local) or `region:`")
    if "safety" in merged:
        # Key by key: a target that tightens one threshold keeps the others.
        merged["safety"] = Safety(**{**top.get("safety", {}), **own.get("safety", {})})
    for key in ("protect", "ignore_fields"):
        if key in merged:
            merged[key] = tuple(merged[key])
    if "policies" in merged:
        # Key by key, and inside each rule: relaxing one rule's level keeps its bounds.
        try:
            merged["policies"] = Policies.from_json(
                merge_policies(top.get("policies") or {}, own.get("policies") or {})
            )
        except ValueError as err:
            raise ConfigError(f"policies: {err}") from None
    return Target(name=name, root=root, **merged)


def _at(doc: Document, pointer: str) -> str:
    line, column = doc.position(pointer)
    return f"{doc.file}:{line}:{column}"


def _error_at(doc: Document, error: Any) -> ConfigError:
    path = pointer.join(error.absolute_path)
    where = ".".join(str(p) for p in error.absolute_path) or "the file"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        key = sorted(set(error.instance) - set(allowed))[0]
        path += "/" + pointer.escape(key)
        message = unknown_key(key, allowed, where)
    elif error.validator == "not":
        message = "a target takes `endpoint:` or `region:`, not both"
    else:
        message = f"{where}: {error.message}"
        if (
            error.validator == "type"
            and error.validator_value == "boolean"
            and isinstance(error.instance, str)
        ):
            message += " (write true or false; YAML 1.1 yes/no/on/off are strings here)"
    return ConfigError(f"{_at(doc, path)}: error: {message}")


def load_config(path: Path | None, cwd: Path) -> Config:
    """Read `path` (or ./reconciler.yaml if present, else the defaults), validated by its schema."""
    explicit = path is not None
    config_path = (cwd / path) if path is not None else cwd / CONFIG_FILE
    if not config_path.exists():
        if explicit:
            raise ConfigError(f"config file {config_path} not found")
        return Config(None, cwd, "local", {"local": Target(name="local", root=cwd)})
    file = config_path.name
    text, problem = read_text(config_path, file)
    if problem is not None or text is None:
        raise ConfigError(str(problem))
    documents, diagnostics = parse_documents(text, file)
    if diagnostics:
        raise ConfigError(str(diagnostics[0]))
    if len(documents) > 1:
        raise ConfigError(f"{file}: error: one YAML document expected, found {len(documents)}")
    doc = documents[0] if documents else Document(file, 0, {}, {})
    data: Any = doc.data
    errors = list(checker("config.schema.json").errors(data))
    if errors:
        raise _error_at(doc, errors[0])
    root = config_path.parent
    raw_targets: Mapping[str, Any] = data.get("targets") or {"local": {"endpoint": "local"}}
    targets: dict[str, Target] = {}
    for name, own in raw_targets.items():
        try:
            targets[name] = _target(name, root, data, own)
        except ConfigError as err:
            where = _at(doc, "/targets/" + pointer.escape(name))
            raise ConfigError(f"{where}: error: {err}") from None
    default = data.get("default_target") or ("local" if "local" in targets else sorted(targets)[0])
    if default not in targets:
        where = _at(doc, "/default_target")
        raise ConfigError(f"{where}: error: default_target {default!r} is not among the targets")
    for target in targets.values():
        try:
            target.site_zone  # noqa: B018 - looked up once here, so that a bad name fails early
        except ValueError as err:
            where = _at(doc, pointer.join(["targets", target.name, "site_timezone"]))
            raise ConfigError(f"{where}: error: target {target.name!r}: {err}") from None
    return Config(config_path, root, default, targets)
