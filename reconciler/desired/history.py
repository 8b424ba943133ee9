"""History: the trigger the repository declared for each schedule over time, from git.

`health` matches fires against runs, and a trigger edited inside the window
must be matched against the trigger in force at each moment. The API records no
edit time; the repository's history records when a change reached the default
branch (the commit time on HEAD's first-parent line, which for a merge is when
it was merged), and apply follows the merge. That is what this reads:

- the commits of HEAD's first-parent line since `since` that touch the
  schedule files (a merge counts with its whole change, as apply saw it);
- the files they changed, as they were before the first of them and after
  each of them (`git cat-file --batch`, one process for all);
- for each schedule name in those files, its declared trigger after each
  commit: a trigger, or None when no file declares the name or it is disabled.
  A version that does not parse, or whose trigger is not valid, declares no
  change (apply would have refused it, so the old trigger stayed in force).

Names in files no commit of the range touched never changed there: they are
absent from `changes`. The history is unavailable (and says why) outside a git
repository, in a shallow clone (CI: `fetch-depth: 0`), when HEAD is dated after
`now` (a fixed RECONCILER_NOW in the past), or past `MAX_COMMITS`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reconciler.core.model import Trigger, trigger_from_json
from reconciler.documents.load import parse_documents

__all__ = ["MAX_COMMITS", "Declared", "TriggerHistory", "trigger_history"]

#: Commits of the range read at most; past it, the history is not used.
MAX_COMMITS = 500
#: A git command that takes longer than this is abandoned (the history is then unavailable).
GIT_TIMEOUT = 30.0
# A commit dated a little after `now` is clock skew between machines, not a fixed clock.
_SKEW = timedelta(minutes=5)
_UNDECIDED = object()


@dataclass(frozen=True)
class Declared:
    """From `since` on (None: from before the range), the name's trigger (None: none fires)."""

    since: datetime | None
    trigger: Trigger | None


@dataclass(frozen=True)
class TriggerHistory:
    """The declared triggers of the names whose files changed in the range, oldest first."""

    available: bool
    reason: str = ""
    changes: Mapping[str, tuple[Declared, ...]] = field(default_factory=dict)
    commits: int = 0


class _GitError(Exception):
    """A git command failed (internal: the history is then unavailable)."""


