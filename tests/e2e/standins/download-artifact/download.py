"""Test stand-in for actions/download-artifact: this run's artifacts from the artifact service,
another run's through the REST API with `github-token` (the zip from the storage URL that
GitHub redirects to, fetched without the token, as @actions/artifact does).

Stdlib only (it runs on the job's Python).
"""

from __future__ import annotations

import fnmatch
import io
import json
import os
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any


def fail(message: str) -> None:
    print(f"::error::Unable to download artifact(s): {message}")
    sys.exit(1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def get(url: str, token: str | None) -> tuple[int, bytes, str | None]:
    """(status, body, Location) of one GET; redirects are not followed."""
    headers = {"Accept": "application/vnd.github+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=30) as answer:
            return answer.status, answer.read(), None
    except urllib.error.HTTPError as err:
        return err.code, err.read(), err.headers.get("Location")


def listed(env: dict[str, str]) -> tuple[list[dict[str, Any]], Any]:
    """The artifacts to choose from, and how to fetch one's zip."""
    token = env.get("INPUT_GITHUB_TOKEN") or ""
    if not token:
        base = env["ACTIONS_RESULTS_URL"].rstrip("/")
        runtime = env["ACTIONS_RUNTIME_TOKEN"]
        status, body, _ = get(f"{base}/artifacts", runtime)
        if status != 200:
            fail(f"the artifact service answered {status}: {body[:200]!r}")

        def fetch_current(artifact: dict[str, Any]) -> bytes:
            code, data, _ = get(f"{base}/artifacts/{artifact['id']}", runtime)
            if code != 200:
                fail(f"the artifact service answered {code} for {artifact['name']}")
            return data

        return json.loads(body)["artifacts"], fetch_current
    api = env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    repo, run = env["INPUT_REPOSITORY"], env["INPUT_RUN_ID"]
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        url = f"{api}/repos/{repo}/actions/runs/{run}/artifacts?per_page=100&page={page}"
        status, body, _ = get(url, token)
        if status != 200:
            fail(
                f"listing the artifacts of run {run}: HTTP {status}: {body[:300].decode(errors='replace')}"
            )
        data = json.loads(body)
        found += data["artifacts"]
        if len(found) >= data["total_count"] or not data["artifacts"]:
            break
        page += 1

    def fetch_other(artifact: dict[str, Any]) -> bytes:
        url = f"{api}/repos/{repo}/actions/artifacts/{artifact['id']}/zip"
        status, body, location = get(url, token)
        if status != 302 or not location:
            fail(
                f"downloading {artifact['name']}: HTTP {status}: {body[:300].decode(errors='replace')}"
            )
        status, body, _ = get(location, None)  # the storage: the signed URL is the key
        if status != 200:
            fail(f"downloading {artifact['name']} from the storage: HTTP {status}")
        return body

    return [a for a in found if not a.get("expired")], fetch_other


def latest(artifacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest artifact of each name (listArtifacts with latest: true)."""
    newest: dict[str, dict[str, Any]] = {}
    for artifact in artifacts:
        kept = newest.get(artifact["name"])
        if kept is None or artifact["created_at"] > kept["created_at"]:
            newest[artifact["name"]] = artifact
    return list(newest.values())


def main() -> None:
    env = dict(os.environ)
    if env.get("INPUT_ARTIFACT_IDS") or env.get("INPUT_SKIP_DECOMPRESS", "false") == "true":
        fail("the download-artifact stand-in supports neither artifact-ids nor skip-decompress")
    name = env.get("INPUT_NAME") or ""
    where = Path(env.get("INPUT_PATH") or env["GITHUB_WORKSPACE"]).expanduser().resolve()
    artifacts, fetch = listed(env)
    artifacts = latest(artifacts)
    if name:
        artifacts = [a for a in artifacts if a["name"] == name]
        if not artifacts:
            fail(f"Artifact '{name}' not found")
    elif env.get("INPUT_PATTERN"):
        artifacts = [a for a in artifacts if fnmatch.fnmatchcase(a["name"], env["INPUT_PATTERN"])]
    merge = env.get("INPUT_MERGE_MULTIPLE") == "true"
    for artifact in artifacts:
        target = where if (name or merge or len(artifacts) == 1) else where / artifact["name"]
        target.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(io.BytesIO(fetch(artifact))) as archive:
            for member in archive.namelist():
                if member.startswith("/") or ".." in Path(member).parts:
                    fail(f"{artifact['name']} holds an unsafe path {member!r}")
            archive.extractall(target)
        print(f"- {artifact['name']} (ID: {artifact['id']}) -> {target}")
    print(f"Total of {len(artifacts)} artifact(s) downloaded")
    with open(env["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
        out.write(f"download-path={where}\n")


if __name__ == "__main__":
    main()
