"""At merge: the plan comment is exactly what a reconciler-plan run posted, untouched since.

Every workflow of the repository writes as github-actions[bot], and a
same-repository pull request controls its own workflow, which may ask for a
token that edits comments. So a bot-written marker proves little: the author
could show the reviewers a harmless plan under the real checksum, or edit the
comment to a lie and restore it before merging. The one legitimate writer of a
plan comment is the comment job of a reconciler-plan run (event workflow_run,
so the default branch's definition), whose artifacts no pull request can write.
Before apply trusts a plan comment's checksum, `check_plan_comment` holds it
against the run its marker names (`run=`):

1. the run is `.github/workflows/reconciler-plan.yml` of this repository,
   started by `workflow_run` (a pull request's own copy of that file runs with
   event `pull_request`), and it has finished;
2. the comment was last written no later than the run's end (its
   `updated_at`; the comment job is the run's last job): an edit, or a
   restore, made after the run is refused;
3. the run's artifact `plans-T` (a zip read in memory within
   `reconciler.limits`' bounds, never extracted) holds plan-T.md and
   plan-T.json; the saved plan's checksum is the marker's, and the comment is
   exactly what the comment job makes of the two files:
   `with_marker(marker, markdown)` of `review.plan_entry` (line endings aside);
4. the plan is of the commit that was merged: the marker's `head` is the pull
   request's head when it was merged (a push whose plan never posted leaves the
   comment of the push before it: the reviewers never saw what was merged), and
   it is the commit the run itself recorded planning (`head-T.txt` in the same
   artifact, written by the plan job from its workflow_run event, which no pull
   request can write: `pull_request.record_head`).
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Collection
from datetime import datetime
from typing import Any

from reconciler.ci.actions import dig
from reconciler.ci.errors import GitHubError, TooLargeError, UntrustedPlanComment
from reconciler.ci.github import GitHub
from reconciler.ci.markers import Marker, with_marker
from reconciler.limits import (
    MAX_ARTIFACT_BYTES,
    MAX_ARTIFACT_MEMBER_BYTES,
    MAX_ARTIFACT_MEMBERS,
)

__all__ = ["AGAIN", "PLAN_WORKFLOW", "check_plan_comment", "read_zip"]

PLAN_WORKFLOW = ".github/workflows/reconciler-plan.yml"
AGAIN = "refusing; re-run the plan or approve a checksum through workflow_dispatch"
#: What a zip that is not one, or not one we read, raises in zipfile.
_UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,  # an encrypted member
    OSError,
)


def check_plan_comment(
    gh: GitHub,
    comment: dict[str, Any],
    marker: Marker,
    *,
    merged_head: str | None,
    pull: int,
) -> str | None:
    """None when the plan run that `marker` names posted `comment` as it is, planning
    `merged_head` (the head of pull request `pull` when it was merged); else why not."""
    try:
        if marker.run is None:
            raise UntrustedPlanComment(
                f"the plan comment for {marker.target} names no plan run (an older "
                "reconciler posted it)"
            )
        if marker.head is None or marker.head != merged_head:
            raise UntrustedPlanComment(
                f"the plan comment for {marker.target} is the plan of commit {marker.head}, "
                f"but pull request #{pull} was merged at {merged_head}: the last push "
                "was never planned, or its plan was never posted"
            )
        run = _plan_run(gh, marker.target, marker.run)
        _written_during(comment, run, marker.target)
        files = _artifact(gh, marker.target, marker.run)
        _as_posted(comment, marker, files)
        _of_head(marker, files.get(f"head-{marker.target}.txt"))
    except UntrustedPlanComment as why:
        return f"{why}: {AGAIN}"
    return None


def _of_head(marker: Marker, recorded: bytes | None) -> None:
    """The run recorded planning the commit its comment names."""
    which = f"the plan run that posted the plan comment for {marker.target} (run {marker.run})"
    if recorded is None:
        raise UntrustedPlanComment(
            f"{which} did not record the commit it planned (an older reconciler planned it)"
        )
    planned = recorded.decode("ascii", "replace").strip()
    if planned != marker.head:
        raise UntrustedPlanComment(
            f"{which} planned commit {planned[:40]!r}, not {marker.head} that its comment names"
        )


def _plan_run(gh: GitHub, target: str, run_id: int) -> dict[str, Any]:
    try:
        run = gh.workflow_run(run_id)
    except GitHubError as err:
        if err.status != 404:
            raise
        raise UntrustedPlanComment(
            f"the plan comment for {target} names run {run_id}, which this repository does not have"
        ) from None
    event, path = run.get("event"), run.get("path")
    repository = dig(run, "repository", "full_name")
    if (event, path, repository) != ("workflow_run", PLAN_WORKFLOW, gh.repository):
        raise UntrustedPlanComment(
            f"the plan comment for {target} names run {run_id}, which is not a "
            f"reconciler-plan run of this repository (event {event!r}, workflow {path!r}, "
            f"repository {repository!r})"
        )
    if run.get("status") != "completed":
        raise UntrustedPlanComment(
            f"the plan run that posted the plan comment for {target} (run {run_id}) "
            "has not finished"
        )
    return run


def _time(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _written_during(comment: dict[str, Any], run: dict[str, Any], target: str) -> None:
    written, ended = _time(comment.get("updated_at")), _time(run.get("updated_at"))
    if written is None or ended is None:
        raise UntrustedPlanComment(
            f"the plan comment for {target} or its plan run (run {run.get('id')}) "
            "has no readable updated_at"
        )
    if written > ended:
        raise UntrustedPlanComment(
            f"the plan comment for {target} was changed after the plan run that "
            f"posted it (run {run.get('id')})"
        )


def _artifact(gh: GitHub, target: str, run: int) -> dict[str, bytes]:
    """plan-T.md and plan-T.json from the run's artifact plans-T."""
    name = f"plans-{target}"
    kept = [a for a in gh.run_artifacts(run, name) if a.get("expired") is False]
    ident = kept[0].get("id") if len(kept) == 1 else None
    which = f"the plan run that posted the plan comment for {target} (run {run})"
    if not kept:
        raise UntrustedPlanComment(f"{which} keeps no artifact {name} (never uploaded, or expired)")
    if not isinstance(ident, int) or isinstance(ident, bool):
        raise UntrustedPlanComment(
            f"{which} does not keep exactly one artifact {name} with an id ({len(kept)} found)"
        )
    where = f"the artifact {name} of run {run}"
    try:
        data = gh.artifact_zip(ident, MAX_ARTIFACT_BYTES)
    except TooLargeError:
        raise UntrustedPlanComment(f"{where} is over {MAX_ARTIFACT_BYTES} bytes") from None
    except GitHubError as err:
        if err.status not in (404, 410):
            raise
        raise UntrustedPlanComment(f"{where} is gone (HTTP {err.status})") from None
    names = [f"plan-{target}.md", f"plan-{target}.json"]
    return read_zip(data, names, where, optional=[f"head-{target}.txt"])