def _git(top: Path, *args: str, stdin: bytes | None = None) -> bytes:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        done = subprocess.run(  # noqa: S603 - git with our own arguments, no shell
            ["git", "-c", "core.quotepath=off", *args],  # noqa: S607 - git from PATH
            cwd=top,
            input=stdin,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise _GitError(f"git {args[0]}: {err}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise _GitError(message[0] if message else f"git {args[0]} failed")
    return done.stdout


def _commits(top: Path, spec: str, since: datetime) -> list[tuple[str, datetime, list[str]]]:
    """(sha, commit time, changed paths) on HEAD's first-parent line since `since`, oldest first."""
    out = _git(
        top,
        *("log", "--first-parent", "-m", "--name-only", "-z", "--format=%x01%H %ct"),
        f"--since={int(since.timestamp())}",
        "HEAD",
        "--",
        spec,
    ).decode("utf-8", "surrogateescape")
    found = []
    for chunk in out.split("\x01")[1:]:
        head, _, rest = chunk.partition("\0")
        sha, _, stamp = head.partition(" ")
        paths = [p for p in rest.lstrip("\n").split("\0") if p]
        found.append((sha, datetime.fromtimestamp(int(stamp), UTC), paths))
    return list(reversed(found))


def _contents(
    top: Path, wanted: Iterable[tuple[str, str]], limit: int
) -> dict[tuple[str, str], str]:
    """The text of each (revision, path) that exists and is at most `limit` bytes."""
    keys = list(dict.fromkeys(wanted))
    if not keys:
        return {}
    request = "".join(f"{rev}:{path}\n" for rev, path in keys).encode("utf-8", "surrogateescape")
    out = _git(top, "cat-file", "--batch", stdin=request)
    texts: dict[tuple[str, str], str] = {}
    position = 0
    for key in keys:
        end = out.index(b"\n", position)
        header = out[position:end].split()
        position = end + 1
        if len(header) != 3 or header[1] != b"blob":
            continue  # missing (deleted at that revision), or not a file
        size = int(header[2])
        if size <= limit:
            texts[key] = out[position : position + size].decode("utf-8", "replace")
        position += size + 1
    return texts


def _declared(text: str | None, file: str) -> dict[str, Any]:
    """Name -> trigger (None: disabled) of one version of a file; a trigger that does not
    parse is `_UNDECIDED` (apply would refuse it; the previous one stays in force)."""
    if text is None:
        return {}
    documents, diagnostics = parse_documents(text, file)
    found: dict[str, Any] = {}
    for document in documents if not diagnostics else []:
        data = document.data
        if not isinstance(data, Mapping) or not isinstance(data.get("name"), str):
            continue
        if data.get("enabled") is False:
            found.setdefault(data["name"], None)
            continue
        try:
            found.setdefault(data["name"], trigger_from_json(data["trigger"]))
        except (KeyError, TypeError, ValueError, AttributeError):
            found.setdefault(data["name"], _UNDECIDED)
    return found


def _timelines(
    files: dict[str, dict[str, Any]], steps: list[tuple[datetime, dict[str, dict[str, Any]]]]
) -> dict[str, tuple[Declared, ...]]:
    """Each name's declarations: from the files before the range, then after each step
    (the files a commit changed, as it left them); only names that changed."""

    def union() -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for declared in files.values():
            for name, trigger in declared.items():
                merged.setdefault(name, trigger)
        return merged

    # What was in force when the range began (an undecided trigger then: none known).
    state = {n: None if t is _UNDECIDED else t for n, t in union().items()}
    lines = {name: [Declared(None, trigger)] for name, trigger in state.items()}
    for when, changed in steps:
        files.update(changed)
        after = union()
        for name in set(state) | set(after):
            new = after.get(name)
            if new is _UNDECIDED or new == state.get(name):
                continue
            lines.setdefault(name, [Declared(None, None)]).append(Declared(when, new))
            state[name] = new
    return {name: tuple(line) for name, line in lines.items() if len(line) > 1}


def trigger_history(
    root: Path, pattern: str, since: datetime, now: datetime, *, max_file_bytes: int
) -> TriggerHistory:
    """The declared triggers over [since, now] of the schedule files `pattern` under `root`."""
    try:
        top = Path(_git(root, "rev-parse", "--show-toplevel").decode().strip())
    except _GitError:
        return TriggerHistory(False, "not a git repository")
    try:
        if _git(top, "rev-parse", "--is-shallow-repository").strip() == b"true":
            return TriggerHistory(False, "a shallow clone (check out with fetch-depth: 0)")
        head_time = int(_git(top, "log", "-1", "--format=%ct", "HEAD").strip() or 0)
        if datetime.fromtimestamp(head_time, UTC) > now + _SKEW:
            return TriggerHistory(False, "the last commit is dated after now")
        prefix = root.resolve().relative_to(top.resolve()).as_posix()
        spec = f":(glob){pattern}" if prefix == "." else f":(glob){prefix}/{pattern}"
        commits = _commits(top, spec, since)
        if len(commits) > MAX_COMMITS:
            return TriggerHistory(False, f"more than {MAX_COMMITS} commits in the window")
        if not commits:
            return TriggerHistory(True)
        paths = sorted({p for _, _, changed in commits for p in changed})
        base = f"{commits[0][0]}^"
        wanted = [(base, p) for p in paths] + [(c, p) for c, _, ch in commits for p in ch]
        texts = _contents(top, wanted, max_file_bytes)
    except (_GitError, ValueError, OSError) as err:
        return TriggerHistory(False, f"git history unreadable: {err}")
    files = {p: _declared(texts.get((base, p)), p) for p in paths}
    steps = [
        (when, {p: _declared(texts.get((sha, p)), p) for p in changed})
        for sha, when, changed in commits
    ]
    return TriggerHistory(True, changes=_timelines(files, steps), commits=len(commits))
