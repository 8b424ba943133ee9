"""The code stays readable in one sitting and shaped like the data flow: no function in
`reconciler/` over 80 lines, none in the command line's modules over 40 (they only parse,
call and render); no module over 450 lines; no module outside a stage's subpackage but the
root's own; every public module declares `__all__`; no module of ours uses an old path."""

from __future__ import annotations

import ast
import importlib
import tomllib
from pathlib import Path

import pytest

from reconciler._compat import MOVED

PACKAGE = Path(__file__).resolve().parents[1] / "reconciler"
LIMIT = 80
CLI_LIMIT = 40
MODULE_LIMIT = 450
#: The root's own modules; `_build` is the commit stamp a wheel carries (build_stamp.py).
ROOT_MODULES = {"__init__", "__main__", "errors", "limits", "_version", "_build"}
#: Packages that took an old module's name: only their submodules may be imported from them.
FORWARDING = {
    "reconciler.config",
    "reconciler.plan",
    "reconciler.policy",
    "reconciler.apply",
    "reconciler.cli",
}


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


def dotted(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_public(path: Path) -> bool:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return path.name != "__main__.py" and not any(
        p.startswith("_") and p != "__init__" for p in parts
    )


def test_the_walk_sees_the_package() -> None:
    names = {path.relative_to(PACKAGE).as_posix() for path in modules()}
    assert {
        "cli/group.py",
        "cli/plan.py",
        "apply/manager.py",
        "plan/planner.py",
        "remote/engagelab/_listing.py",
    } <= names


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_function_is_too_long(path: Path) -> None:
    limit = CLI_LIMIT if path.parent == PACKAGE / "cli" else LIMIT
    too_long = [f"{name} ({lines} lines)" for name, lines in functions(path) if lines > limit]
    assert not too_long, f"over {limit} lines in {path.name}: {', '.join(too_long)}"


def test_the_measure_counts_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT))
    sample = tmp_path / "long.py"
    sample.write_text(f"def long() -> None:\n{body}\n", encoding="utf-8")
    assert functions(sample) == [("long", LIMIT + 1)]


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_module_is_too_long(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MODULE_LIMIT, f"{path.name} has {lines} lines; split it by concept"


def test_the_wheel_carries_every_package() -> None:
    setuptools = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["tool"][
        "setuptools"
    ]
    packages = {dotted(path) for path in PACKAGE.rglob("__init__.py")}
    missing = packages - set(setuptools["packages"])
    assert not missing, f"add {sorted(missing)} to [tool.setuptools] packages in pyproject.toml"


def test_no_module_outside_a_subpackage_but_the_roots_own() -> None:
    flat = {path.stem for path in PACKAGE.glob("*.py")}
    assert flat <= ROOT_MODULES, f"move {sorted(flat - ROOT_MODULES)} into a stage's subpackage"
    assert {"__init__", "errors", "limits"} <= flat


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_each_module_opens_with_its_job(path: Path) -> None:
    assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), path.name


@pytest.mark.parametrize("path", [p for p in modules() if is_public(p)], ids=lambda p: dotted(p))
def test_each_public_module_declares_its_names(path: Path) -> None:
    module = importlib.import_module(dotted(path))
    declared = getattr(module, "__all__", None)
    assert declared is not None, f"{dotted(path)} has no __all__"
    missing = [name for name in declared if not hasattr(module, name)]
    assert not missing, f"{dotted(path)}.__all__ names what it lacks: {missing}"


def old_paths(source: str) -> list[str]:
    """The imports in `source` that go through an old path (served by reconciler._compat)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name in MOVED and a.name not in FORWARDING]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module in MOVED and node.module not in FORWARDING:
                found.append(node.module)
            elif node.module in FORWARDING:
                package = PACKAGE.parent / node.module.replace(".", "/")
                found += [
                    f"{node.module}.{a.name}"
                    for a in node.names
                    if not (package / f"{a.name}.py").exists() and not (package / a.name).is_dir()
                ]
    return found


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from reconciler.manager import sync\n", ["reconciler.manager"]),
        ("import reconciler.api\n", ["reconciler.api"]),
        ("def f():\n    from reconciler.plan import Plan\n", ["reconciler.plan.Plan"]),
        ("from reconciler.plan import changes\n", []),
        ("from reconciler.plan.changes import Plan\n", []),
        ("from reconciler import sync\n", []),
    ],
)
def test_the_old_path_check_sees_them(source: str, expected: list[str]) -> None:
    assert old_paths(source) == expected


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_module_of_ours_uses_an_old_path(path: Path) -> None:
    assert old_paths(path.read_text(encoding="utf-8")) == []
