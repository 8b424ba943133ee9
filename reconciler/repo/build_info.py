"""Build info: where the reconciler action lives, the commit this copy was built from,
and whether that commit is a release.

`reconciler init` pins the scaffold's workflows to `ACTION_REPOSITORY` at that
commit: the stamp a wheel carries (`reconciler/_build.py`, written by
`build_stamp.py`), else, for a copy running from a git checkout (an editable
install), that checkout's HEAD. The build is a release only when its commit
carries the tag `v<__version__>`: the stamp records that tag (the release
workflow checks it is there), and a checkout is asked the same question.
"""

from __future__ import annotations

import importlib
import re
import subprocess
from pathlib import Path

__all__ = [
    "ACTION_REPOSITORY",
    "DOCS_URL",
    "git_head",
    "release_tag",
    "source_commit",
    "source_release",
]

#: The GitHub repository of the reconciler action (action.yml at its root).
ACTION_REPOSITORY = "engagelab/schedule-reconciler"
#: The documentation site (mkdocs.yml's site_url), published from ACTION_REPOSITORY's main.
DOCS_URL = "https://engagelab.github.io/schedule-reconciler/"
_SHA = re.compile(r"[0-9a-f]{40}")


def _stamp() -> object | None:
    try:
        return importlib.import_module("reconciler._build")
    except ImportError:
        return None


def _stamped() -> str | None:
    commit = getattr(_stamp(), "COMMIT", None)
    return commit if isinstance(commit, str) and _SHA.fullmatch(commit) else None


def git_head(root: Path) -> str | None:
    """HEAD of the git checkout at `root`, or None when it is not one (or git is missing)."""
    try:
        out = subprocess.run(  # noqa: S603 - a fixed command; root is our own path
            ["git", "-C", str(root), "rev-parse", "HEAD"],  # noqa: S607 - git from PATH
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out if _SHA.fullmatch(out) else None


def release_tag(root: Path, version: str) -> str | None:
    """`v<version>` when the checkout's HEAD carries exactly that tag, else None."""
    wanted = f"v{version}"
    try:
        tags = subprocess.run(  # noqa: S603 - a fixed command; root is our own path
            ["git", "-C", str(root), "tag", "--points-at", "HEAD"],  # noqa: S607 - git from PATH
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return wanted if wanted in tags else None


def _is_checkout(root: Path) -> bool:
    return (root / "pyproject.toml").is_file() and (root / ".git").exists()


def _checkout_head(root: Path) -> str | None:
    """HEAD of `root` if it is the git checkout of reconciler this package runs from."""
    return git_head(root) if _is_checkout(root) else None


def _source_root() -> Path:
    return Path(__file__).resolve().parents[2]


def source_commit() -> str | None:
    """The commit this copy of reconciler was built from, or None when nothing says."""
    return _stamped() or _checkout_head(_source_root())


def source_release(version: str) -> str | None:
    """The release tag (`v<version>`) this copy was built from, or None for any other commit.

    A wheel's stamp decides (it was written where the tags were known); a checkout is asked.
    """
    if _stamped() is not None:
        release = getattr(_stamp(), "RELEASE", None)
        return release if release == f"v{version}" else None
    root = _source_root()
    return release_tag(root, version) if _is_checkout(root) else None