def read_zip(
    data: bytes,
    names: Collection[str],
    where: str,
    *,
    optional: Collection[str] = (),
    max_members: int = MAX_ARTIFACT_MEMBERS,
    max_member: int = MAX_ARTIFACT_MEMBER_BYTES,
) -> dict[str, bytes]:
    """The members `names` (and those of `optional` it has) of the zip `data`, read in memory
    and never extracted.

    UntrustedPlanComment (naming `where`) when it is no zip we read, has more than
    `max_members` members or a name twice, lacks one of `names`, or one of them
    declares more than `max_member` bytes: that one is refused before a byte of
    it is inflated, and no member is read past what it declares or `max_member`.
    """
    found: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            listed = [m.filename for m in members]
            if len(members) > max_members:
                raise UntrustedPlanComment(
                    f"{where} has {len(members)} members, more than {max_members}"
                )
            if len(set(listed)) != len(listed):
                raise UntrustedPlanComment(f"{where} names a member twice")
            for name in [*names, *(n for n in optional if n in listed)]:
                if name not in listed:
                    raise UntrustedPlanComment(f"{where} has no {name}")
                info = archive.getinfo(name)
                if info.file_size > max_member:
                    raise UntrustedPlanComment(
                        f"{where}: {name} declares {info.file_size} bytes, more than {max_member}"
                    )
                with archive.open(info) as member:  # read() alone inflates in one gulp
                    found[name] = member.read(max_member + 1)
                if len(found[name]) > max_member:
                    raise UntrustedPlanComment(f"{where}: {name} is over {max_member} bytes")
    except _UNREADABLE as err:
        raise UntrustedPlanComment(
            f"{where} is not a zip we can read ({type(err).__name__})"
        ) from None
    return found


def _as_posted(comment: dict[str, Any], marker: Marker, files: dict[str, bytes]) -> None:
    from reconciler.ci.pull_request import plan_entry

    target, run = marker.target, marker.run
    try:
        checksum, markdown = plan_entry(files[f"plan-{target}.md"], files[f"plan-{target}.json"])
    except ValueError:  # the comment job could not have read it either
        raise UntrustedPlanComment(
            f"the artifact plans-{target} of run {run} holds a plan-{target}.md that is not UTF-8"
        ) from None
    if checksum != marker.checksum:
        raise UntrustedPlanComment(
            f"the plan comment for {target} carries checksum {marker.checksum}, but the plan "
            f"run that posted it (run {run}) planned {checksum}"
        )
    body = str(comment.get("body") or "").replace("\r\n", "\n")
    if body != with_marker(marker, markdown):
        raise UntrustedPlanComment(
            f"the plan comment for {target} is not the plan that the plan run that posted it "
            f"(run {run}) wrote in its artifact plans-{target}: it was edited"
        )
