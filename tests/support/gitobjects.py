"""Git's object ids for a set of files, computed as git does: what GitHub's git database serves.

The fake GitHub of the unit tests has no repository; `tree_of` gives it the trees a commit
holding `files` would have (the same ids `git write-tree` prints), so that
`GET /git/commits/{sha}` and `GET /git/trees/{sha}` answer as GitHub would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

Trees = dict[str, list[dict[str, Any]]]


def _object(kind: str, data: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data, usedforsecurity=False).hexdigest()


def tree_of(files: Mapping[str, str | bytes], trees: Trees) -> str:
    """The id of the tree holding `files` (path -> content); every tree made is added to
    `trees` (id -> its entries, as `GET /git/trees/{sha}` lists them)."""
    here: dict[str, str | bytes] = {}
    below: dict[str, dict[str, str | bytes]] = {}
    for path, content in files.items():
        name, _, rest = path.partition("/")
        if rest:
            below.setdefault(name, {})[rest] = content
        else:
            here[name] = content
    entries = []
    for name, content in here.items():
        data = content.encode() if isinstance(content, str) else content
        entries.append(
            {"path": name, "mode": "100644", "type": "blob", "sha": _object("blob", data)}
        )
    for name, inner in below.items():
        entries.append(
            {"path": name, "mode": "040000", "type": "tree", "sha": tree_of(inner, trees)}
        )
    # git sorts a tree's entries by name, a folder's name as if it ended with "/".
    entries.sort(key=lambda e: e["path"] + ("/" if e["type"] == "tree" else ""))
    raw = b"".join(
        f"{e['mode'].lstrip('0')} {e['path']}".encode() + b"\0" + bytes.fromhex(e["sha"])
        for e in entries
    )
    sha = _object("tree", raw)
    trees[sha] = entries
    return sha
