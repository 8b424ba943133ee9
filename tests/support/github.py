"""A fake GitHub for the CI tests: recorded REST answers, replayed through httpx.MockTransport.

GitHub's API is not ours, so it is faked; everything of ours (the client, the
CI steps, the planner, the emulator) runs for real. The fake keeps a little
state (pull requests, comments, issues, labels, branch heads, workflow runs and
their artifacts) and answers in the shapes of the recorded responses in
tests/fixtures/github/, paginating lists with `Link: rel="next"` as GitHub
does. Its clock ticks a second at each write, so comments and runs carry
`updated_at` times in the order things happened. An artifact's zip is a 302 to
a signed URL on another origin (`STORAGE`), answered by the fake storage, which
records what it receives (`storage_requests`).
"""

from __future__ import annotations

import copy
import io
import json
import re
import threading
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from reconciler.ci.github import GitHub
from reconciler.ci.proof import PLAN_WORKFLOW
from tests.support.clock import NOW
from tests.support.gitobjects import Trees, tree_of

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "github"
API = "https://api.github.test"
REPO = "acme/schedules"
#: A canary token: it must never appear in any output, error or log.
TOKEN = "ghs_CANARYtokenNeverPrinted0123456789"
BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
HUMAN = {"login": "mallory", "id": 666, "type": "User"}
#: GitHub's artifact storage: another origin than the API.
STORAGE = "https://productionresultssa7.blob.core.windows.test"
#: The signature of a storage URL: a credential too, never to be shown.
SIGNATURE = "sig=SIGNEDstorageURLneverShown"


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDED / f"{name}.json").read_text(encoding="utf-8"))
    return data


