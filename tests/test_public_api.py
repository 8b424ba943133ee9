"""The Python API: the names the documentation shows come from `reconciler` itself, the
snippet of docs/python-api.md runs as written, and every old module path (the README's, the
documentation's and the CHANGELOG's included) still works for one release, with a
DeprecationWarning, giving the very objects of the new paths."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import reconciler
from reconciler._compat import MOVED, RENAMED, new_home
from tests.support.cli import doc, write

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CHANGELOG = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
PYTHON_API = (ROOT / "docs" / "python-api.md").read_text(encoding="utf-8")
DOCS = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").rglob("*.md")))

#: What docs/python-api.md's "The sync path" names, importable from the package itself.
DOCUMENTED_API = [
    "load_config",
    "sync",
    "SyncOptions",
    "SyncHooks",
    "QuietHooks",
    "each_target",
    "JointApproval",
    "PlanRefused",
    "StalePlan",
    "LocalStateError",
    "plan_target",
]


def snippet() -> str:
    section = PYTHON_API.split("## The sync path", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.mark.parametrize("name", DOCUMENTED_API)
def test_the_documented_api_comes_from_the_package_without_a_warning(name: str) -> None:
    assert f"::: reconciler.{name}" in PYTHON_API or name in snippet()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert name in reconciler.__all__
        assert getattr(reconciler, name) is not None


def test_the_packages_names_are_the_modules_objects() -> None:
    from reconciler.apply import manager
    from reconciler.config import load

    assert reconciler.sync is manager.sync
    assert reconciler.JointApproval is manager.JointApproval
    assert reconciler.load_config is load.load_config
    with pytest.raises(AttributeError):
        _ = reconciler.no_such_name


def test_the_python_api_snippet_runs_as_written(tmp_path: Path) -> None:
    code = snippet()
    assert "from reconciler import" in code
    assert "reconciler.manager" not in code
    assert "reconciler.config" not in code
    when = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S")
    (tmp_path / "schedules.d").mkdir()
    write(tmp_path, doc("readme_push", trigger={"single": {"time": when, "zone_type": 1}}))
    result = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Apply: 1 done, 0 failed (1 created). True\n"


def _public(module: Any) -> list[str]:
    declared: list[str] | None = getattr(module, "__all__", None)
    return declared if declared is not None else [n for n in vars(module) if n[0] != "_"]


def old_names() -> list[tuple[str, str]]:
    """(old module, name) for every name of every module an old path now stands for."""
    found: list[tuple[str, str]] = []
    for old, homes in MOVED.items():
        names = {name for home in homes for name in _public(importlib.import_module(home))}
        found += [(old, name) for name in sorted(names | set(RENAMED.get(old, {})))]
    return found


@pytest.mark.parametrize(("old", "name"), old_names(), ids=lambda v: str(v))
def test_an_old_path_warns_and_gives_the_same_object(old: str, name: str) -> None:
    expected, where = new_home(old, name)
    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=re.escape(f"{old}.{name} moved to {where}")):
        value = getattr(module, name)
    assert value is expected or value == expected


def mentioned_paths(text: str) -> set[str]:
    """Every `reconciler…` module path a document names, as a dotted path."""
    found = set()
    for raw in re.findall(r"`(reconciler(?:[./][A-Za-z_][A-Za-z0-9_]*)+(?:\.py)?)", text):
        if raw != "reconciler.yaml":  # the config file, not a module
            found.add(raw.removesuffix(".py").replace("/", "."))
    return found


def resolve(dotted: str) -> Any:
    """The module, or the attribute of the longest importable module prefix, that `dotted` names."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            module: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            module = getattr(module, attribute)
        return module
    raise ModuleNotFoundError(dotted)


@pytest.mark.parametrize(
    "dotted",
    sorted(mentioned_paths(README) | mentioned_paths(DOCS) | mentioned_paths(CHANGELOG)),
    ids=str,
)
def test_every_path_the_readme_docs_and_changelog_name_still_works(dotted: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert resolve(dotted) is not None


def test_the_documents_name_old_paths_too() -> None:
    named = mentioned_paths(README) | mentioned_paths(DOCS) | mentioned_paths(CHANGELOG)
    assert {"reconciler.manager.sync", "reconciler.compose", "reconciler.api._claim"} <= named
