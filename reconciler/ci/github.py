"""A small GitHub REST client over httpx: the calls the CI steps make, and nothing else.

One `httpx.Client` per run, authenticated with the job's `GITHUB_TOKEN`. GETs
are retried (tenacity) on 429, 5xx and network faults; writes are sent once
(a second comment is worse than a failed step). Every failure is a
`GitHubError` of one line naming the request, the status and GitHub's message:
no httpx exception leaves this module, and the token is in no message and no
exception chain. Lists are read page by page (100 a page, `Link: rel="next"`),
at most `MAX_PAGES` pages, so a lying server cannot keep a step busy forever.

An artifact's zip is the one answer that is not JSON: GitHub redirects it to
its storage with a signed URL. httpx follows the redirect and drops the
Authorization header when it leaves the API's origin, so the storage host
never sees the token; the download is bounded (`TooLargeError`), and no
message names the signed URL.

The transport is the one I/O seam: `transport_factory` builds it, and tests
swap in an `httpx.MockTransport` replaying recorded GitHub answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from reconciler._version import __version__
from reconciler.ci.actions import Env, need
from reconciler.ci.errors import GitHubError, TooLargeError

__all__ = [
    "ATTEMPTS",
    "DEFAULT_API",
    "MAX_PAGES",
    "PER_PAGE",
    "TIMEOUT",
    "GitHub",
    "transport_factory",
]

DEFAULT_API = "https://api.github.com"
MAX_PAGES = 50
PER_PAGE = 100
ATTEMPTS = 3
TIMEOUT = 30.0
_HINTS = {
    401: "the token was refused (is GITHUB_TOKEN the job's token?)",
    403: "forbidden: check the job's `permissions:`",
    404: "not found, or the job's `permissions:` do not allow it",
}

#: Builds the transport of every client (the seam tests swap).
transport_factory: Callable[[], httpx.BaseTransport] = httpx.HTTPTransport

_T = TypeVar("_T")


class _Retryable(Exception):
    """A GET worth another attempt; carries the GitHubError to raise when attempts run out."""

    def __init__(self, error: GitHubError) -> None:
        super().__init__(str(error))
        self.error = error


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _refusal(method: str, path: str, response: httpx.Response) -> GitHubError:
    try:
        message = response.json().get("message", "")
    except (ValueError, AttributeError):
        message = response.text
    hint = _HINTS.get(response.status_code, "")
    detail = "; ".join(part for part in (_one_line(str(message)), hint) if part)
    return GitHubError(
        f"GitHub {method} {path}: HTTP {response.status_code}: {detail}", response.status_code
    )


def _head(response: httpx.Response, limit: int = 65_536) -> bytes:
    """The first `limit` bytes of a streamed answer (an error's message is short)."""
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) >= limit:
            break
    return bytes(body[:limit])


