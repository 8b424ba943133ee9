"""At merge, a plan comment counts only as its plan run posted it: edits, restores, runs of
another workflow or event, missing artifacts and bombs in the artifact all refuse."""

from __future__ import annotations

import dataclasses
import io
import struct
import warnings
import zipfile
from pathlib import Path

import pytest
from click.testing import Result

from reconciler.ci.errors import UntrustedPlanComment
from reconciler.ci.markers import PLAN, Marker, parse, with_marker
from reconciler.ci.proof import AGAIN, PLAN_WORKFLOW, read_zip
from tests.support.ci import Reviewed, apply_job, push, refusal, review
from tests.support.cli import by_name, doc
from tests.support.github import REPO, TOKEN, FakeGitHub, event_env, served, sha, zip_of
from tests.support.hostile import run_capped
from tests.support.wording import assert_ours

#: What the reviewers are shown instead of the real plan.
LIE = ("+ create</code> <b>b</b>", "+ create</code> <b>harmless_b</b>")


def merge(main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> Result:
    """Pull request 12 (adding b) is merged as sha(2); the apply job runs."""
    fake.merge(12, sha(2))
    push(main, fake, monkeypatch, sha(2), doc("b"))
    return apply_job()


def assert_refused(main: Path, result: Result, reason: str, reviewed: Reviewed) -> None:
    """Exit 1, nothing applied, the refusal (with the merged tree's plan) written for the report."""
    assert result.exit_code == 1, result.output + result.stderr
    assert set(by_name(main)) == {"a"}
    data = refusal(main)
    assert data["reason"] == f"{reason}: {AGAIN}"
    assert f"local: refused: {reason}: {AGAIN}" in result.stderr
    assert data["pull_request"] == 12
    assert data["checksum"] == reviewed.checksum  # an operator can approve the real plan
    assert "+ create</code> <b>b</b>" in data["markdown"]
    assert TOKEN not in result.output + result.stderr


def lie(body: str) -> str:
    assert LIE[0] in body
    return body.replace(*LIE)


# --- through the apply job -------------------------------------------------------------------


def test_an_untouched_comment_applies_and_the_storage_never_sees_the_token(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    reviewed = review(main, fake, monkeypatch, 12, doc("b"))
    result = merge(main, fake, monkeypatch)
    assert result.exit_code == 0, result.output + result.stderr
    assert set(by_name(main)) == {"a", "b"}
    runs = f"/repos/{REPO}/actions/runs/{reviewed.run}"
    assert ("GET", runs) in fake.requests
    assert ("GET", f"{runs}/artifacts") in fake.requests
    (download,) = fake.storage_requests
    assert "Authorization" not in download.headers


def test_a_comment_edited_before_its_run_ended_is_refused_by_its_body(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    reviewed = review(main, fake, monkeypatch, 12, doc("b"), finish=False)
    fake.edit_comment(reviewed.comment, lie(reviewed.comment["body"]))  # the marker kept
    fake.finish_run(reviewed.run)
    result = merge(main, fake, monkeypatch)
    assert_refused(
        main,
        result,
        f"the plan comment for local is not the plan that the plan run that posted it "
        f"(run {reviewed.run}) wrote in its artifact plans-local: it was edited",
        reviewed,
    )


#: Lines a same-repository pull request's token could add to the reviewed comment.
FORGED = "> [!IMPORTANT]\n> Reviewed by security: **no changes**"


@pytest.mark.parametrize("where", ["appended", "after-the-marker"])
def test_a_comment_with_a_line_added_is_refused(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Every text the reviewed comment held is still there, in order: one more line is a lie."""
    reviewed = review(main, fake, monkeypatch, 12, doc("b"), finish=False)
    body = reviewed.comment["body"]
    marker, _, rest = body.partition("\n")
    added = f"{body}\n{FORGED}\n" if where == "appended" else f"{marker}\n{FORGED}\n{rest}"
    assert parse(added) == parse(body)
    fake.edit_comment(reviewed.comment, added)
    fake.finish_run(reviewed.run)
    result = merge(main, fake, monkeypatch)
    assert_refused(
        main,
        result,
        f"the plan comment for local is not the plan that the plan run that posted it "
        f"(run {reviewed.run}) wrote in its artifact plans-local: it was edited",
        reviewed,
    )


@pytest.mark.parametrize("restored", [False, True], ids=["edited", "edited-then-restored"])
def test_a_comment_changed_after_its_run_is_refused(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch, restored: bool
) -> None:
    reviewed = review(main, fake, monkeypatch, 12, doc("b"))
    original = reviewed.comment["body"]
    fake.edit_comment(reviewed.comment, lie(original))  # what the reviewers approve
    if restored:
        fake.edit_comment(reviewed.comment, original)  # what apply checks
    result = merge(main, fake, monkeypatch)
    assert (reviewed.comment["body"] == original) is restored
    reason = f"the plan comment for local was changed after the plan run that posted it (run {reviewed.run})"
    assert_refused(main, result, reason, reviewed)


@pytest.mark.parametrize(
    ("event", "path", "repository", "why"),
    [
        ("pull_request", PLAN_WORKFLOW, REPO, "the pull request's own copy of the plan workflow"),
        ("workflow_run", ".github/workflows/mine.yml", REPO, "another workflow_run workflow"),
        ("workflow_run", "./" + PLAN_WORKFLOW, REPO, "a path that is only similar"),
        ("workflow_dispatch", PLAN_WORKFLOW, REPO, "the plan workflow dispatched"),
        ("workflow_run", PLAN_WORKFLOW, "mallory/schedules", "another repository's run"),
    ],
)
def test_a_comment_posted_by_a_run_of_another_workflow_or_event_is_refused(
    main: Path,
    fake: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    event: str,
    path: str,
    repository: str,
    why: str,
) -> None:
    reviewed = review(main, fake, monkeypatch, 12, doc("b"))
    forged = forge_from_run(fake, reviewed, event=event, path=path, repository=repository)
    result = merge(main, fake, monkeypatch)
    assert_refused(
        main,
        result,
        f"the plan comment for local names run {forged}, which is not a reconciler-plan run "
        f"of this repository (event {event!r}, workflow {path!r}, repository {repository!r})",
        reviewed,
    )


def test_the_same_forgery_from_a_real_plan_run_would_pass_the_check(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control of the test above: only the run's identity stops that forgery."""
    reviewed = review(main, fake, monkeypatch, 12, doc("b"))
    forge_from_run(fake, reviewed, event="workflow_run", path=PLAN_WORKFLOW, repository=REPO)
    assert merge(main, fake, monkeypatch).exit_code == 0


def forge_from_run(
    fake: FakeGitHub, reviewed: Reviewed, *, event: str, path: str, repository: str
) -> int:
    """A run the pull request controls posts a harmless-looking plan under the real checksum,
    consistent in every other way: the artifact, the comment and the times agree."""
    forged = fake.start_run(event=event, path=path, repository=repository)
    real = parse(reviewed.comment["body"])
    assert real is not None
    markdown = lie(reviewed.comment["body"]).partition("\n")[2]
    fake.upload_artifact(
        forged,
        "plans-local",
        {
            "plan-local.md": markdown,
            "plan-local.json": f'{{"checksum": "{real.checksum}"}}',
            "head-local.txt": f"{real.head}\n",
        },
    )
    body = with_marker(dataclasses.replace(real, run=forged), markdown)
    fake.edit_comment(reviewed.comment, body)
    fake.finish_run(forged)
    return forged


def test_a_checksum_the_run_did_not_plan_is_refused(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    reviewed = review(main, fake, monkeypatch, 12, doc("b"), finish=False)
    marker = parse(reviewed.comment["body"])
    assert marker is not None
    other = "sha256:" + "e" * 64
    body = reviewed.comment["body"]
    fake.edit_comment(reviewed.comment, body.replace(marker.checksum, other, 1))
    fake.finish_run(reviewed.run)
    result = merge(main, fake, monkeypatch)
    assert_refused(
        main,
        result,
        f"the plan comment for local carries checksum {other}, but the plan run that posted "
        f"it (run {reviewed.run}) planned {reviewed.checksum}",
        reviewed,
    )


@pytest.mark.parametrize("missing", ["never uploaded", "expired"])
def test_a_run_without_its_artifact_is_refused(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    reviewed = review(main, fake, monkeypatch, 12, doc("b"))
    (artifact,) = fake.artifacts.values()
    if missing == "expired":
        artifact["expired"] = True
    else:
        del fake.artifacts[artifact["id"]]
    result = merge(main, fake, monkeypatch)
    assert_refused(
        main,
        result,
        f"the plan run that posted the plan comment for local (run {reviewed.run}) keeps no "
        "artifact plans-local (never uploaded, or expired)",
        reviewed,
    )
    assert fake.storage_requests == []


def test_a_run_that_has_not_finished_is_refused(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    reviewed = review(main, fake, monkeypatch, 12, doc("b"), finish=False)
    result = merge(main, fake, monkeypatch)
    assert_refused(
        main,
        result,
        f"the plan run that posted the plan comment for local (run {reviewed.run}) has not "
        "finished",
        reviewed,
    )


def test_a_marker_naming_no_run_or_an_unknown_one_is_refused(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    reviewed = review(main, fake, monkeypatch, 12, doc("b"), finish=False)
    marker = parse(reviewed.comment["body"])
    assert marker is not None
    rest = reviewed.comment["body"].partition("\n")[2]
    fake.edit_comment(reviewed.comment, with_marker(dataclasses.replace(marker, run=None), rest))
    fake.finish_run(reviewed.run)
    result = merge(main, fake, monkeypatch)
    reason = "the plan comment for local names no plan run (an older reconciler posted it)"
    assert_refused(main, result, reason, reviewed)

    (main / "refused" / "refused-local.json").unlink()
    fake.edit_comment(reviewed.comment, with_marker(dataclasses.replace(marker, run=999), rest))
    result = apply_job()
    reason = "the plan comment for local names run 999, which this repository does not have"
    assert_refused(main, result, reason, reviewed)


def test_a_plan_of_another_commit_than_the_one_merged_is_refused(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The author pushed once more after the review, and that push's plan never posted (its
    run failed, or was cancelled): the comment shows the push before, not what is merged."""
    reviewed = review(main, fake, monkeypatch, 12, doc("b"))
    fake.pulls[12]["head"]["sha"] = sha(113)
    result = merge(main, fake, monkeypatch)
    reason = (
        f"the plan comment for local is the plan of commit {sha(112)}, but pull request #12 "
        f"was merged at {sha(113)}: the last push was never planned, or its plan was never posted"
    )
    assert_refused(main, result, reason, reviewed)
    assert fake.storage_requests == [], "refused before the artifact was fetched"


def test_a_marker_naming_a_head_its_run_did_not_plan_is_refused(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The marker's head says the last push, edited in while the run still ran (so the time
    check passes, and the body is the artifact's): the run's own record says otherwise."""
    reviewed = review(main, fake, monkeypatch, 12, doc("b"), finish=False)
    marker = parse(reviewed.comment["body"])
    assert marker is not None
    rest = reviewed.comment["body"].partition("\n")[2]
    fake.edit_comment(
        reviewed.comment, with_marker(dataclasses.replace(marker, head=sha(113)), rest)
    )
    fake.finish_run(reviewed.run)
    fake.pulls[12]["head"]["sha"] = sha(113)
    result = merge(main, fake, monkeypatch)
    reason = (
        f"the plan run that posted the plan comment for local (run {reviewed.run}) planned "
        f"commit {sha(112)!r}, not {sha(113)} that its comment names"
    )
    assert_refused(main, result, reason, reviewed)


def test_a_run_that_recorded_no_head_is_refused(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan run of a reconciler that did not record its head: its plan is planned again."""
    reviewed = review(main, fake, monkeypatch, 12, doc("b"))
    (artifact,) = fake.artifacts.values()
    files = read_zip(fake.archives[artifact["id"]], WANTED, "it")
    fake.archives[artifact["id"]] = zip_of(files)  # the same, without head-local.txt
    result = merge(main, fake, monkeypatch)
    reason = (
        f"the plan run that posted the plan comment for local (run {reviewed.run}) did not "
        "record the commit it planned (an older reconciler planned it)"
    )
    assert_refused(main, result, reason, reviewed)


def test_the_plan_job_records_the_commit_of_its_event(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    reviewed = review(main, fake, monkeypatch, 12, doc("b"))
    (artifact,) = fake.artifacts.values()
    files = read_zip(fake.archives[artifact["id"]], [*WANTED, "head-local.txt"], "it")
    assert files["head-local.txt"] == f"{sha(112)}\n".encode()
    assert parse(reviewed.comment["body"]).head == sha(112)  # type: ignore[union-attr]


def test_a_missing_permission_is_an_error_not_a_refusal(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workflow without `actions: read` fails loudly, naming the permission to check."""
    review(main, fake, monkeypatch, 12, doc("b"))
    fake.faults.append(("GET", r".*/actions/runs/\d+", 403))
    result = merge(main, fake, monkeypatch)
    assert result.exit_code == 1
    assert "HTTP 403: fault 403; forbidden: check the job's `permissions:`" in result.stderr
    assert set(by_name(main)) == {"a"}
    assert not (main / "refused").exists()


# --- the zip, in memory ------------------------------------------------------------------------

WANTED = ["plan-local.md", "plan-local.json"]


def test_the_zip_gives_the_members_asked_for() -> None:
    data = zip_of({"plan-local.md": "# plan", "plan-local.json": "{}", "other.txt": "x"})
    assert read_zip(data, WANTED, "it") == {"plan-local.md": b"# plan", "plan-local.json": b"{}"}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not a zip at all", "it is not a zip we can read (…)"),  # …: zipfile's reason
        (zip_of({"plan-local.md": "# plan"}), "it has no plan-local.json"),
        (
            zip_of({"plan-local.md": "", "plan-local.json": "", **{f"{i}": "" for i in range(7)}}),
            "it has 9 members, more than 8",
        ),
    ],
)
def test_a_zip_that_is_not_the_plan_artifact_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(UntrustedPlanComment) as caught:
        read_zip(data, WANTED, "it")
    assert_ours(str(caught.value), reason)


def test_a_member_named_twice_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("plan-local.md", "# the plan")
        archive.writestr("plan-local.json", "{}")
        with warnings.catch_warnings():  # zipfile warns of the duplicate, in its words
            warnings.simplefilter("ignore", UserWarning)
            archive.writestr("plan-local.md", "# another plan")
    with pytest.raises(UntrustedPlanComment) as caught:
        read_zip(out.getvalue(), WANTED, "it")
    assert str(caught.value) == "it names a member twice"


def test_a_member_over_its_bound_is_refused_by_what_it_declares_unread() -> None:
    data = lie_about_size(zip_of({"plan-local.md": "# plan", "plan-local.json": "{}"}), 10**9)
    # The member's data is 2 bytes: reading it would fail on its checksum, not on its size.
    with pytest.raises(UntrustedPlanComment) as caught:
        read_zip(data, WANTED, "it")
    assert str(caught.value) == "it: plan-local.json declares 1000000000 bytes, more than 16777216"


def test_a_member_is_never_read_past_what_it_declares() -> None:
    data = lie_about_size(zip_of({"plan-local.md": "", "plan-local.json": "{}" + " " * 5000}), 10)
    with pytest.raises(UntrustedPlanComment) as caught:
        read_zip(data, WANTED, "it")
    assert_ours(str(caught.value), "it is not a zip we can read (…)")  # …: zipfile's reason


def lie_about_size(data: bytes, size: int, name: bytes = b"plan-local.json") -> bytes:
    """`data` with its central directory claiming `size` inflated bytes for member `name`."""
    out = bytearray(data)
    count, _, at = struct.unpack_from("<HII", out, out.rindex(b"PK\x05\x06") + 10)
    for _ in range(count):
        name_length, extra, comment = struct.unpack_from("<HHH", out, at + 28)
        if out[at + 46 : at + 46 + name_length] == name:
            struct.pack_into("<I", out, at + 24, size)
            return bytes(out)
        at += 46 + name_length + extra + comment
    raise AssertionError(f"no member {name!r}")


# --- bombs, against the real CLI under a memory cap ---------------------------------------------

BOMB = 256 * 1024 * 1024  # inflated; half the cap, which the CLI's own 300 MB leaves no room for


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """plan-local.md, then plan-local.json: 256 MiB of spaces, a few hundred KB deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("plan-local.md", "# plan\n")
        with archive.open("plan-local.json", "w") as member:
            chunk = b" " * (1024 * 1024)
            for _ in range(BOMB // len(chunk)):
                member.write(chunk)
    return out.getvalue()


@pytest.mark.parametrize(
    ("declared", "reason"),
    [
        (None, f": plan-local.json declares {BOMB} bytes, more than 16777216"),
        (100, " is not a zip we can read (…)"),  # …: zipfile's reason
    ],
    ids=["declares-its-size", "declares-100-bytes"],
)
def test_a_zip_bomb_in_the_artifact_is_refused_within_the_memory_cap(
    main: Path,
    fake: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    bomb: bytes,
    declared: int | None,
    reason: str,
) -> None:
    reviewed = review(main, fake, monkeypatch, 12, doc("b"))
    (artifact,) = fake.artifacts.values()
    fake.archives[artifact["id"]] = bomb if declared is None else lie_about_size(bomb, declared)
    assert len(fake.archives[artifact["id"]]) < 8 * 1024 * 1024  # under the download's bound
    fake.merge(12, sha(2))
    push(main, fake, monkeypatch, sha(2), doc("b"))
    with served(fake) as api:
        env = job_env(main, fake, api)
        outcome = run_capped(main, "ci", "apply", "--target", "local", "--out", "refused", env=env)
    assert outcome.code == 1, outcome.stderr[-3000:]
    assert "Traceback" not in outcome.stderr
    assert "MemoryError" not in outcome.stderr
    (line,) = [line for line in outcome.stderr.splitlines() if line.strip()]
    assert_ours(
        line, f"local: refused: the artifact plans-local of run {reviewed.run}{reason}: {AGAIN}"
    )
    assert TOKEN not in outcome.stdout + outcome.stderr
    assert all("Authorization" not in r.headers for r in fake.storage_requests)
    assert set(by_name(main)) == {"a"}


def job_env(main: Path, fake: FakeGitHub, api: str) -> dict[str, str]:
    """The apply job's environment for the push, with GitHub on a loopback port."""
    env = event_env(
        fake,
        main / "events",
        "push",
        {"after": sha(2)},
        GITHUB_SHA=sha(2),
        GITHUB_REF="refs/heads/main",
    )
    return {**env, "GITHUB_API_URL": api}


def test_the_reviewed_comment_names_its_run(
    main: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    reviewed = review(main, fake, monkeypatch, 12, doc("b"))
    assert parse(reviewed.comment["body"]) == Marker(
        PLAN, "local", reviewed.checksum, sha(112), reviewed.run
    )
