"""What a pull request may change in reconciler.yaml, under a real workflow runner (act).

The same harness as test_loop.py: the unmodified workflows of `reconciler
init`, the fake GitHub, the emulator as the production app, and a second
server ("elsewhere") that records every request it gets. The environments
`prod` and `prod-plan` approve the emulator's URL (their variable
RECONCILER_ENDPOINT, as an admin sets it).
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
import yaml

from reconciler.ci.markers import BOT_LOGIN, parse
from tests.e2e.test_loop import (
    APPLY,
    DRIFT_WORKFLOW,
    PLAN_WORKFLOW,
    PR_WORKFLOW,
    WEEKLY,
    one,
    plan_comments,
    schedule,
    succeeded,
    text,
    writes,
)
from tests.support.gitops import MASTER_SECRET, Team

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def config_of(team_: Team, **changes: Any) -> dict[str, Any]:
    """main's reconciler.yaml, with `changes` made to the top level."""
    data: dict[str, Any] = yaml.safe_load(team_.read("main", "reconciler.yaml"))
    data.update(changes)
    return data


def as_yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def test_e2e_endpoint_change_never_receives_credentials(team_repo: Team) -> None:
    """A merged pull request points prod at another server: apply, a dispatched apply and
    the drift check all refuse before a request, and say why."""
    team_repo.seed({"schedules.d/weekly.yaml": text(WEEKLY)}, team_repo.console)
    moved = config_of(team_repo)
    moved["targets"]["prod"]["endpoint"] = team_repo.elsewhere_url
    mark = len(team_repo.runs)
    pull = team_repo.open_pull_request(
        "move", {"reconciler.yaml": as_yaml(moved), "schedules.d/news.yaml": schedule("news")}
    )
    succeeded(one(team_repo.runs_since(mark), PLAN_WORKFLOW))
    (reviewed,) = plan_comments(team_repo, pull)
    body = reviewed["body"]
    # Planned against main's approved connection, and the move is impossible to miss.
    assert "1 to create" in body, body
    assert "#### Configuration changes" in body
    assert "> [!CAUTION]" in body
    assert f'| `connection.base_url` | `"{team_repo.emulator_url}"` |' in body, body
    assert team_repo.elsewhere_url in body
    assert body.index("Configuration changes") < body.index("<details>")

    mark, before = len(team_repo.runs), len(team_repo.emulator.seen)
    team_repo.merge(pull)
    applied = one(team_repo.runs_since(mark), APPLY)
    assert applied.conclusion == "failure", applied
    assert applied.jobs("apply") == ["failure"], applied
    assert applied.jobs("report") == ["success"], applied
    (told,) = [c for c in team_repo.github.comments_on(pull.number) if "apply refused" in c["body"]]
    assert told["user"]["login"] == BOT_LOGIN
    assert "nothing was sent" in told["body"], told["body"]
    assert "RECONCILER\\_ENDPOINT" in told["body"] or "RECONCILER_ENDPOINT" in told["body"]

    checksum = parse(reviewed["body"]).checksum  # type: ignore[union-attr]
    inputs = {"target": "prod", "checksum": checksum, "force": "true"}
    dispatched = team_repo.dispatch(APPLY, {**inputs, "resolve-duplicates": "none"})
    assert dispatched.conclusion == "failure", dispatched
    assert "nothing was sent" in dispatched.output("apply"), dispatched.output("apply")

    drift = team_repo.schedule(DRIFT_WORKFLOW)
    assert drift.jobs("plan") == ["failure"], drift
    (issue,) = team_repo.github.issues_labelled("drift")
    assert "The drift check failed" in issue["body"], issue["body"]
    assert team_repo.elsewhere_url in issue["body"]

    assert team_repo.elsewhere.seen == [], "the other server got a request"
    assert team_repo.elsewhere.carrying(MASTER_SECRET) == []
    assert writes(team_repo, before) == [], "something was applied"
    for run in team_repo.runs:
        assert MASTER_SECRET not in run.act.log