class GitHub:
    """The REST calls of the CI steps, on one repository."""

    def __init__(
        self,
        repository: str,
        token: str,
        *,
        api_url: str = DEFAULT_API,
        transport: httpx.BaseTransport | None = None,
        retry_wait: float = 1.0,
    ) -> None:
        self.repository = repository
        self._retry_wait = retry_wait
        self._http = httpx.Client(
            base_url=api_url.rstrip("/"),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": f"reconciler/{__version__}",
            },
            transport=transport or transport_factory(),
            timeout=TIMEOUT,
        )

    @classmethod
    def from_env(cls, env: Env, **options: Any) -> GitHub:
        """The client of the job's repository, with the job's GITHUB_TOKEN."""
        return cls(
            need(env, "GITHUB_REPOSITORY"),
            need(env, "GITHUB_TOKEN"),
            api_url=env.get("GITHUB_API_URL") or DEFAULT_API,
            **options,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport ---------------------------------------------------------------------

    def _send(self, method: str, url: str, body: Mapping[str, Any] | None) -> httpx.Response:
        problem: str | None = None
        try:
            return self._http.request(method, url, json=body)
        except httpx.HTTPError as err:  # never let httpx (or its request, with the token) out
            problem = f"GitHub {method} {url}: cannot reach GitHub ({type(err).__name__}: {err})"
        raise GitHubError(_one_line(problem))

    def _attempt(self, method: str, url: str, body: Mapping[str, Any] | None) -> httpx.Response:
        try:
            response = self._send(method, url, body)
        except GitHubError as err:
            if method == "GET":
                raise _Retryable(err) from None
            raise
        if response.status_code >= 400:
            error = _refusal(method, url, response)
            if method == "GET" and (response.status_code == 429 or response.status_code >= 500):
                raise _Retryable(error)
            raise error
        return response

    def _call(self, method: str, url: str, body: Mapping[str, Any] | None = None) -> httpx.Response:
        return self._retried(lambda: self._attempt(method, url, body))

    def _retried(self, attempt: Callable[[], _T]) -> _T:
        """`attempt()`, again while it raises _Retryable, at most ATTEMPTS times."""
        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
            stop=stop_after_attempt(ATTEMPTS),
            wait=wait_exponential(multiplier=self._retry_wait, max=10 * self._retry_wait),
            reraise=False,
        )
        error: GitHubError | None = None
        try:
            return retrying(attempt)
        except RetryError as err:
            last = err.last_attempt.exception()
            error = last.error if isinstance(last, _Retryable) else GitHubError(str(last))
        raise GitHubError(f"{error} (tried {ATTEMPTS} times)", error.status)

    def _download(self, path: str, limit: int) -> bytes:
        """One attempt at the body behind `path`, redirects followed, at most `limit` bytes."""
        problem: str | None = None
        try:
            with self._http.stream("GET", path, follow_redirects=True) as response:
                return self._bounded_body(path, response, limit)
        except httpx.HTTPError as err:  # its message may hold the signed storage URL: not shown
            problem = f"GitHub GET {path}: cannot download it ({type(err).__name__})"
        raise _Retryable(GitHubError(problem))

    def _bounded_body(self, path: str, response: httpx.Response, limit: int) -> bytes:
        status = response.status_code
        if status >= 400:
            url, api = response.url, self._http.base_url
            if (url.scheme, url.host, url.port) == (api.scheme, api.host, api.port):
                error = _refusal("GET", path, httpx.Response(status, content=_head(response)))
            else:  # the storage's own answer may quote the signed URL: only its status is shown
                error = GitHubError(f"GitHub GET {path}: HTTP {status} from the storage", status)
            raise _Retryable(error) if status == 429 or status >= 500 else error
        declared = response.headers.get("Content-Length", "")
        too_large = f"GitHub GET {path}: more than {limit} bytes; not read any further"
        if declared.isdigit() and int(declared) > limit:
            raise TooLargeError(too_large)
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > limit:
                raise TooLargeError(too_large)
        return bytes(body)

    def _json(self, method: str, url: str, body: Mapping[str, Any] | None = None) -> Any:
        response = self._call(method, url, body)
        if not response.content:
            return None
        problem: str | None = None
        try:
            return response.json()
        except ValueError:
            problem = (
                f"GitHub {method} {url}: HTTP {response.status_code} but the answer is not JSON"
            )
        raise GitHubError(problem)

    def _object(
        self, method: str, url: str, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        data = self._json(method, url, body)
        if not isinstance(data, dict):
            raise GitHubError(f"GitHub {method} {url}: expected a JSON object")
        return data

    def _pages(self, url: str) -> Iterator[dict[str, Any]]:
        """Every item of a list, page by page (`Link: rel="next"`), at most MAX_PAGES pages."""
        sep = "&" if "?" in url else "?"
        next_url: str | None = f"{url}{sep}per_page={PER_PAGE}"
        for _ in range(MAX_PAGES):
            if next_url is None:
                return
            response = self._call("GET", next_url)
            try:
                items = response.json()
            except ValueError:
                items = None
            if not isinstance(items, list):
                raise GitHubError(f"GitHub GET {url}: expected a JSON list")
            yield from (item for item in items if isinstance(item, dict))
            next_url = response.links.get("next", {}).get("url")
        if next_url is not None:
            raise GitHubError(f"GitHub GET {url}: more than {MAX_PAGES} pages; giving up")

    # --- the calls ---------------------------------------------------------------------

    @property
    def _repo(self) -> str:
        return f"/repos/{self.repository}"

    def default_branch(self) -> str:
        return str(self._object("GET", self._repo).get("default_branch") or "main")

    def branch_head(self, branch: str) -> str:
        """The SHA at the head of `branch`."""
        data = self._object("GET", f"{self._repo}/branches/{branch}")
        sha = data.get("commit", {}).get("sha") if isinstance(data.get("commit"), dict) else None
        if not isinstance(sha, str):
            raise GitHubError(f"GitHub GET {self._repo}/branches/{branch}: no commit sha")
        return sha

    def pull(self, number: int) -> dict[str, Any]:
        return self._object("GET", f"{self._repo}/pulls/{number}")

    def open_pulls_from(self, owner: str, branch: str) -> list[dict[str, Any]]:
        """The open pull requests whose head is `owner:branch` (a fork's branch too)."""
        head = quote(f"{owner}:{branch}", safe="")
        return list(self._pages(f"{self._repo}/pulls?state=open&head={head}"))

    def pulls_of_commit(self, sha: str) -> list[dict[str, Any]]:
        """The pull requests associated with a commit (the one merged as it among them)."""
        return list(self._pages(f"{self._repo}/commits/{sha}/pulls"))

    def workflow_run(self, run_id: int) -> dict[str, Any]:
        return self._object("GET", f"{self._repo}/actions/runs/{run_id}")

    def run_artifacts(self, run_id: int, name: str) -> list[dict[str, Any]]:
        """The artifacts of run `run_id` named exactly `name` (names are unique in a run)."""
        url = f"{self._repo}/actions/runs/{run_id}/artifacts?name={name}&per_page={PER_PAGE}"
        items = self._object("GET", url).get("artifacts")
        if not isinstance(items, list):
            raise GitHubError(f"GitHub GET {url}: expected a list of artifacts")
        return [a for a in items if isinstance(a, dict) and a.get("name") == name]

    def artifact_zip(self, artifact_id: int, limit: int) -> bytes:
        """The zip of an artifact, at most `limit` bytes (TooLargeError beyond), from GitHub's
        storage: the redirect there is followed without the token (see the module docstring)."""
        path = f"{self._repo}/actions/artifacts/{artifact_id}/zip"
        return self._retried(lambda: self._download(path, limit))

    def comments(self, number: int) -> list[dict[str, Any]]:
        """Every comment on an issue or pull request, oldest first."""
        return list(self._pages(f"{self._repo}/issues/{number}/comments"))

    def create_comment(self, number: int, body: str) -> dict[str, Any]:
        return self._object("POST", f"{self._repo}/issues/{number}/comments", {"body": body})

    def edit_comment(self, comment_id: int, body: str) -> dict[str, Any]:
        return self._object("PATCH", f"{self._repo}/issues/comments/{comment_id}", {"body": body})

    def issues(self, label: str) -> list[dict[str, Any]]:
        """Every issue (open or closed, no pull requests) with `label`."""
        items = self._pages(f"{self._repo}/issues?labels={label}&state=all")
        return [item for item in items if "pull_request" not in item]

    def create_issue(self, title: str, body: str, labels: list[str]) -> dict[str, Any]:
        payload = {"title": title, "body": body, "labels": labels}
        return self._object("POST", f"{self._repo}/issues", payload)

    def edit_issue(self, number: int, **fields: Any) -> dict[str, Any]:
        return self._object("PATCH", f"{self._repo}/issues/{number}", fields)

    # --- the git database: what a commit's tree holds ------------------------------------

    def commit_tree(self, sha: str) -> str:
        """The SHA of the tree of commit `sha` (`GET /git/commits/{sha}`)."""
        url = f"{self._repo}/git/commits/{sha}"
        tree = self._object("GET", url).get("tree")
        found = tree.get("sha") if isinstance(tree, dict) else None
        if not isinstance(found, str):
            raise GitHubError(f"GitHub GET {url}: no tree sha")
        return found

    def tree(self, sha: str) -> list[dict[str, Any]]:
        """The entries of tree `sha`, one level (path, type, sha); GitHubError when GitHub
        cut the list (`truncated`): an answer we cannot be sure of is no answer."""
        url = f"{self._repo}/git/trees/{sha}"
        data = self._object("GET", url)
        entries = data.get("tree")
        if data.get("truncated") is not False or not isinstance(entries, list):
            raise GitHubError(f"GitHub GET {url}: the tree is truncated or missing")
        return [e for e in entries if isinstance(e, dict)]

    # --- repository settings (reconciler ci check-repo) --------------------------------

    def branch_rules(self, branch: str) -> list[dict[str, Any]]:
        """The active ruleset rules that apply to `branch`, whatever their level (repository
        or organisation); readable with any token that reads the repository."""
        return list(self._pages(f"{self._repo}/rules/branches/{quote(branch, safe='')}"))

    def branch_protection(self, branch: str) -> dict[str, Any] | None:
        """The classic branch protection of `branch`, or None when it has none (GitHub's 404
        "Branch not protected"). Reading it needs administration: read, which no
        GITHUB_TOKEN has: a 403 or another 404 is a GitHubError for the caller to report."""
        try:
            return self._object("GET", f"{self._repo}/branches/{quote(branch, safe='')}/protection")
        except GitHubError as err:
            if err.status == 404 and "Branch not protected" in str(err):
                return None
            raise

    def environments(self) -> list[dict[str, Any]]:
        """Every deployment environment of the repository (needs actions: read)."""
        return list(self._listed(f"{self._repo}/environments", "environments"))

    def deployment_branch_policies(self, environment: str) -> list[dict[str, Any]]:
        """The custom deployment branch and tag rules of `environment` (needs actions: read)."""
        url = f"{self._repo}/environments/{quote(environment, safe='')}/deployment-branch-policies"
        return list(self._listed(url, "branch_policies"))

    def _listed(self, url: str, key: str) -> Iterator[dict[str, Any]]:
        """The items under `key` of a paginated object answer (`{"total_count", key: […]}`)."""
        next_url: str | None = f"{url}?per_page={PER_PAGE}"
        for _ in range(MAX_PAGES):
            if next_url is None:
                return
            response = self._call("GET", next_url)
            try:
                items = response.json().get(key)
            except (ValueError, AttributeError):
                items = None
            if not isinstance(items, list):
                raise GitHubError(f"GitHub GET {url}: expected an object with a list {key!r}")
            yield from (item for item in items if isinstance(item, dict))
            next_url = response.links.get("next", {}).get("url")
        if next_url is not None:
            raise GitHubError(f"GitHub GET {url}: more than {MAX_PAGES} pages; giving up")

    def ensure_label(self, name: str, color: str, description: str) -> None:
        """Create the label unless it exists (422: it does)."""
        try:
            self._object(
                "POST",
                f"{self._repo}/labels",
                {"name": name, "color": color, "description": description},
            )
        except GitHubError as err:
            if err.status != 422:
                raise
