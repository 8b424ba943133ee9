"""The test suite's own layout: no test module imports another; shared code lives in tests/support."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
TEST_MODULES = sorted(TESTS.glob("test_*.py"))
SUPPORT_MODULES = sorted((TESTS / "support").glob("*.py"))


def _is_test_module(dotted: str) -> bool:
    parts = dotted.split(".")
    return any(part.startswith("test_") for part in parts)


def imported_test_modules(source: str) -> list[str]:
    """Every test module that ``source`` imports from (absolutely or relatively), in order."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if _is_test_module(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if _is_test_module(module):
                found.append(module)
            elif node.level or module == "tests":
                # `from . import test_x` or `from tests import test_x`
                package = module if module.endswith(".") else f"{module}."
                found += [
                    package + alias.name for alias in node.names if alias.name.startswith("test_")
                ]
    return found


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from tests.test_plan import desired\n", ["tests.test_plan"]),
        ("import tests.test_plan\n", ["tests.test_plan"]),
        ("import tests.test_plan as plan\n", ["tests.test_plan"]),
        ("from .test_plan import desired\n", [".test_plan"]),
        ("from . import test_plan\n", [".test_plan"]),
        ("from tests import test_plan\n", ["tests.test_plan"]),
        ("def f():\n    from tests.test_plan import desired\n", ["tests.test_plan"]),
        ("from tests.support.plan import desired\n", []),
        ("from tests import support\nimport pytest\n", []),
        ("from reconciler.plan.planner import make_plan\n", []),
    ],
)
def test_the_import_check_sees_every_spelling(source: str, expected: list[str]) -> None:
    assert imported_test_modules(source) == expected


def test_there_are_test_modules_to_check() -> None:
    assert len(TEST_MODULES) >= 20
    assert Path(__file__) in TEST_MODULES


@pytest.mark.parametrize("path", TEST_MODULES + SUPPORT_MODULES, ids=lambda p: p.name)
def test_no_module_imports_a_test_module(path: Path) -> None:
    imports = imported_test_modules(path.read_text(encoding="utf-8"))
    assert imports == [], f"{path.name} imports {imports}: move what it shares to tests/support/"


@pytest.mark.parametrize("path", SUPPORT_MODULES, ids=lambda p: p.name)
def test_each_support_module_says_its_job(path: Path) -> None:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring, f"tests/support/{path.name} needs a docstring that states its one job"
