"""Build info: where the reconciler action lives, and the commit this copy was built from.

`reconciler init` pins the scaffold's workflows to `ACTION_REPOSITORY` at that
commit: the stamp a wheel carries (`reconciler/_build.py`, written by
`build_stamp.py`), else, for a copy running from a git checkout (an editable
install), that checkout's HEAD.
"""

from __future__ import annotations

import importlib
import re
import subprocess
from pathlib import Path

__all__ = ["ACTION_REPOSITORY", "git_head", "source_commit"]

#: The GitHub repository of the reconciler action (action.yml at its root).
ACTION_REPOSITORY = "engagelab/schedule-reconciler"
_SHA = re.compile(r"[0-9a-f]{40}")


def _stamped() -> str | None:
    try:
        module = importlib.import_module("reconciler._build")
    except ImportError:
        return None
    commit = getattr(module, "COMMIT", None)
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


def _checkout_head(root: Path) -> str | None:
    """HEAD of `root` if it is the git checkout of reconciler this package runs from."""
    if not (root / "pyproject.toml").is_file() or not (root / ".git").exists():
        return None
    return git_head(root)


def source_commit() -> str | None:
    """The commit this copy of reconciler was built from, or None when nothing says."""
    return _stamped() or _checkout_head(Path(__file__).resolve().parents[2])