def recorded_list(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((RECORDED / f"{name}.json").read_text("utf-8"))
    return data


def sha(n: int) -> str:
    """A 40-hex commit id, distinct per n."""
    return f"{n:040x}"


class FakeGitHub:
    """One repository's worth of GitHub, answering the REST calls reconciler makes."""

    def __init__(self, repository: str = REPO) -> None:
        self.repository = repository
        self.heads: dict[str, str] = {"main": sha(1)}
        self.pulls: dict[int, dict[str, Any]] = {}
        self.comments: list[dict[str, Any]] = []
        self.issues: dict[int, dict[str, Any]] = {}
        self.labels: set[str] = set()
        self.runs: dict[int, dict[str, Any]] = {}
        self.artifacts: dict[int, dict[str, Any]] = {}
        self.archives: dict[int, bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self.storage_requests: list[httpx.Request] = []
        self.storage = STORAGE
        #: The signature the API puts in a storage URL (the storage takes only SIGNATURE).
        self.signature = SIGNATURE
        #: Answers to give before the real ones: (method, path regex, status or exception).
        self.faults: list[tuple[str, str, int | Exception]] = []
        #: The git database: commit -> its tree's id, and each tree's entries (gitobjects).
        self.commits: dict[str, str] = {}
        self.trees: Trees = {}
        #: GitHub cuts a tree listing past its limits (and says so, `truncated`).
        self.truncated = False
        #: The repository's settings (check-repo): complete as recorded, tests take away.
        self.rules: list[dict[str, Any]] = recorded_list("branch_rules")
        #: Classic protection: its JSON, None (not protected), or the status a token gets.
        self.protection: dict[str, Any] | int | None = 403
        self.environments: dict[str, dict[str, Any]] = {
            e["name"]: e for e in recorded("environments")["environments"]
        }
        self.branch_policies: dict[str, list[dict[str, Any]]] = {
            name: recorded("deployment_branch_policies")["branch_policies"]
            for name in self.environments
        }
        self._ids = 1000
        self._clock = NOW - timedelta(days=1)

    # --- arranging -------------------------------------------------------------------------

    def _next(self) -> int:
        self._ids += 1
        return self._ids

    def tick(self) -> str:
        """GitHub's clock, a second later than the last time it was read."""
        self._clock += timedelta(seconds=1)
        return self._clock.strftime("%Y-%m-%dT%H:%M:%SZ")

    def add_pull(
        self, number: int, head: str, *, merged_as: str | None = None, repo: str | None = None
    ) -> dict[str, Any]:
        pull = recorded("pull_request")
        pull.update(number=number, state="closed" if merged_as else "open")
        pull["head"]["sha"] = head
        pull["head"]["repo"]["full_name"] = repo or self.repository
        pull["merge_commit_sha"] = merged_as or sha(9000 + number)
        pull["merged_at"] = "2026-11-20T12:00:00Z" if merged_as else None
        self.pulls[number] = pull
        return pull

    def commit_files(self, commit: str, files: Mapping[str, str | bytes]) -> None:
        """`commit` holds `files` (path -> content), as GitHub's git database will tell."""
        self.commits[commit] = tree_of(files, self.trees)

    def merge(self, number: int, commit: str) -> None:
        """Merge pull request `number` as `commit`, which becomes main's head."""
        pull = self.pulls[number]
        pull.update(state="closed", merged_at="2026-11-20T12:00:00Z", merge_commit_sha=commit)
        self.heads["main"] = commit

    def add_comment(self, number: int, body: str, user: dict[str, Any] = BOT) -> dict[str, Any]:
        comment = recorded("issue_comment")
        comment.update(id=self._next(), body=body, user=copy.deepcopy(user), issue_number=number)
        comment["created_at"] = comment["updated_at"] = self.tick()
        self.comments.append(comment)
        return comment

    def edit_comment(self, comment: dict[str, Any], body: str) -> None:
        """What a PATCH does to a comment: a new body, written now."""
        comment.update(body=body, updated_at=self.tick())

    def start_run(
        self,
        *,
        event: str = "workflow_run",
        path: str = PLAN_WORKFLOW,
        repository: str | None = None,
    ) -> int:
        """A workflow run that starts now (reconciler-plan's, unless told otherwise); its id."""
        run = recorded("workflow_run")
        started = self.tick()
        run.update(id=self._next(), event=event, path=path, status="in_progress", conclusion=None)
        run.update(created_at=started, run_started_at=started, updated_at=started)
        run["repository"]["full_name"] = repository or self.repository
        self.runs[run["id"]] = run
        return int(run["id"])

    def finish_run(self, run_id: int) -> None:
        self.runs[run_id].update(status="completed", conclusion="success", updated_at=self.tick())

    def upload_artifact(
        self, run_id: int, name: str, files: Path | Mapping[str, str | bytes] | bytes
    ) -> dict[str, Any]:
        """An artifact of the run, as upload-artifact makes it: a folder's files (or the given
        files, or the given zip bytes) zipped under their names."""
        if isinstance(files, Path):
            files = {p.name: p.read_bytes() for p in sorted(files.iterdir()) if p.is_file()}
        data = files if isinstance(files, bytes) else zip_of(files)
        artifact = recorded("artifact")
        ident = self._next()
        artifact.update(id=ident, name=name, size_in_bytes=len(data), created_at=self.tick())
        artifact["archive_download_url"] = (
            f"{API}/repos/{self.repository}/actions/artifacts/{ident}/zip"
        )
        artifact["workflow_run"]["id"] = run_id
        self.artifacts[ident] = artifact
        self.archives[ident] = data
        return artifact

    def add_issue(
        self, body: str, *, user: dict[str, Any] = BOT, state: str = "open", label: str = "drift"
    ) -> dict[str, Any]:
        issue = recorded("issue")
        number = self._next()
        issue.update(number=number, id=number, body=body, state=state, user=copy.deepcopy(user))
        issue["labels"][0]["name"] = label
        self.issues[number] = issue
        return issue

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.comments if c["issue_number"] == number]

    def client(self) -> GitHub:
        return GitHub(self.repository, TOKEN, api_url=API, transport=self.transport(), retry_wait=0)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def env(self, **more: str) -> dict[str, str]:
        """The variables Actions sets that the GitHub client reads."""
        return {
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_API_URL": API,
            **more,
        }

    # --- answering -------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        if str(request.url).startswith(self.storage + "/"):
            return self._storage(request)
        path = request.url.path
        self.requests.append((request.method, path))
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        for index, (method, pattern, fault) in enumerate(self.faults):
            if method == request.method and re.fullmatch(pattern, path):
                del self.faults[index]
                if isinstance(fault, Exception):
                    raise fault
                return httpx.Response(fault, json={"message": f"fault {fault}"})
        body = json.loads(request.content) if request.content else {}
        prefix = f"/repos/{self.repository}"
        for method, pattern, answer in self._routes():
            match = re.fullmatch(prefix + pattern, path)
            if match and method == request.method:
                return answer(request, body, *match.groups())
        return httpx.Response(404, json=recorded("error_not_found"))

    def _routes(self) -> list[tuple[str, str, Callable[..., httpx.Response]]]:
        return [
            ("GET", "", lambda r, b: httpx.Response(200, json=recorded("repository"))),
            ("GET", r"/branches/([^/]+)", self._branch),
            ("GET", r"/pulls", self._list_pulls),
            ("GET", r"/pulls/(\d+)", self._pull),
            ("GET", r"/commits/([0-9a-f]+)/pulls", self._pulls_of_commit),
            ("GET", r"/issues/(\d+)/comments", self._list_comments),
            ("POST", r"/issues/(\d+)/comments", self._create_comment),
            ("PATCH", r"/issues/comments/(\d+)", self._edit_comment),
            ("GET", r"/issues", self._list_issues),
            ("POST", r"/issues", self._create_issue),
            ("PATCH", r"/issues/(\d+)", self._edit_issue),
            ("POST", r"/labels", self._create_label),
            ("GET", r"/actions/runs/(\d+)", self._run),
            ("GET", r"/actions/runs/(\d+)/artifacts", self._run_artifacts),
            ("GET", r"/actions/artifacts/(\d+)/zip", self._artifact_zip),
            ("GET", r"/git/commits/([0-9a-f]{40})", self._git_commit),
            ("GET", r"/git/trees/([0-9a-f]{40})", self._git_tree),
            ("GET", r"/rules/branches/([^/]+)", lambda r, b, n: self._page(r, self.rules)),
            ("GET", r"/branches/([^/]+)/protection", self._protection),
            ("GET", r"/environments", self._environments),
            ("GET", r"/environments/([^/]+)/deployment-branch-policies", self._branch_policies),
        ]

    def _git_commit(self, request: httpx.Request, body: Any, commit: str) -> httpx.Response:
        if commit not in self.commits:
            return httpx.Response(404, json=recorded("error_not_found"))
        data = recorded("git_commit")
        data["sha"], data["tree"]["sha"] = commit, self.commits[commit]
        return httpx.Response(200, json=data)

    def _git_tree(self, request: httpx.Request, body: Any, tree: str) -> httpx.Response:
        if tree not in self.trees:
            return httpx.Response(404, json=recorded("error_not_found"))
        data = recorded("git_tree")
        data["sha"], data["tree"] = tree, copy.deepcopy(self.trees[tree])
        data["truncated"] = self.truncated
        return httpx.Response(200, json=data)

    def _protection(self, request: httpx.Request, body: Any, branch: str) -> httpx.Response:
        if isinstance(self.protection, int):
            return httpx.Response(self.protection, json=recorded("error_forbidden"))
        if self.protection is None:
            return httpx.Response(404, json=recorded("error_branch_not_protected"))
        return httpx.Response(200, json=self.protection)

    def _environments(self, request: httpx.Request, body: Any) -> httpx.Response:
        found = list(self.environments.values())
        return httpx.Response(200, json={"total_count": len(found), "environments": found})

    def _branch_policies(self, request: httpx.Request, body: Any, env: str) -> httpx.Response:
        if env not in self.environments:
            return httpx.Response(404, json=recorded("error_not_found"))
        found = self.branch_policies.get(env, [])
        return httpx.Response(200, json={"total_count": len(found), "branch_policies": found})

    def _page(self, request: httpx.Request, items: list[dict[str, Any]]) -> httpx.Response:
        query = parse_qs(urlsplit(str(request.url)).query)
        per_page = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            url = request.url.copy_merge_params({"page": str(page + 1)})
            headers["Link"] = f'<{url}>; rel="next"'
        return httpx.Response(200, json=chunk, headers=headers)

    def _branch(self, request: httpx.Request, body: Any, name: str) -> httpx.Response:
        if name not in self.heads:
            return httpx.Response(404, json=recorded("error_not_found"))
        branch = recorded("branch")
        branch["name"], branch["commit"]["sha"] = name, self.heads[name]
        return httpx.Response(200, json=branch)

    def _list_pulls(self, request: httpx.Request, body: Any) -> httpx.Response:
        """Pull requests by state and `head=owner:branch`, as GitHub filters them."""
        query = parse_qs(urlsplit(str(request.url)).query)
        state, head = query.get("state", ["open"])[0], query.get("head", [None])[0]
        found = [
            p
            for p in self.pulls.values()
            if state in ("all", p["state"])
            and head in (None, f"{p['head']['repo']['full_name'].split('/')[0]}:{p['head']['ref']}")
        ]
        return self._page(request, found)

    def _pull(self, request: httpx.Request, body: Any, number: str) -> httpx.Response:
        if int(number) not in self.pulls:
            return httpx.Response(404, json=recorded("error_not_found"))
        return httpx.Response(200, json=self.pulls[int(number)])

    def _pulls_of_commit(self, request: httpx.Request, body: Any, commit: str) -> httpx.Response:
        found = [
            p for p in self.pulls.values() if commit in (p["merge_commit_sha"], p["head"]["sha"])
        ]
        return self._page(request, found)

    def _list_comments(self, request: httpx.Request, body: Any, number: str) -> httpx.Response:
        return self._page(request, self.comments_on(int(number)))

    def _create_comment(self, request: httpx.Request, body: Any, number: str) -> httpx.Response:
        return httpx.Response(201, json=self.add_comment(int(number), body["body"]))

    def _edit_comment(self, request: httpx.Request, body: Any, ident: str) -> httpx.Response:
        comment = next(c for c in self.comments if c["id"] == int(ident))
        self.edit_comment(comment, body["body"])
        return httpx.Response(200, json=comment)

    def _run(self, request: httpx.Request, body: Any, ident: str) -> httpx.Response:
        if int(ident) not in self.runs:
            return httpx.Response(404, json=recorded("error_not_found"))
        return httpx.Response(200, json=self.runs[int(ident)])

    def _run_artifacts(self, request: httpx.Request, body: Any, ident: str) -> httpx.Response:
        name = request.url.params.get("name")
        found = [
            a
            for a in self.artifacts.values()
            if a["workflow_run"]["id"] == int(ident) and name in (None, a["name"])
        ]
        return httpx.Response(200, json={"total_count": len(found), "artifacts": found})

    def _artifact_zip(self, request: httpx.Request, body: Any, ident: str) -> httpx.Response:
        artifact = self.artifacts.get(int(ident))
        if artifact is None:
            return httpx.Response(404, json=recorded("error_not_found"))
        if artifact["expired"]:
            return httpx.Response(410, json={"message": "Artifact has expired"})
        location = f"{self.storage}/actions-results/{ident}.zip?sv=2025-01-05&{self.signature}"
        return httpx.Response(302, headers={"Location": location})

    def _storage(self, request: httpx.Request) -> httpx.Response:
        """The artifact storage: a signed URL is the key; a bearer token is none of its business."""
        self.storage_requests.append(request)
        match = re.fullmatch(r"/actions-results/(\d+)\.zip", request.url.path)
        if match is None or SIGNATURE not in str(request.url):
            return httpx.Response(403, text=f"<Error>AuthenticationFailed {request.url}</Error>")
        data = self.archives[int(match.group(1))]
        return httpx.Response(200, content=data, headers={"Content-Type": "application/zip"})

    def _list_issues(self, request: httpx.Request, body: Any) -> httpx.Response:
        query = parse_qs(urlsplit(str(request.url)).query)
        label = query.get("labels", [""])[0]
        found = [i for i in self.issues.values() if any(lb["name"] == label for lb in i["labels"])]
        found.sort(key=lambda i: i["number"], reverse=True)  # newest first, as GitHub lists
        return self._page(request, found)

    def _create_issue(self, request: httpx.Request, body: Any) -> httpx.Response:
        issue = recorded("issue")
        number = self._next()
        labels = [{**recorded("label"), "name": name} for name in body.get("labels", [])]
        issue.update(
            number=number, id=number, title=body["title"], body=body["body"], labels=labels
        )
        self.issues[number] = issue
        return httpx.Response(201, json=issue)

    def _edit_issue(self, request: httpx.Request, body: Any, number: str) -> httpx.Response:
        issue = self.issues[int(number)]
        issue.update(body)
        return httpx.Response(200, json=issue)

    def _create_label(self, request: httpx.Request, body: Any) -> httpx.Response:
        if body["name"] in self.labels:
            return httpx.Response(422, json=recorded("error_label_exists"))
        self.labels.add(body["name"])
        return httpx.Response(201, json={**recorded("label"), "name": body["name"]})


@contextmanager
def served(fake: FakeGitHub) -> Iterator[str]:
    """`fake` on a loopback port for a CLI process, its storage on another (another origin,
    as GitHub's is); yields the API's base URL (GITHUB_API_URL)."""
    with ExitStack() as stack:
        api = stack.enter_context(_RelayServer.running(fake))
        fake.storage = stack.enter_context(_RelayServer.running(fake))
        try:
            yield api
        finally:
            fake.storage = STORAGE


class _RelayServer(ThreadingHTTPServer):
    def __init__(self, fake: FakeGitHub) -> None:
        super().__init__(("127.0.0.1", 0), _Relay)
        self.fake = fake
        self.base = f"http://127.0.0.1:{self.server_address[1]}"

    @classmethod
    @contextmanager
    def running(cls, fake: FakeGitHub) -> Iterator[str]:
        httpd = cls(fake)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield httpd.base
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)


