"""A fake GitHub served on loopback for the end-to-end suite: what the workflows' steps call.

The `reconciler ci …` steps and the artifact stand-ins reach it through
GITHUB_API_URL, as they would a GitHub Enterprise Server. It keeps one
repository's pull requests, issues and their comments, labels, branch heads,
workflow runs and their artifacts, and answers the REST calls of those steps in
the shapes of tests/fixtures/github/. Where our checks rely on GitHub's
documented behaviour, it behaves so:

- lists are paginated (`per_page`, `page`, a `Link: rel="next"` header);
- every write stamps `updated_at` from a clock that ticks a second per write;
- a write made with a job's GITHUB_TOKEN is authored by `github-actions[bot]`;
- an artifact's zip is a 302 to a signed URL on another origin (the storage,
  a second server that records what reaches it: never a token);
- a token is a run's GITHUB_TOKEN, valid while the run runs, with the
  `permissions:` of the job that sends it (the job is the calling process's
  GITHUB_JOB: tests/support/peer.py), read-only for a pull request from a
  fork; a request the job's permissions do not allow is a 403, as for a
  private repository (a public one lets more reads through).

Its git database (trees, from the team's repository) and the repository's
settings that `reconciler ci check-repo` reads are in tests/support/github_repo.py.

The Actions artifact service that upload-artifact and download-artifact talk
to inside a run (ACTIONS_RESULTS_URL, with the run's ACTIONS_RUNTIME_TOKEN) is
here too, under /_results: the stand-ins in tests/e2e/standins use it, and the
zips land in a folder the test owns.

Every request is recorded (`requests`), with the run and job it came from.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from reconciler.emulator.server import base_url, bind, make_server
from tests.support import peer
from tests.support.github import BOT, recorded
from tests.support.github_repo import RepoSettings, repo_routes

NOT_FOUND = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
#: GitHub's answer when the token's permissions do not allow a call.
FORBIDDEN = "Resource not accessible by integration"
SCOPES = (
    "actions",
    "attestations",
    "checks",
    "contents",
    "deployments",
    "discussions",
    "id-token",
    "issues",
    "packages",
    "pages",
    "pull-requests",
    "repository-projects",
    "security-events",
    "statuses",
)
_LEVEL = {"none": 0, "read": 1, "write": 2}


def job_permissions(workflow: dict[str, Any], job: str) -> dict[str, str]:
    """The GITHUB_TOKEN permissions of `job`, by GitHub's rules: the job's block, else the
    workflow's, else the restricted default; a scope not listed in a block is `none`."""
    spec = workflow["jobs"][job].get("permissions", workflow.get("permissions"))
    if spec is None:
        granted = {"contents": "read", "packages": "read"}
    elif spec in ("read-all", "write-all"):
        granted = dict.fromkeys(SCOPES, spec.removesuffix("-all"))
    else:
        granted = {str(k): str(v) for k, v in dict(spec).items()}
    return {scope: granted.get(scope, "none") for scope in SCOPES}


@dataclass
class Grant:
    """A GITHUB_TOKEN: the run it belongs to, and the permissions of each of its jobs."""

    run_id: int
    jobs: dict[str, dict[str, str]]
    read_only: bool = False
    live: bool = True

    def allows(self, job: str | None, scope: str, level: str) -> bool:
        if job is None or job not in self.jobs:
            return False
        have = _LEVEL[self.jobs[job].get(scope, "none")]  # administration: never granted
        if self.read_only:
            have = min(have, _LEVEL["read"])
        return have >= _LEVEL[level]


@dataclass
class Call:
    """One request the fake received, and who sent it."""

    method: str
    path: str
    query: str
    run_id: int | None
    job: str | None
    status: int = 0
    authorization: str | None = None


@dataclass
class Artifact:
    id: int
    name: str
    run_id: int
    data: bytes
    created_at: str
    retention_days: int
    expired: bool = False


