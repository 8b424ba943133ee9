"""The release workflow's checks and notes (.github/workflows/release.yml), standard library only.

    python scripts/release.py check-tag vX.Y.Z            the tag is reconciler/_version.py's version
    python scripts/release.py check-dist DIR vX.Y.Z SHA   one sdist and one wheel of that version,
                                                          the wheel stamped with SHA and the tag
    python scripts/release.py notes X.Y.Z                 that version's section of CHANGELOG.md

Each prints one line saying what is wrong, and exits 1, when a check fails.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class ReleaseError(Exception):
    """A check failed; the message says which and why."""


def package_version(root: Path = ROOT) -> str:
    text = (root / "reconciler" / "_version.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.M)
    if match is None:
        raise ReleaseError("reconciler/_version.py has no __version__")
    return match[1]


def check_tag(tag: str, version: str) -> None:
    if tag != f"v{version}":
        raise ReleaseError(
            f"the tag {tag} is not the package's version v{version} (reconciler/_version.py): "
            "set __version__ and tag that commit"
        )


def _stamp(wheel: Path) -> dict[str, object]:
    with zipfile.ZipFile(wheel) as archive:
        try:
            text = archive.read("reconciler/_build.py").decode("utf-8")
        except KeyError:
            raise ReleaseError(f"{wheel.name} carries no reconciler/_build.py stamp") from None
    found: dict[str, object] = {}
    for key in ("COMMIT", "RELEASE"):
        match = re.search(rf"^{key} = (?:'([^']*)'|\"([^\"]*)\"|None)$", text, re.M)
        found[key] = None if match is None else (match[1] or match[2])
    return found


def check_dist(directory: Path, tag: str, commit: str) -> list[Path]:
    version = tag.removeprefix("v")
    wheels = sorted(directory.glob("*.whl"))
    sdists = sorted(directory.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        names = sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []
        raise ReleaseError(f"{directory}: expected one wheel and one sdist, found {names}")
    stem = f"engagelab_schedule_reconciler-{version}"
    if not wheels[0].name.startswith(f"{stem}-") or sdists[0].name != f"{stem}.tar.gz":
        raise ReleaseError(f"{wheels[0].name}, {sdists[0].name}: not version {version}")
    stamp = _stamp(wheels[0])
    if stamp != {"COMMIT": commit, "RELEASE": tag}:
        raise ReleaseError(
            f"{wheels[0].name} is stamped {stamp}, not COMMIT {commit} and RELEASE {tag}: "
            "build from a checkout of the tagged commit, with its tags"
        )
    return [*sdists, *wheels]


def notes(changelog: str, version: str) -> str:
    """The body of `## [version]` in a Keep a Changelog file, without its heading."""
    heading = re.compile(rf"^## \[{re.escape(version)}\][^\n]*\n", re.M)
    match = heading.search(changelog)
    if match is None:
        raise ReleaseError(f"CHANGELOG.md has no section ## [{version}]")
    rest = changelog[match.end() :]
    end = re.search(r"^## \[", rest, re.M)
    body = (rest[: end.start()] if end else rest).strip()
    # Link references at the end of the file ([0.1.0]: https://…) are not notes.
    body = re.sub(r"(\n\[[^\]]+\]: \S+)+$", "", body).strip()
    if not body:
        raise ReleaseError(f"CHANGELOG.md's section ## [{version}] is empty")
    return body + "\n"


def main(argv: list[str]) -> int:
    try:
        match argv:
            case ["check-tag", tag]:
                check_tag(tag, package_version())
                print(f"{tag}: the package's version")
            case ["check-dist", directory, tag, commit]:
                for path in check_dist(Path(directory), tag, commit):
                    print(f"{path.name}: ok")
            case ["notes", version]:
                text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
                sys.stdout.write(notes(text, version))
            case _:
                print(__doc__, file=sys.stderr)
                return 2
    except ReleaseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
