"""The code stays readable in one sitting: no function in `reconciler/` over 80 lines, none in
the command-line module over 40 (it only parses, calls and renders)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "reconciler"
LIMIT = 80
CLI_LIMIT = 40


def functions(path: Path) -> list[tuple[str, int]]:
    """(name, lines from `def` to its last line) of every function and method in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.name, (node.end_lineno or node.lineno) - node.lineno + 1)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_walk_sees_the_package() -> None:
    names = {path.relative_to(PACKAGE).as_posix() for path in modules()}
    assert {
        "cli/group.py",
        "apply/manager.py",
        "plan/planner.py",
        "remote/engagelab/_listing.py",
    } <= names


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_function_is_too_long(path: Path) -> None:
    limit = CLI_LIMIT if path == PACKAGE / "cli" / "group.py" else LIMIT
    too_long = [f"{name} ({lines} lines)" for name, lines in functions(path) if lines > limit]
    assert not too_long, f"over {limit} lines in {path.name}: {', '.join(too_long)}"


def test_the_measure_counts_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT))
    sample = tmp_path / "long.py"
    sample.write_text(f"def long() -> None:\n{body}\n", encoding="utf-8")
    assert functions(sample) == [("long", LIMIT + 1)]
