"""Build hook: stamp the commit a wheel is built from into `reconciler/_build.py`.

`reconciler init` pins the scaffold's workflows to the reconciler action at the
commit the installed tool was built from. That commit is known only while
building from a git checkout, so it is written into the package then: into the
wheel's build tree (never the source tree), and into an sdist's tree, so that a
wheel built later from that sdist carries it too. Without git and without an
earlier stamp, nothing is written and `init` asks for `--action`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

STAMP = Path("reconciler") / "_build.py"


def _build_info() -> object:
    """reconciler/repo/build_info.py, loaded by path: the package is not importable while it builds."""
    path = Path(__file__).resolve().parent / "reconciler" / "repo" / "build_info.py"
    spec = importlib.util.spec_from_file_location("_reconciler_build_info", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


git_head = _build_info().git_head  # type: ignore[attr-defined]


def write_stamp(tree: Path, commit: str) -> None:
    path = tree / STAMP
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '"""Written at build time by build_stamp.py: the commit this copy was built from."""\n\n'
        f'COMMIT = "{commit}"\n',
        encoding="utf-8",
    )


class BuildPy(build_py):  # type: ignore[misc]
    """build_py, then the stamp into the build tree (a stamp from an sdist is copied as is)."""

    def run(self) -> None:
        super().run()
        commit = git_head(Path.cwd())
        if commit is not None and not self.editable_mode:
            write_stamp(Path(self.build_lib), commit)


class Sdist(sdist):  # type: ignore[misc]
    """sdist, with the stamp written into the release tree."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        commit = git_head(Path.cwd())
        if commit is not None:
            write_stamp(Path(base_dir), commit)