class _Relay(BaseHTTPRequestHandler):
    """Hands each HTTP request to the fake as an httpx.Request, and its answer back."""

    server: _RelayServer

    def _relay(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = httpx.Request(
            self.command,
            self.server.base + self.path,
            headers=list(self.headers.items()),
            content=self.rfile.read(length) if length else b"",
        )
        response = self.server.fake.handle(request)
        content = response.read()
        self.send_response(response.status_code)
        for key, value in response.headers.multi_items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_PATCH = _relay

    def log_message(self, *args: Any) -> None:
        pass


def zip_of(files: Mapping[str, str | bytes]) -> bytes:
    """A zip holding `files` (name -> text or bytes), deflated as upload-artifact does."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def event_env(
    fake: FakeGitHub, folder: Path, name: str, payload: dict[str, Any], **more: str
) -> dict[str, str]:
    """The environment of an Actions job started by event `name` with `payload`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"event-{name}.json"
    payload.setdefault("repository", recorded("repository"))
    path.write_text(json.dumps(payload), encoding="utf-8")
    return fake.env(GITHUB_EVENT_NAME=name, GITHUB_EVENT_PATH=str(path), **more)


def pull_request_event(number: int, head: str, repo: str = REPO) -> dict[str, Any]:
    pull = recorded("pull_request")
    pull.update(number=number)
    pull["head"]["sha"] = head
    pull["head"]["repo"]["full_name"] = repo
    return {"action": "synchronize", "number": number, "pull_request": pull}


def workflow_run_event(head: str) -> dict[str, Any]:
    return {
        "action": "completed",
        "workflow_run": {
            "id": 30433642,
            "name": "reconciler-pr",
            "event": "pull_request",
            "conclusion": "success",
            "head_sha": head,
            "head_branch": "digest",
            "head_repository": {"full_name": REPO},
            "pull_requests": [],
        },
    }
