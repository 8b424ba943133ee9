"""A fake GitHub for the CI tests: recorded REST answers, replayed through httpx.MockTransport.

GitHub's API is not ours, so it is faked; everything of ours (the client, the
CI steps, the planner, the emulator) runs for real. The fake keeps a little
state (pull requests, comments, issues, labels, branch heads) and answers in
the shapes of the recorded responses in tests/fixtures/github/, paginating
lists with `Link: rel="next"` as GitHub does.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from reconciler.ci.github import GitHub

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "github"
API = "https://api.github.test"
REPO = "acme/schedules"
#: A canary token: it must never appear in any output, error or log.
TOKEN = "ghs_CANARYtokenNeverPrinted0123456789"
BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
HUMAN = {"login": "mallory", "id": 666, "type": "User"}


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDED / f"{name}.json").read_text(encoding="utf-8"))
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
        self.requests: list[tuple[str, str]] = []
        #: Answers to give before the real ones: (method, path regex, status or exception).
        self.faults: list[tuple[str, str, int | Exception]] = []
        self._ids = 1000

    # --- arranging -------------------------------------------------------------------------

    def _next(self) -> int:
        self._ids += 1
        return self._ids

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

    def merge(self, number: int, commit: str) -> None:
        """Merge pull request `number` as `commit`, which becomes main's head."""
        pull = self.pulls[number]
        pull.update(state="closed", merged_at="2026-11-20T12:00:00Z", merge_commit_sha=commit)
        self.heads["main"] = commit

    def add_comment(self, number: int, body: str, user: dict[str, Any] = BOT) -> dict[str, Any]:
        comment = recorded("issue_comment")
        comment.update(id=self._next(), body=body, user=copy.deepcopy(user), issue_number=number)
        self.comments.append(comment)
        return comment

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
            ("GET", r"/pulls/(\d+)", self._pull),
            ("GET", r"/commits/([0-9a-f]+)/pulls", self._pulls_of_commit),
            ("GET", r"/issues/(\d+)/comments", self._list_comments),
            ("POST", r"/issues/(\d+)/comments", self._create_comment),
            ("PATCH", r"/issues/comments/(\d+)", self._edit_comment),
            ("GET", r"/issues", self._list_issues),
            ("POST", r"/issues", self._create_issue),
            ("PATCH", r"/issues/(\d+)", self._edit_issue),
            ("POST", r"/labels", self._create_label),
        ]

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
        comment.update(body=body["body"], updated_at="2026-11-21T00:00:00Z")
        return httpx.Response(200, json=comment)

    def _list_issues(self, request: httpx.Request, body: Any) -> httpx.Response:
        query = parse_qs(urlsplit(str(request.url)).query)
        label = query.get("labels", [""])[0]
        found = [i for i in self.issues.values() if any(lb["name"] == label for lb in i["labels"])]
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
