"""The GitHub REST client: pages, retries, bounded downloads without the token on the redirect,
and one-line errors that carry no token, no signed URL and no httpx."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from reconciler.ci.errors import EventError, GitHubError, TooLargeError
from reconciler.ci.github import GitHub
from tests.support.github import API, SIGNATURE, STORAGE, TOKEN, FakeGitHub, sha


def chain(err: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def assert_clean(err: GitHubError) -> None:
    text = str(err)
    assert "\n" not in text
    assert TOKEN not in text
    assert "Bearer" not in text
    assert not any(isinstance(e, httpx.HTTPError) for e in chain(err)), chain(err)
    assert all(TOKEN not in str(e) for e in chain(err))


def test_lists_are_read_page_by_page() -> None:
    fake = FakeGitHub()
    for i in range(230):
        fake.add_comment(7, f"comment {i}")
    with fake.client() as gh:
        bodies = [c["body"] for c in gh.comments(7)]
    assert bodies == [f"comment {i}" for i in range(230)]
    assert fake.requests.count(("GET", "/repos/acme/schedules/issues/7/comments")) == 3


def test_a_missing_pull_request_is_one_line_with_a_hint() -> None:
    with FakeGitHub().client() as gh, pytest.raises(GitHubError) as caught:
        gh.pull(99)
    assert str(caught.value) == (
        "GitHub GET /repos/acme/schedules/pulls/99: HTTP 404: Not Found; "
        "not found, or the job's `permissions:` do not allow it"
    )
    assert caught.value.status == 404
    assert_clean(caught.value)


def test_a_get_is_retried_after_a_server_error_and_a_cut_connection() -> None:
    fake = FakeGitHub()
    fake.faults += [
        ("GET", r".*/branches/main", 502),
        ("GET", r".*/branches/main", httpx.ReadError("connection reset")),
    ]
    with fake.client() as gh:
        assert gh.branch_head("main") == sha(1)
    assert fake.requests.count(("GET", "/repos/acme/schedules/branches/main")) == 3


def test_a_get_gives_up_after_three_attempts_without_leaking_httpx() -> None:
    fake = FakeGitHub()
    fake.faults += [("GET", r".*/pulls/1", httpx.ConnectError("connection refused"))] * 3
    with fake.client() as gh, pytest.raises(GitHubError) as caught:
        gh.pull(1)
    assert "cannot reach GitHub (ConnectError: connection refused)" in str(caught.value)
    assert str(caught.value).endswith("(tried 3 times)")
    assert_clean(caught.value)


def test_a_write_is_sent_once() -> None:
    fake = FakeGitHub()
    fake.faults.append(("POST", r".*/issues/5/comments", 502))
    with fake.client() as gh, pytest.raises(GitHubError) as caught:
        gh.create_comment(5, "hello")
    assert "HTTP 502" in str(caught.value)
    assert fake.requests == [("POST", "/repos/acme/schedules/issues/5/comments")]
    assert fake.comments == []


def test_a_forbidden_write_names_the_permission_to_check() -> None:
    def forbidden(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"message": "Resource not accessible by integration"})

    gh = GitHub("acme/schedules", TOKEN, api_url=API, transport=httpx.MockTransport(forbidden))
    with gh, pytest.raises(GitHubError) as caught:
        gh.create_comment(5, "hello")
    assert "HTTP 403: Resource not accessible by integration; forbidden: check the job's" in str(
        caught.value
    )
    assert_clean(caught.value)


def test_an_answer_that_is_not_json_is_an_error() -> None:
    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>unicorn</html>")

    gh = GitHub("acme/schedules", TOKEN, api_url=API, transport=httpx.MockTransport(html))
    with pytest.raises(GitHubError, match="not JSON"):
        gh.pull(1)
    with pytest.raises(GitHubError, match="expected a JSON list"):
        gh.comments(1)
    gh.close()


def test_an_endless_list_is_cut_off() -> None:
    def endless(request: httpx.Request) -> httpx.Response:
        nxt = request.url.copy_merge_params({"page": "2"})
        return httpx.Response(200, json=[{"id": 1}], headers={"Link": f'<{nxt}>; rel="next"'})

    gh = GitHub("acme/schedules", TOKEN, api_url=API, transport=httpx.MockTransport(endless))
    with gh, pytest.raises(GitHubError, match="more than 50 pages"):
        gh.comments(1)


def test_an_existing_label_is_fine() -> None:
    fake = FakeGitHub()
    with fake.client() as gh:
        gh.ensure_label("drift", "D93F0B", "drift")
        gh.ensure_label("drift", "D93F0B", "drift")
    assert fake.labels == {"drift"}


def test_the_token_comes_from_the_environment_only() -> None:
    with pytest.raises(EventError, match="GITHUB_TOKEN is not set"):
        GitHub.from_env({"GITHUB_REPOSITORY": "acme/schedules"})


def an_artifact(fake: FakeGitHub, data: bytes = b"PK\x05\x06" + bytes(18)) -> int:
    return int(fake.upload_artifact(fake.start_run(), "plans-prod", data)["id"])


def test_an_artifact_is_fetched_from_storage_without_the_token() -> None:
    fake = FakeGitHub()
    ident = an_artifact(fake, b"the zip")
    with fake.client() as gh:
        assert gh.artifact_zip(ident, 1000) == b"the zip"
    assert fake.requests[-1] == ("GET", f"/repos/acme/schedules/actions/artifacts/{ident}/zip")
    (download,) = fake.storage_requests
    assert SIGNATURE in str(download.url)  # the redirect was followed, to the other origin
    assert "Authorization" not in download.headers
    assert TOKEN not in str(download.headers)


def test_a_storage_refusal_shows_neither_the_signed_url_nor_the_storages_answer() -> None:
    fake = FakeGitHub()
    ident = an_artifact(fake)
    fake.signature = "sig=EXPIREDsignature"  # the storage refuses it, quoting the URL
    with fake.client() as gh, pytest.raises(GitHubError) as caught:
        gh.artifact_zip(ident, 1000)
    assert str(caught.value) == (
        f"GitHub GET /repos/acme/schedules/actions/artifacts/{ident}/zip: HTTP 403 from the storage"
    )
    assert "EXPIRED" not in str(caught.value)
    assert_clean(caught.value)


def test_a_download_over_its_bound_is_cut_off_as_it_streams() -> None:
    streamed: list[int] = []

    def body() -> Iterator[bytes]:
        for i in range(100):
            streamed.append(i)
            yield bytes(1024 * 1024)

    def storage(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.github.test":
            return httpx.Response(302, headers={"Location": f"{STORAGE}/x.zip?{SIGNATURE}"})
        return httpx.Response(200, content=body())  # no Content-Length: counted as it comes

    gh = GitHub("acme/schedules", TOKEN, api_url=API, transport=httpx.MockTransport(storage))
    with gh, pytest.raises(TooLargeError) as caught:
        gh.artifact_zip(5, 3 * 1024 * 1024)
    assert str(caught.value) == (
        "GitHub GET /repos/acme/schedules/actions/artifacts/5/zip: more than 3145728 bytes; "
        "not read any further"
    )
    assert_clean(caught.value)
    assert len(streamed) == 4  # three chunks fit, the fourth is one too many: the rest never read


def test_a_download_that_declares_too_much_is_not_read_at_all() -> None:
    read: list[int] = []

    def body() -> Iterator[bytes]:
        read.append(1)
        yield bytes(10)

    def storage(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.github.test":
            return httpx.Response(302, headers={"Location": f"{STORAGE}/x.zip?{SIGNATURE}"})
        return httpx.Response(200, headers={"Content-Length": str(10**12)}, content=body())

    gh = GitHub("acme/schedules", TOKEN, api_url=API, transport=httpx.MockTransport(storage))
    with gh, pytest.raises(TooLargeError, match="more than 1000 bytes"):
        gh.artifact_zip(5, 1000)
    assert read == []


def test_a_download_cut_off_is_retried_then_one_line() -> None:
    fake = FakeGitHub()
    ident = an_artifact(fake)
    fake.faults += [
        ("GET", r".*/artifacts/\d+/zip", httpx.ReadError(f"reset {STORAGE}?{SIGNATURE}"))
    ] * 3
    with fake.client() as gh, pytest.raises(GitHubError) as caught:
        gh.artifact_zip(ident, 1000)
    assert str(caught.value) == (
        f"GitHub GET /repos/acme/schedules/actions/artifacts/{ident}/zip: cannot download it "
        "(ReadError) (tried 3 times)"
    )
    assert SIGNATURE not in str(caught.value)
    assert_clean(caught.value)


def test_an_expired_artifact_is_a_410() -> None:
    fake = FakeGitHub()
    ident = an_artifact(fake)
    fake.artifacts[ident]["expired"] = True
    with fake.client() as gh, pytest.raises(GitHubError) as caught:
        gh.artifact_zip(ident, 1000)
    assert caught.value.status == 410
    assert "Artifact has expired" in str(caught.value)
    assert_clean(caught.value)
