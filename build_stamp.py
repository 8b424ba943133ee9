"""Build hook: stamp the commit a wheel is built from into `reconciler/_build.py`.

`reconciler init` pins the scaffold's workflows to the reconciler action at the
commit the installed tool was built from, labelled with the release tag when that
commit is the release. Both are known only while building from a git checkout, so
they are written into the package then: `COMMIT`, and `RELEASE` (`v<version>` when
the commit carries exactly that tag, else None), into the wheel's build tree (never
the source tree), and into an sdist's tree, so that a wheel built later from that
sdist carries them too. Without git and without an earlier stamp, nothing is
written and `init` asks for `--action`.
"""

from __future__ import annotations

import importlib.util
import re
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


_info = _build_info()
git_head = _info.git_head  # type: ignore[attr-defined]
release_tag = _info.release_tag  # type: ignore[attr-defined]


def _version() -> str:
    text = (Path(__file__).resolve().parent / "reconciler" / "_version.py").read_text("utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.M)
    assert match is not None, "reconciler/_version.py has no __version__"
    return match[1]


def write_stamp(tree: Path, commit: str, release: str | None) -> None:
    path = tree / STAMP
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '"""Written at build time by build_stamp.py: the commit this copy was built from,\n'
        'and its release tag (None: not a release)."""\n\n'
        f'COMMIT = "{commit}"\n'
        f"RELEASE = {release!r}\n",
        encoding="utf-8",
    )


def _stamp_from_checkout(tree: Path) -> None:
    commit = git_head(Path.cwd())
    if commit is not None:
        write_stamp(tree, commit, release_tag(Path.cwd(), _version()))


class BuildPy(build_py):  # type: ignore[misc]
    """build_py, then the stamp into the build tree (a stamp from an sdist is copied as is)."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            _stamp_from_checkout(Path(self.build_lib))


class Sdist(sdist):  # type: ignore[misc]
    """sdist, with the stamp written into the release tree."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        _stamp_from_checkout(Path(base_dir))
