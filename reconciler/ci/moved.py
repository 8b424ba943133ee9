"""On merge, when main moved on: does main's head plan as this commit does, for one target?

An apply run is for one commit, C. While its job waits for the environment's
reviewers, more merges may land. The push trigger of reconciler-apply.yml fires
only for the schedules and reconciler.yaml, so a merge that changes neither
(docs, the workflows) starts no apply run of its own: if C's run then did nothing
because C is no longer main's head, C would never be applied.

The rule (`changed_since`): C's run acts when nothing the target plans from
differs between C and main's head H, that is, reconciler.yaml (the file the
run read its configuration from) and the fixed folder of the target's
`schedules` glob (as C's configuration names it; `**/*.yaml` makes it the
whole repository) are the same objects in both trees. Then planning C's
checkout is planning H, and C's reviewed plan is applied. Otherwise one of the
commits after C changed them, that commit's push started its own run, and
the newest such run applies ("newest wins").

The trees are compared through GitHub's git database (`GET /git/commits/{sha}`,
then `GET /git/trees/{sha}` down the path, one level at a time): a handful
of requests whatever happened in between, and exact. (The compare API lists at
most 300 changed files, without paging them, so a large merge would leave the
answer unknown.) An answer GitHub cut short is a GitHubError, never a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from reconciler.ci.errors import CiError
from reconciler.ci.github import GitHub
from reconciler.config.load import CONFIG_FILE
from reconciler.config.targets import Target
from reconciler.documents.load import default_dir

__all__ = ["changed_since", "watched_paths"]

#: What a path is in a tree: (type, object sha), or None when it is not there.
Entry = tuple[str, str] | None


def watched_paths(target: Target, config_path: Path | None = None) -> tuple[str, ...]:
    """The repository paths `target` plans from: its configuration file, and the fixed folder
    of its schedules glob ("." when the glob starts with a wildcard: the whole tree)."""
    paths = []
    for what, raw in (
        ("reconciler.yaml", _relative(config_path, target.root) if config_path else CONFIG_FILE),
        ("schedules", default_dir(target.schedules)),
    ):
        path = PurePosixPath(raw)
        if path.is_absolute() or ".." in path.parts:
            raise CiError(
                f"target {target.name}: {what} {raw!r} is outside the repository; "
                "apply on merge compares only paths inside it"
            )
        paths.append(path.as_posix())
    return tuple(dict.fromkeys(paths))


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def changed_since(gh: GitHub, base: str, head: str, paths: Sequence[str]) -> list[str]:
    """The `paths` whose object differs between commits `base` and `head` (added, removed,
    changed); [] when the target plans the same from both trees."""
    before, after = _Tree(gh, base), _Tree(gh, head)
    return [path for path in paths if before.entry(path) != after.entry(path)]


class _Tree:
    """One commit's tree, read one level at a time as far as the paths asked for need."""

    def __init__(self, gh: GitHub, commit: str) -> None:
        self._gh = gh
        self._root = gh.commit_tree(commit)
        self._levels: dict[str, dict[str, tuple[str, str]]] = {}

    def _level(self, sha: str) -> dict[str, tuple[str, str]]:
        if sha not in self._levels:
            self._levels[sha] = {
                str(e.get("path")): (str(e.get("type")), str(e.get("sha")))
                for e in self._gh.tree(sha)
            }
        return self._levels[sha]

    def entry(self, path: str) -> Entry:
        found: Entry = ("tree", self._root)
        for part in PurePosixPath(path).parts:
            if part == ".":
                continue
            if found is None or found[0] != "tree":
                return None
            found = self._level(found[1]).get(part)
        return found
