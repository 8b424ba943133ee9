"""The fake GitHub's (tests/support/github_service.py) git database and repository settings.

- `GET /git/commits/{sha}` and `GET /git/trees/{sha}`: read from the team's real
  repository (`git rev-parse`, `git ls-tree`), in the shapes of
  tests/fixtures/github/git_*.json (contents: read);
- `GET /rules/branches/{branch}`: the active rules of the repository's rulesets
  (`RepoSettings.rules`; any token of the repository);
- `GET /branches/{branch}/protection`: classic protection needs administration:
  read, which no GITHUB_TOKEN can hold: always 403 here, as on GitHub;
- `GET /environments` and `GET /environments/{name}/deployment-branch-policies`
  (actions: read).

A team set up as docs/getting-started.md says starts with every setting in place
(the recorded answers: complete); a story takes away what it needs to.
"""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.support.github import recorded, recorded_list

NOT_FOUND = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}


def _environments() -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in recorded("environments")["environments"]}


@dataclass
class RepoSettings:
    """The repository's git objects (its folder) and its settings, as GitHub keeps them."""

    git_dir: Path | None = None
    rules: list[dict[str, Any]] = field(default_factory=lambda: recorded_list("branch_rules"))
    environments: dict[str, dict[str, Any]] = field(default_factory=_environments)
    branch_policies: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {
            name: recorded("deployment_branch_policies")["branch_policies"]
            for name in ("prod", "prod-plan")
        }
    )

    def git(self, *args: str) -> str | None:
        """git's answer in the team's repository, or None when git says no (an unknown id)."""
        if self.git_dir is None:
            return None
        done = subprocess.run(
            ["git", *args], cwd=self.git_dir, capture_output=True, text=True, check=False
        )
        return done.stdout if done.returncode == 0 else None


Route = tuple[str, str, tuple[tuple[str, str], ...], Callable[..., Response]]


def repo_routes(settings: RepoSettings, prefix: str) -> list[Route]:
    """(method, path, the permission it needs, handler(request, caller)) for each route."""
    contents, actions = (("contents", "read"),), (("actions", "read"),)

    def commit(request: Request, caller: Any) -> Response:
        sha = request.path_params["sha"]
        tree = settings.git("rev-parse", "--verify", "--quiet", f"{sha}^{{tree}}")
        if tree is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        data = recorded("git_commit")
        data["sha"], data["tree"]["sha"] = sha, tree.strip()
        return JSONResponse(data)

    def tree(request: Request, caller: Any) -> Response:
        sha = request.path_params["sha"]
        listed = settings.git("ls-tree", "--full-tree", sha)
        if listed is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        entries = []
        for line in listed.splitlines():
            meta, path = line.split("\t", 1)
            mode, kind, ident = meta.split()
            entries.append({"path": path, "mode": mode, "type": kind, "sha": ident})
        data = recorded("git_tree")
        data.update(sha=sha, tree=entries, truncated=False)
        return JSONResponse(data)

    def rules(request: Request, caller: Any) -> Response:
        return JSONResponse(copy.deepcopy(settings.rules))

    def protection(request: Request, caller: Any) -> Response:
        raise AssertionError("administration: read is never granted to a GITHUB_TOKEN")

    def environments(request: Request, caller: Any) -> Response:
        found = copy.deepcopy(list(settings.environments.values()))
        return JSONResponse({"total_count": len(found), "environments": found})

    def policies(request: Request, caller: Any) -> Response:
        name = request.path_params["env"]
        if name not in settings.environments:
            return JSONResponse(NOT_FOUND, status_code=404)
        found = copy.deepcopy(settings.branch_policies.get(name, []))
        return JSONResponse({"total_count": len(found), "branch_policies": found})

    return [
        ("GET", prefix + "/git/commits/{sha}", contents, commit),
        ("GET", prefix + "/git/trees/{sha}", contents, tree),
        ("GET", prefix + "/rules/branches/{branch}", (), rules),
        (
            "GET",
            prefix + "/branches/{branch}/protection",
            (("administration", "read"),),
            protection,
        ),
        ("GET", prefix + "/environments", actions, environments),
        ("GET", prefix + "/environments/{env}/deployment-branch-policies", actions, policies),
    ]