@dataclass
class GitHubState:
    """One repository's worth of GitHub; the tests arrange and read it directly."""

    folder: Path
    repository: str = "acme/schedules"
    default_branch: str = "main"
    heads: dict[str, str] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    artifacts: dict[int, Artifact] = field(default_factory=dict)
    tokens: dict[str, Grant] = field(default_factory=dict)
    runtime_tokens: dict[str, int] = field(default_factory=dict)
    requests: list[Call] = field(default_factory=list)
    storage_requests: list[Call] = field(default_factory=list)
    api: str = ""
    storage: str = ""
    #: Its git objects and its settings (rulesets, environments): tests/support/github_repo.py.
    settings: RepoSettings = field(default_factory=RepoSettings)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._numbers = itertools.count(1)
        self._ids = itertools.count(4_200_000_001)
        self._run_ids = itertools.count(9_100_000_001)
        self._clock = datetime.now(UTC).replace(microsecond=0)
        self.lock = threading.RLock()

    # --- the clock and ids --------------------------------------------------------------

    def tick(self) -> str:
        """GitHub's clock, a second later than the last time it was read."""
        self._clock += timedelta(seconds=1)
        return self._clock.strftime("%Y-%m-%dT%H:%M:%SZ")

    def next_number(self) -> int:
        """Pull requests and issues share one sequence of numbers, as on GitHub."""
        return next(self._numbers)

    # --- arranging (the harness plays GitHub's part) -----------------------------------

    def repo_json(self) -> dict[str, Any]:
        repo = recorded("repository")
        owner = self.repository.split("/")[0]
        repo.update(full_name=self.repository, name=self.repository.split("/")[1])
        repo["default_branch"] = self.default_branch
        repo["owner"]["login"] = owner
        return repo

    def open_pull(
        self, head_ref: str, head_sha: str, base_sha: str, *, head_repo: str | None = None
    ) -> dict[str, Any]:
        pull = recorded("pull_request")
        number = self.next_number()
        now = self.tick()
        pull.update(number=number, id=number, state="open", merged_at=None, title=head_ref)
        pull.update(created_at=now, updated_at=now, merge_commit_sha=None)
        pull["head"].update(ref=head_ref, sha=head_sha, label=head_ref)
        pull["head"]["repo"] = self._repo_stub(head_repo or self.repository)
        pull["base"].update(ref=self.default_branch, sha=base_sha)
        pull["base"]["repo"] = self._repo_stub(self.repository)
        self.pulls[number] = pull
        return pull

    def _repo_stub(self, full_name: str) -> dict[str, Any]:
        owner, name = full_name.split("/")
        return {"full_name": full_name, "name": name, "owner": {"login": owner}, "fork": False}

    def start_run(
        self,
        *,
        workflow: dict[str, Any],
        path: str,
        event: str,
        head_sha: str,
        head_branch: str,
        head_repository: str,
        pull_requests: list[dict[str, Any]],
        read_only: bool,
        attempt_of: int | None = None,
    ) -> tuple[dict[str, Any], str, str]:
        """A workflow run that starts now: (the run, its GITHUB_TOKEN, its runtime token)."""
        run = recorded("workflow_run")
        now = self.tick()
        run_id = attempt_of if attempt_of is not None else next(self._run_ids)
        attempt = self.runs[attempt_of]["run_attempt"] + 1 if attempt_of is not None else 1
        run.update(id=run_id, name=workflow.get("name", path), path=path, event=event)
        run.update(status="in_progress", conclusion=None, head_sha=head_sha)
        run.update(head_branch=head_branch, run_attempt=attempt, pull_requests=pull_requests)
        run.update(created_at=run.get("created_at") if attempt_of else now)
        run.update(run_started_at=now, updated_at=now)
        run["repository"] = self._repo_stub(self.repository)
        run["head_repository"] = self._repo_stub(head_repository)
        self.runs[run_id] = run
        token = f"ghs_run{run_id}a{attempt}_{secrets.token_hex(12)}"
        jobs = {name: job_permissions(workflow, name) for name in workflow.get("jobs", {})}
        self.tokens[token] = Grant(run_id, jobs, read_only=read_only)
        runtime = f"runtime_{secrets.token_hex(16)}"
        self.runtime_tokens[runtime] = run_id
        return run, token, runtime

    def finish_run(self, run_id: int, conclusion: str, token: str, runtime: str) -> None:
        """The run ends; its tokens expire with it."""
        self.runs[run_id].update(status="completed", conclusion=conclusion, updated_at=self.tick())
        self.tokens[token].live = False
        self.runtime_tokens.pop(runtime, None)

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.comments if c["issue_number"] == number]

    def issues_labelled(self, label: str) -> list[dict[str, Any]]:
        return [
            i
            for i in self.issues.values()
            if "pull_request" not in i and any(lb["name"] == label for lb in i["labels"])
        ]

    def add_comment(self, number: int, body: str, user: dict[str, Any]) -> dict[str, Any]:
        comment = recorded("issue_comment")
        now = self.tick()
        comment.update(id=next(self._ids), body=body, user=copy.deepcopy(user))
        comment.update(issue_number=number, created_at=now, updated_at=now)
        comment["html_url"] = f"https://github.test/{self.repository}/issues/{number}"
        self.comments.append(comment)
        return comment

    # --- artifacts ---------------------------------------------------------------------

    def store_artifact(self, run_id: int, name: str, data: bytes, retention: int) -> Artifact:
        """An artifact of the run, as the Actions artifact service keeps it; its zip is also
        written under folder/artifacts/ for a person to look at."""
        if any(a.run_id == run_id and a.name == name for a in self.artifacts.values()):
            raise FileExistsError(f"an artifact named {name} already exists in run {run_id}")
        artifact = Artifact(next(self._ids), name, run_id, data, self.tick(), retention)
        self.artifacts[artifact.id] = artifact
        where = self.folder / "artifacts" / str(run_id)
        where.mkdir(parents=True, exist_ok=True)
        (where / f"{name}.zip").write_bytes(data)
        return artifact

    def artifact_json(self, artifact: Artifact) -> dict[str, Any]:
        item = recorded("artifact")
        run = self.runs[artifact.run_id]
        item.update(id=artifact.id, name=artifact.name, size_in_bytes=len(artifact.data))
        item.update(created_at=artifact.created_at, updated_at=artifact.created_at)
        item.update(expired=artifact.expired)
        item["digest"] = "sha256:" + hashlib.sha256(artifact.data).hexdigest()
        base = f"{self.api}/repos/{self.repository}/actions/artifacts/{artifact.id}"
        item.update(url=base, archive_download_url=f"{base}/zip")
        item["workflow_run"].update(
            id=artifact.run_id, head_sha=run["head_sha"], head_branch=run["head_branch"]
        )
        return item


