"""Test stand-in for actions/upload-artifact: zip `path`, hand it to the run's artifact service.

Stdlib only (it runs on the job's Python). The service is the fake GitHub's
/_results, found as the real action finds GitHub's: ACTIONS_RESULTS_URL and
the run's ACTIONS_RUNTIME_TOKEN.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path


def fail(message: str) -> None:
    print(f"::error::{message}")
    sys.exit(1)


def hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def files_of(search: Path, include_hidden: bool) -> tuple[list[Path], Path]:
    """(files, root) as upload-artifact finds them for one file or one directory."""
    if search.is_file():
        return [search], search.parent
    if not search.is_dir():
        return [], search
    found = []
    for folder, dirs, names in os.walk(search, followlinks=True):
        for name in sorted(names):
            path = Path(folder) / name
            if include_hidden or not hidden(path.relative_to(search)):
                found.append(path)
        dirs.sort()
    return found, search


def main() -> None:
    env = os.environ
    name = env["INPUT_NAME"] or "artifact"
    lines = [line.strip() for line in env["INPUT_PATH"].splitlines() if line.strip()]
    if len(lines) != 1 or any(c in lines[0] for c in "*?[!"):
        fail(f"the upload-artifact stand-in takes one plain path, not {lines!r}")
    if env.get("INPUT_OVERWRITE", "false") == "true" or env.get("INPUT_ARCHIVE", "true") != "true":
        fail("the upload-artifact stand-in supports neither overwrite nor archive: false")
    behaviour = env.get("INPUT_IF_NO_FILES_FOUND") or "warn"
    if behaviour not in ("warn", "error", "ignore"):
        fail(f"Unrecognized if-no-files-found input. Provided: {behaviour}")
    search = Path(lines[0]).expanduser()
    files, root = files_of(search, env.get("INPUT_INCLUDE_HIDDEN_FILES") == "true")
    if not files:
        message = f"No files were found with the provided path: {lines[0]}. No artifacts will be uploaded."
        if behaviour == "error":
            fail(message)
        print(f"::warning::{message}" if behaviour == "warn" else message)
        return
    print(
        f"With the provided path, there will be {len(files)} file{'s' * (len(files) != 1)} uploaded"
    )
    level = int(env.get("INPUT_COMPRESSION_LEVEL") or "6")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for path in files:
            archive.write(path, path.relative_to(root).as_posix())
    data = buffer.getvalue()
    query = urllib.parse.urlencode(
        {"name": name, "retention_days": env.get("INPUT_RETENTION_DAYS") or "0"}
    )
    request = urllib.request.Request(
        f"{env['ACTIONS_RESULTS_URL'].rstrip('/')}/artifacts?{query}",
        data=data,
        method="POST",
        headers={
            "Authorization": f"Bearer {env['ACTIONS_RUNTIME_TOKEN']}",
            "Content-Type": "application/zip",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            artifact = json.load(answer)
    except urllib.error.HTTPError as err:
        fail(f"Failed to CreateArtifact: {err.code} {err.read().decode(errors='replace')}")
    digest = hashlib.sha256(data).hexdigest()
    print(
        f"Artifact {name} has been successfully uploaded! Final size is {len(data)} bytes. Artifact ID is {artifact['id']}"
    )
    with open(env["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
        out.write(f"artifact-id={artifact['id']}\n")
        out.write(f"artifact-url={artifact['url']}\n")
        out.write(f"artifact-digest={digest}\n")


if __name__ == "__main__":
    main()
