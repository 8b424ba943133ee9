"""Every merge is applied: a schedule merge whose apply waits for the environment's reviewers
is applied, though a docs-only merge lands on main meanwhile (it starts no apply run of its own).
"""

from __future__ import annotations

import pytest

from tests.e2e.test_loop import (
    APPLY,
    PLAN_WORKFLOW,
    PR_WORKFLOW,
    WEEKLY,
    alerts,
    one,
    plan_comments,
    schedule,
    succeeded,
    text,
    writes,
)
from tests.support.gitops import Team

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

README = "# Our scheduled pushes\n\nHow we change them: see CONTRIBUTING.md.\n"


def test_e2e_docs_only_merge_after_schedule_merge(team_repo: Team) -> None:
    team_repo.seed({"schedules.d/weekly.yaml": text(WEEKLY)}, team_repo.console)
    digest = team_repo.open_pull_request(
        "digest", {"schedules.d/digest.yaml": schedule("digest", alert="Your digest")}
    )
    (reviewed,) = plan_comments(team_repo, digest)
    assert "1 to create" in reviewed["body"], reviewed["body"]

    # A pull request that touches no schedule still gets its required check, and a plan.
    mark = len(team_repo.runs)
    docs = team_repo.open_pull_request("docs", {"README.md": README})
    succeeded(one(team_repo.runs_since(mark), PR_WORKFLOW))
    succeeded(one(team_repo.runs_since(mark), PLAN_WORKFLOW))
    (noop,) = plan_comments(team_repo, docs)
    assert "0 to create, 0 to update, 0 to replace, 0 to delete" in noop["body"], noop["body"]

    # The schedule merge's apply waits for the environment's reviewers...
    team_repo.hold(APPLY)
    mark, before = len(team_repo.runs), len(team_repo.emulator.seen)
    merged = team_repo.merge(digest)
    assert [name for name, _ in team_repo.waiting] == [APPLY]
    # ...while the docs-only merge lands: its push changes no schedule, so no apply run.
    head = team_repo.merge(docs)
    assert [name for name, _ in team_repo.waiting] == [APPLY]
    assert [r for r in team_repo.runs_since(mark) if r.workflow == APPLY] == []
    assert team_repo.github.heads["main"] == head != merged

    applied = succeeded(team_repo.approve())
    assert applied.head_sha == merged
    output = applied.output("apply")
    assert (
        f"main moved on to {head} since commit {merged}, but nothing target prod plans from "
        "changed (reconciler.yaml, schedules.d): this run applies."
    ) in output, output
    assert "Verified" in output, output
    assert alerts(team_repo) == {"weekly": "hi weekly", "digest": "Your digest"}
    made = writes(team_repo, before)
    assert "POST /v4/schedules" in made, made  # the safe create: parked, then completed
    assert {w.split()[0] for w in made} <= {"POST", "PUT"}, made
    # The trees were compared through GitHub's git database: a few reads, whatever merged.
    trees = [
        c for c in team_repo.github.requests if c.path.startswith("/repos/acme/schedules/git/")
    ]
    assert {c.job for c in trees} == {"apply"}
    assert len(trees) == 4, trees