# --- the HTTP face --------------------------------------------------------------------------

Handler = Callable[[Request, "Caller"], Response]


@dataclass
class Caller:
    """Who sent a request: the token's grant (None: no or unknown token) and the job."""

    grant: Grant | None
    job: str | None
    token: str | None


def _json(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(data, status_code=status, headers=headers)


def _page(request: Request, items: list[dict[str, Any]]) -> Response:
    per_page = min(int(request.query_params.get("per_page", "30")), 100)
    page = int(request.query_params.get("page", "1"))
    chunk = items[(page - 1) * per_page : page * per_page]
    headers = {}
    if page * per_page < len(items):
        query = {**request.query_params, "page": str(page + 1)}
        headers["Link"] = f'<{request.url.replace(query=urlencode(query))}>; rel="next"'
    return _json(200, chunk, headers)


class FakeGitHubApp:
    """The REST routes over a GitHubState, each with the permission it needs."""

    def __init__(self, state: GitHubState) -> None:
        self.state = state
        repo = "/repos/{owner}/{name}"
        self.routes: list[tuple[str, str, tuple[tuple[str, str], ...], Handler]] = [
            *repo_routes(state.settings, repo),  # before /branches/{branch:path}
            ("GET", repo, (), self.get_repo),
            ("GET", repo + "/branches/{branch:path}", (("contents", "read"),), self.branch),
            ("GET", repo + "/pulls", (("pull-requests", "read"),), self.list_pulls),
            ("GET", repo + "/pulls/{number:int}", (("pull-requests", "read"),), self.pull),
            ("GET", repo + "/commits/{sha}/pulls", (("pull-requests", "read"),), self.commit_pulls),
            ("GET", repo + "/issues/{number:int}/comments", _ISSUE_OR_PR_READ, self.comments),
            ("POST", repo + "/issues/{number:int}/comments", _ISSUE_OR_PR_WRITE, self.comment),
            ("PATCH", repo + "/issues/comments/{ident:int}", _ISSUE_OR_PR_WRITE, self.edit),
            ("GET", repo + "/issues", (("issues", "read"),), self.list_issues),
            ("POST", repo + "/issues", (("issues", "write"),), self.create_issue),
            ("PATCH", repo + "/issues/{number:int}", (("issues", "write"),), self.edit_issue),
            ("POST", repo + "/labels", _ISSUE_OR_PR_WRITE, self.create_label),
            ("GET", repo + "/actions/runs/{ident:int}", (("actions", "read"),), self.run),
            (
                "GET",
                repo + "/actions/runs/{ident:int}/artifacts",
                (("actions", "read"),),
                self.run_artifacts,
            ),
            (
                "GET",
                repo + "/actions/artifacts/{ident:int}/zip",
                (("actions", "read"),),
                self.artifact_zip,
            ),
        ]

    def app(self) -> Starlette:
        routes = [
            Route(path, self._guarded(needs, handler), methods=[method])
            for method, path, needs, handler in self.routes
        ]
        routes += [
            Route("/_results/artifacts", self.results_upload, methods=["POST"]),
            Route("/_results/artifacts", self.results_list, methods=["GET"]),
            Route("/_results/artifacts/{ident:int}", self.results_download, methods=["GET"]),
        ]
        return Starlette(routes=routes)

    # --- authentication and permissions --------------------------------------------------

    def _caller(self, request: Request) -> Caller:
        auth = request.headers.get("authorization", "")
        token = auth.split(" ", 1)[1] if auth.lower().startswith(("bearer ", "token ")) else None
        grant = self.state.tokens.get(token) if token else None
        job = None
        if grant is not None and request.client is not None:
            env = peer.environment(request.client.port, request.url.port or 80)
            job = env.get("GITHUB_JOB") if env else None
        return Caller(grant, job, token)

    def _guarded(self, needs: tuple[tuple[str, str], ...], handler: Handler) -> Any:
        async def endpoint(request: Request) -> Response:
            caller = self._caller(request)
            call = Call(
                request.method,
                request.url.path,
                request.url.query,
                caller.grant.run_id if caller.grant else None,
                caller.job,
                authorization=request.headers.get("authorization"),
            )
            with self.state.lock:
                self.state.requests.append(call)
                response = self._answer(request, caller, needs, handler)
                call.status = response.status_code
            return response

        return endpoint

    def _answer(
        self,
        request: Request,
        caller: Caller,
        needs: tuple[tuple[str, str], ...],
        handler: Handler,
    ) -> Response:
        if caller.grant is None or not caller.grant.live:
            return _json(401, {"message": "Bad credentials"})
        params = request.path_params
        if f"{params['owner']}/{params['name']}" != self.state.repository:
            return _json(404, NOT_FOUND)
        if caller.job is None:
            return _json(500, {"message": "fake GitHub: cannot tell which job sent this request"})
        if needs and not any(caller.grant.allows(caller.job, s, lv) for s, lv in needs):
            return _json(403, {"message": FORBIDDEN})
        return handler(request, caller)

    # --- the routes -----------------------------------------------------------------------

    def get_repo(self, request: Request, caller: Caller) -> Response:
        return _json(200, self.state.repo_json())

    def branch(self, request: Request, caller: Caller) -> Response:
        name = request.path_params["branch"]
        if name not in self.state.heads:
            return _json(404, {"message": "Branch not found"})
        branch = recorded("branch")
        branch["name"], branch["commit"]["sha"] = name, self.state.heads[name]
        return _json(200, branch)

    def list_pulls(self, request: Request, caller: Caller) -> Response:
        wanted = request.query_params.get("state", "open")
        head = request.query_params.get("head")
        found = []
        for pull in self.state.pulls.values():
            owner = pull["head"]["repo"]["owner"]["login"]
            if wanted != "all" and pull["state"] != wanted:
                continue
            if head is not None and head != f"{owner}:{pull['head']['ref']}":
                continue
            found.append(pull)
        return _page(request, found)

    def pull(self, request: Request, caller: Caller) -> Response:
        pull = self.state.pulls.get(request.path_params["number"])
        return _json(200, pull) if pull is not None else _json(404, NOT_FOUND)

    def commit_pulls(self, request: Request, caller: Caller) -> Response:
        sha = request.path_params["sha"]
        found = [
            p for p in self.state.pulls.values() if sha in (p["merge_commit_sha"], p["head"]["sha"])
        ]
        return _page(request, found)

    def _thread(self, number: int) -> dict[str, Any] | None:
        return self.state.pulls.get(number) or self.state.issues.get(number)

    def comments(self, request: Request, caller: Caller) -> Response:
        number = request.path_params["number"]
        if self._thread(number) is None:
            return _json(404, NOT_FOUND)
        return _page(request, self.state.comments_on(number))

    def comment(self, request: Request, caller: Caller) -> Response:
        number = request.path_params["number"]
        if self._thread(number) is None:
            return _json(404, NOT_FOUND)
        body = _body(request)
        return _json(201, self.state.add_comment(number, body["body"], BOT))

    def edit(self, request: Request, caller: Caller) -> Response:
        ident = request.path_params["ident"]
        found = [c for c in self.state.comments if c["id"] == ident]
        if not found:
            return _json(404, NOT_FOUND)
        found[0].update(body=_body(request)["body"], updated_at=self.state.tick())
        return _json(200, found[0])

    def list_issues(self, request: Request, caller: Caller) -> Response:
        wanted = request.query_params.get("state", "open")
        labels = set(filter(None, request.query_params.get("labels", "").split(",")))
        found = [
            i
            for i in self.state.issues.values()
            if (wanted == "all" or i["state"] == wanted)
            and labels <= {lb["name"] for lb in i["labels"]}
        ]
        found.sort(key=lambda i: i["number"], reverse=True)  # newest first, as GitHub lists
        return _page(request, found)

    def create_issue(self, request: Request, caller: Caller) -> Response:
        body = _body(request)
        issue = recorded("issue")
        number = self.state.next_number()
        now = self.state.tick()
        labels = []
        for name in body.get("labels", []):
            label = self.state.labels.setdefault(name, {**recorded("label"), "name": name})
            labels.append(label)
        issue.update(number=number, id=number, title=body["title"], body=body.get("body"))
        issue.update(state="open", labels=labels, user=copy.deepcopy(BOT))
        issue.update(created_at=now, updated_at=now, closed_at=None, state_reason=None)
        self.state.issues[number] = issue
        return _json(201, issue)

    def edit_issue(self, request: Request, caller: Caller) -> Response:
        issue = self.state.issues.get(request.path_params["number"])
        if issue is None:
            return _json(404, NOT_FOUND)
        body = _body(request)
        allowed = {"title", "body", "state", "state_reason", "labels"}
        if not set(body) <= allowed:
            return _json(422, {"message": f"unexpected fields {sorted(set(body) - allowed)}"})
        issue.update(body)
        now = self.state.tick()
        issue["updated_at"] = now
        if body.get("state") == "closed":
            issue["closed_at"] = now
        elif body.get("state") == "open":
            issue.update(closed_at=None, state_reason="reopened")
        return _json(200, issue)

    def create_label(self, request: Request, caller: Caller) -> Response:
        body = _body(request)
        if body["name"] in self.state.labels:
            return _json(422, recorded("error_label_exists"))
        label = {**recorded("label"), "name": body["name"], "color": body.get("color", "")}
        self.state.labels[body["name"]] = label
        return _json(201, label)

    def run(self, request: Request, caller: Caller) -> Response:
        run = self.state.runs.get(request.path_params["ident"])
        return _json(200, run) if run is not None else _json(404, NOT_FOUND)

    def run_artifacts(self, request: Request, caller: Caller) -> Response:
        ident = request.path_params["ident"]
        if ident not in self.state.runs:
            return _json(404, NOT_FOUND)
        name = request.query_params.get("name")
        found = [
            self.state.artifact_json(a)
            for a in self.state.artifacts.values()
            if a.run_id == ident and name in (None, a.name)
        ]
        per_page = min(int(request.query_params.get("per_page", "30")), 100)
        page = int(request.query_params.get("page", "1"))
        chunk = found[(page - 1) * per_page : page * per_page]
        return _json(200, {"total_count": len(found), "artifacts": chunk})

    def artifact_zip(self, request: Request, caller: Caller) -> Response:
        artifact = self.state.artifacts.get(request.path_params["ident"])
        if artifact is None:
            return _json(404, NOT_FOUND)
        if artifact.expired:
            return _json(410, {"message": "Artifact has expired"})
        signature = hashlib.sha256(f"{artifact.id}:{id(self)}".encode()).hexdigest()[:32]
        location = f"{self.state.storage}/artifacts/{artifact.id}.zip?sig={signature}"
        return RedirectResponse(location, status_code=302)

    # --- the Actions artifact service (inside a run, with its runtime token) ---------------

    def _run_of(self, request: Request) -> int | None:
        auth = request.headers.get("authorization", "")
        token = auth.split(" ", 1)[1] if auth.lower().startswith("bearer ") else ""
        return self.state.runtime_tokens.get(token)

    async def results_upload(self, request: Request) -> Response:
        run_id = self._run_of(request)
        if run_id is None:
            return _json(401, {"message": "no runtime token of a running run"})
        name = request.query_params["name"]
        retention = int(request.query_params.get("retention_days") or "90")
        data = await request.body()
        with self.state.lock:
            try:
                artifact = self.state.store_artifact(run_id, name, data, retention)
            except FileExistsError as err:
                return _json(409, {"message": str(err)})
            return _json(201, self.state.artifact_json(artifact))

    async def results_list(self, request: Request) -> Response:
        run_id = self._run_of(request)
        if run_id is None:
            return _json(401, {"message": "no runtime token of a running run"})
        with self.state.lock:
            found = [
                self.state.artifact_json(a)
                for a in self.state.artifacts.values()
                if a.run_id == run_id
            ]
        return _json(200, {"artifacts": found})

    async def results_download(self, request: Request) -> Response:
        run_id = self._run_of(request)
        artifact = self.state.artifacts.get(request.path_params["ident"])
        if run_id is None or artifact is None or artifact.run_id != run_id:
            return _json(404, NOT_FOUND)
        return Response(artifact.data, media_type="application/zip")


_ISSUE_OR_PR_READ = (("issues", "read"), ("pull-requests", "read"))
_ISSUE_OR_PR_WRITE = (("issues", "write"), ("pull-requests", "write"))


def _body(request: Request) -> dict[str, Any]:
    # Starlette's Request.json() is async; the routes are sync for the lock's sake.
    raw = request.scope.get("_body", b"")
    data = json.loads(raw) if raw else {}
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


class _BodyFirst:
    """Reads the request body before routing, so that sync handlers can use it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        scope["_body"] = b"".join(chunks)
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": scope["_body"], "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def storage_app(state: GitHubState, signed: Callable[[int], str]) -> Starlette:
    """GitHub's artifact storage: a signed URL is the key; a token is none of its business."""

    async def download(request: Request) -> Response:
        ident = request.path_params["ident"]
        call = Call(
            "GET",
            request.url.path,
            request.url.query,
            None,
            None,
            authorization=request.headers.get("authorization"),
        )
        state.storage_requests.append(call)
        artifact = state.artifacts.get(ident)
        if artifact is None or request.query_params.get("sig") != signed(ident):
            call.status = 403
            return Response("<Error>AuthenticationFailed</Error>", status_code=403)
        call.status = 200
        return Response(artifact.data, media_type="application/zip")

    return Starlette(routes=[Route("/artifacts/{ident:int}.zip", download)])


@contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """An ASGI app on a free loopback port in a thread; yields its base URL."""
    sock = bind("127.0.0.1", 0)
    server = make_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("a loopback server did not start")
            threading.Event().wait(0.01)
        yield base_url("127.0.0.1", sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def served(state: GitHubState) -> Iterator[GitHubState]:
    """The fake GitHub's API and its storage, each on its own loopback port."""
    face = FakeGitHubApp(state)

    def signed(ident: int) -> str:
        return hashlib.sha256(f"{ident}:{id(face)}".encode()).hexdigest()[:32]

    with ExitStack() as stack:
        state.storage = stack.enter_context(serve_asgi(storage_app(state, signed)))
        state.api = stack.enter_context(serve_asgi(_BodyFirst(face.app())))
        yield state
