"""The import contracts (.importlinter) hold for the package, and fail for a module that
breaks one: an upward import (inside a function too), a cycle, the emulator reaching into
the planner, httpx outside the clients. A TYPE_CHECKING-only import is allowed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports over the copy of the package at `tree`, with the project's contracts."""
    env = {**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "250"}  # one contract a line
    return subprocess.run(
        [str(LINT), "--no-cache", "--no-logo", str(ROOT / ".importlinter")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("pristine")
    shutil.copytree(
        ROOT / "reconciler",
        tree / "reconciler",
        symlinks=True,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return tree


@pytest.fixture
def tree(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "tree"
    shutil.copytree(pristine, copy, symlinks=True)
    return copy


def add(tree: Path, module: str, text: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    path.write_text(text, encoding="utf-8")


def test_the_package_keeps_every_contract(pristine: Path) -> None:
    result = lint(pristine)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 6 kept, 0 broken." in result.stdout


def test_an_upward_import_hidden_in_a_function_breaks_the_layers(tree: Path) -> None:
    add(tree, "reconciler.core.sneaky", "def f():\n    from reconciler.cli import group\n")
    result = lint(tree)
    assert result.returncode == 1
    assert "The stages import only downwards BROKEN" in result.stdout
    assert "reconciler.core.sneaky -> reconciler.cli.group" in result.stdout


def test_a_type_checking_import_documents_a_type_and_is_allowed(tree: Path) -> None:
    add(
        tree,
        "reconciler.core.typed",
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from reconciler.plan.changes import Plan\n",
    )
    assert lint(tree).returncode == 0


def test_sibling_views_may_not_import_each_other(tree: Path) -> None:
    add(tree, "reconciler.views.uses_sync", "from reconciler.apply import manager\n")
    result = lint(tree)
    assert result.returncode == 1
    assert "The stages import only downwards BROKEN" in result.stdout


def test_a_cycle_inside_one_layer_is_found(tree: Path) -> None:
    add(tree, "reconciler.views.ping", "def f():\n    from reconciler.views import pong\n")
    add(tree, "reconciler.views.pong", "from reconciler.views import ping\n")
    result = lint(tree)
    assert result.returncode == 1
    assert "No import cycle between the modules of any package BROKEN" in result.stdout


def test_the_emulator_may_not_reach_into_the_planner(tree: Path) -> None:
    add(tree, "reconciler.emulator.cheat", "from reconciler.core.model import canonical\n")
    result = lint(tree)
    assert result.returncode == 1
    assert (
        "The emulator stands alone: it shares the JSON schemas (as data), not the planner's code BROKEN"
        in result.stdout
    )


def test_httpx_stays_behind_the_clients(tree: Path) -> None:
    add(tree, "reconciler.plan.fetching", "import httpx\n")
    result = lint(tree)
    assert result.returncode == 1
    assert (
        "httpx only behind the remote client, the GitHub client and the emulator's transport BROKEN"
        in result.stdout
    )