def test_e2e_target_named_like_an_environment(team_repo: Team) -> None:
    """A pull request adds a target `prod-plan`: it would apply in prod's plan environment,
    which holds prod's credentials without prod's reviewers. Its check fails; merged
    anyway, no workflow runs a job for any target."""
    sneaky = config_of(team_repo)
    sneaky["targets"]["prod-plan"] = {**sneaky["targets"]["prod"], "prune": True}
    mark = len(team_repo.runs)
    pull = team_repo.open_pull_request(
        "sneaky", {"reconciler.yaml": as_yaml(sneaky), "schedules.d/x.yaml": schedule("x")}
    )
    runs = team_repo.runs_since(mark)
    checked = one(runs, PR_WORKFLOW)
    assert checked.conclusion == "failure", checked
    assert "ends in -plan" in checked.output("validate"), checked.output("validate")
    assert one(runs, PLAN_WORKFLOW).jobs("plan") in ([], ["skipped"])
    assert plan_comments(team_repo, pull) == []

    # An admin merges it past the failed check.
    mark, before = len(team_repo.runs), len(team_repo.emulator.seen)
    team_repo.merge(pull)
    applied = one(team_repo.runs_since(mark), APPLY)
    assert applied.conclusion == "failure", applied
    assert applied.jobs("targets") == ["failure"], applied
    assert applied.jobs("apply") in ([], ["skipped"]), applied
    assert "ends in -plan" in applied.output("targets"), applied.output("targets")
    drift = team_repo.schedule(DRIFT_WORKFLOW)
    assert drift.jobs("targets") == ["failure"], drift
    assert drift.jobs("plan") in ([], ["skipped"]), drift
    assert team_repo.emulator.since(before) == [], "a job reached the app"


def _artifact(team_: Team, name: str) -> dict[str, bytes]:
    (found,) = [a for a in team_.github.artifacts.values() if a.name == name]
    with zipfile.ZipFile(io.BytesIO(found.data)) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def test_e2e_widened_scope_shows_no_foreign_bodies(team_repo: Team) -> None:
    """main manages `team_a_*`; a pull request widens manage_prefix to everything. The
    review names another team's schedule it would delete, never what that one holds."""
    scoped = config_of(team_repo, manage_prefix="team_a_")
    team_repo.seed({"reconciler.yaml": as_yaml(scoped)})
    ours = {**WEEKLY, "name": "team_a_weekly"}
    team_repo.seed({"schedules.d/team_a_weekly.yaml": text(ours)}, team_repo.console)
    secret_promo = "PROMO-CODE-B-91827"
    team_repo.console.create(yaml.safe_load(schedule("team_b_promo", alert=f"Use {secret_promo}")))

    mark = len(team_repo.runs)
    widened = config_of(team_repo, manage_prefix="")
    pull = team_repo.open_pull_request("widen", {"reconciler.yaml": as_yaml(widened)})
    plan_run = succeeded(one(team_repo.runs_since(mark), PLAN_WORKFLOW))
    (comment,) = plan_comments(team_repo, pull)
    body = comment["body"]
    assert "<b>team_b_promo</b>" in body, body
    assert "0 to create, 0 to update, 0 to replace, 1 to delete" in body, body
    assert "its content is not shown" in body
    assert '| `scope.manage_prefix` | `"team_a_"` | `""` |' in body, body
    assert secret_promo not in body

    files = _artifact(team_repo, "plans-prod")
    assert secret_promo.encode() not in files["plan-prod.json"]
    assert secret_promo.encode() not in files["plan-prod.md"]
    saved = json.loads(files["plan-prod.json"])
    (deleted,) = [c for c in saved["changes"] if c["action"] == "delete"]
    assert (deleted["name"], deleted["withheld"], deleted["before"]) == ("team_b_promo", True, None)
    assert saved["checksum"] == parse(body).checksum  # type: ignore[union-attr]
    assert plan_run.id == parse(body).run  # type: ignore[union-attr]
