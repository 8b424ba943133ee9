"""Credentials go only to the approved connection: refused before any request, saying why."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.config.targets import Target
from reconciler.remote.approval import APPROVAL_ENV, UnapprovedConnection
from reconciler.remote.registry import check_connection
from tests.support.ci import push
from tests.support.cli import config, doc, run, write
from tests.support.github import FakeGitHub, sha
from tests.support.recording import Recorded, nowhere, recorded

SGP = "https://pushapi-sgp.engagelab.com"


def prod(**over: object) -> Target:
    return Target(name="prod", root=Path("."), **{"endpoint": None, "region": "sgp", **over})  # type: ignore[arg-type]


def test_a_region_and_its_base_url_approve_the_same_connection() -> None:
    for approved in ("sgp", SGP, SGP + "/", f"engagelab {SGP}", "  sgp  "):
        check_connection(prod(), approved, required=True)
    check_connection(prod(endpoint=SGP, region=None), "sgp", required=True)


def test_local_needs_no_approval_and_unset_is_refused_only_when_required() -> None:
    check_connection(Target(name="local", root=Path(".")), None, required=True)
    check_connection(prod(), None)
    with pytest.raises(UnapprovedConnection, match=f"{APPROVAL_ENV} is not set"):
        check_connection(prod(), None, required=True)
    with pytest.raises(UnapprovedConnection, match=f"{APPROVAL_ENV} is empty"):
        check_connection(prod(), "")


def test_another_connection_is_refused_naming_the_key_both_values_and_the_fix() -> None:
    moved = prod(endpoint="https://evil.example", region=None)
    with pytest.raises(UnapprovedConnection) as refused:
        check_connection(moved, "sgp", required=True)
    said = str(refused.value)
    assert "\n" not in said
    assert "reconciler.yaml's endpoint sends the credentials to https://evil.example" in said
    assert f"the approved connection ({APPROVAL_ENV}) is {SGP}" in said
    assert "nothing was sent" in said
    assert f"setting {APPROVAL_ENV} to https://evil.example" in said
    assert "Settings → Environments → prod and prod-plan" in said
    with pytest.raises(UnapprovedConnection, match="region sends the credentials to"):
        check_connection(prod(region="hk"), "sgp")
    with pytest.raises(UnapprovedConnection, match=r"unknown provider .acme."):
        check_connection(prod(), f"acme {SGP}")
    with pytest.raises(UnapprovedConnection, match="expected a base URL or a region"):
        check_connection(prod(), "a b c")


@pytest.fixture
def elsewhere() -> Iterator[tuple[str, Recorded]]:
    with recorded(nowhere()) as served:
        yield served


@pytest.fixture
def real(repo: Path, elsewhere: tuple[str, Recorded], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repo whose target `prod` points at a recording server, with credentials exported."""
    config(
        repo,
        default_target="prod",
        targets={"prod": {"endpoint": elsewhere[0], "app_key_env": "K", "master_secret_env": "S"}},
    )
    write(repo, doc("a"))
    monkeypatch.setenv("K", "key")
    monkeypatch.setenv("S", "approval-secret-0d9e")
    return repo


def test_plan_refuses_before_a_request_when_the_variable_says_otherwise(
    real: Path, elsewhere: tuple[str, Recorded], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(APPROVAL_ENV, "sgp")
    result = run("plan")
    assert result.exit_code == 1
    assert "nothing was sent" in result.output + result.stderr
    assert elsewhere[1].seen == []
    monkeypatch.delenv(APPROVAL_ENV)
    assert run("plan").exit_code == 1  # the server answers 404: on a laptop, unset is no refusal
    assert elsewhere[1].seen, "without the variable, plan talks to the endpoint"


@pytest.mark.parametrize("step", ["drift", "health"])
def test_ci_checks_fail_closed_without_an_approval(
    real: Path, elsewhere: tuple[str, Recorded], monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    monkeypatch.delenv(APPROVAL_ENV, raising=False)
    result = run("ci", step, "--target", "prod", "--out", "out")
    assert result.exit_code == 1
    report = json.loads((real / "out" / f"{step}-prod.json").read_text())
    assert (report["state"], f"{APPROVAL_ENV} is not set" in report["reason"]) == ("error", True)
    assert elsewhere[1].seen == []


def test_the_pull_request_plan_fails_closed_and_says_so_in_the_comment(
    real: Path, elsewhere: tuple[str, Recorded], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(APPROVAL_ENV, "")
    (real / "pr-data").mkdir()
    (real / "pr-data" / "reconciler.yaml").write_text((real / "reconciler.yaml").read_text())
    result = run("ci", "plan", "--target", "prod", "--pr", "pr-data", "--out", "plans")
    assert result.exit_code == 1
    assert f"{APPROVAL_ENV} is empty" in (real / "plans" / "plan-prod.md").read_text()
    assert elsewhere[1].seen == []


def test_apply_refuses_and_writes_the_refusal_for_the_report(
    real: Path, fake: FakeGitHub, elsewhere: tuple[str, Recorded], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(APPROVAL_ENV, "sgp")
    push(real, fake, monkeypatch, sha(2))
    result = run("ci", "apply", "--target", "prod", "--out", "refused")
    assert result.exit_code == 1
    refusal = json.loads((real / "refused" / "refused-prod.json").read_text())
    assert "nothing was sent" in refusal["reason"]
    assert "nothing was sent" in refusal["markdown"]
    assert elsewhere[1].seen == []
