"""Config: reconciler.yaml, its defaults and per-target overrides, resolved for one target.

Every key but `default_target` and `targets` may be set at the top level and
overridden per target. A missing file means the defaults: one target,
`local`, the embedded emulator.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.errors import ConfigError
from reconciler.load import parse_documents, read_text
from reconciler.schema import checker
from reconciler.timing import zone

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
)


@dataclass(frozen=True)
class Safety:
    max_delete_percent: float = 30
    max_update_percent: float = 50
    min_existing: int = 10


@dataclass(frozen=True)
class Target:
    """Everything one target needs, overrides applied."""

    name: str
    root: Path
    endpoint: str | None = "local"
    region: str | None = None
    app_key_env: str = "ENGAGELAB_APP_KEY"
    master_secret_env: str = "ENGAGELAB_MASTER_SECRET"  # noqa: S105 - a variable's name
    site_timezone: str = "UTC"
    schedules: str = "schedules.d/**/*.yaml"
    prune: bool = True
    manage_prefix: str = ""
    protect: tuple[str, ...] = ()
    ignore_fields: tuple[str, ...] = ()
    safety: Safety = field(default_factory=Safety)
    quota: int = 1000
    concurrency: int = 32
    rate_limit: float = 400

    @property
    def is_local(self) -> bool:
        return self.endpoint == "local"

    @property
    def state_file(self) -> Path:
        """Where the embedded emulator of `endpoint: local` keeps its state."""
        return self.root / ".reconciler" / f"{self.name}.db"


@dataclass(frozen=True)
class Config:
    path: Path | None
    root: Path
    default_target: str
    targets: Mapping[str, Target]

    def target(self, name: str | None = None) -> Target:
        chosen = name or self.default_target
        if chosen not in self.targets:
            known = ", ".join(sorted(self.targets))
            where = self.path.name if self.path else "the defaults"
            raise ConfigError(f"unknown target {chosen!r} in {where} (known: {known})")
        return self.targets[chosen]


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
    return Target(name=name, root=root, **merged)


def _at(file: str, positions: Mapping[str, tuple[int, int]], pointer: str) -> str:
    while pointer not in positions and pointer:
        pointer = pointer.rsplit("/", 1)[0]
    line, column = positions.get(pointer, (1, 1))
    return f"{file}:{line}:{column}"


def _error_at(file: str, positions: Mapping[str, tuple[int, int]], error: Any) -> ConfigError:
    pointer = "".join(f"/{p}" for p in error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        key = sorted(set(error.instance) - set(allowed))[0]
        pointer += f"/{key}"
        where = ".".join(str(p) for p in error.absolute_path) or "the file"
        hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        tip = f"; did you mean {hint[0]!r}?" if hint else f" (known: {', '.join(allowed)})"
        message = f"unknown key {key!r} in {where}{tip}"
    elif error.validator == "not":
        message = "a target takes `endpoint:` or `region:`, not both"
    else:
        where = ".".join(str(p) for p in error.absolute_path) or "the file"
        message = f"{where}: {error.message}"
        if (
            error.validator == "type"
            and error.validator_value == "boolean"
            and isinstance(error.instance, str)
        ):
            message += " (write true or false; YAML 1.1 yes/no/on/off are strings here)"
    return ConfigError(f"{_at(file, positions, pointer)}: error: {message}")


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
    data: Any = documents[0].data if documents else {}
    positions = documents[0].positions if documents else {}
    errors = list(checker("config.schema.json").errors(data))
    if errors:
        raise _error_at(file, positions, errors[0])
    root = config_path.parent
    raw_targets: Mapping[str, Any] = data.get("targets") or {"local": {"endpoint": "local"}}
    targets: dict[str, Target] = {}
    for name, own in raw_targets.items():
        try:
            targets[name] = _target(name, root, data, own)
        except ConfigError as err:
            raise ConfigError(f"{_at(file, positions, f'/targets/{name}')}: error: {err}") from None
    default = data.get("default_target") or ("local" if "local" in targets else sorted(targets)[0])
    if default not in targets:
        where = _at(file, positions, "/default_target")
        raise ConfigError(f"{where}: error: default_target {default!r} is not among the targets")
    for target in targets.values():
        try:
            zone(target.site_timezone)
        except ValueError as err:
            where = _at(file, positions, f"/targets/{target.name}/site_timezone")
            raise ConfigError(f"{where}: error: target {target.name!r}: {err}") from None
    return Config(config_path, root, default, targets)
