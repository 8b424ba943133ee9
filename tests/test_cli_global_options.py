"""The global options before or after the command: `reconciler plan --target X -v` is
`reconciler -v --target X plan`, as Terraform and kubectl users type them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli.common import GLOBAL_OPTIONS
from reconciler.cli.group import main
from tests.support.cli import config, doc, run, write
from tests.support.clock import NOW_ISO


def two_targets(repo: Path) -> None:
    config(
        repo,
        targets={
            "blue": {"endpoint": "local"},
            "green": {"endpoint": "local", "site_timezone": "Asia/Singapore"},
        },
    )
    write(repo, doc("a"))


def reconciler(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command line in a process of its own (logging is configured once a process)."""
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=repo,
        env={**os.environ, "RECONCILER_NOW": NOW_ISO},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def without_timings(log: str) -> str:
    return re.sub(r"\(\d+(\.\d+)? ms\)", "(… ms)", log)


def test_plan_target_v_after_the_command_is_the_same_as_before_it(repo: Path) -> None:
    two_targets(repo)
    after = reconciler(repo, "plan", "--target", "green", "-v")
    before = reconciler(repo, "-v", "--target", "green", "plan")
    assert after.returncode == before.returncode == 0, after.stderr
    assert after.stdout == before.stdout
    assert "reconciler plan for target green" in after.stdout
    assert "Asia/Singapore" in after.stdout  # green's own zone: the target was chosen
    # -v took effect after the command too: each API call is logged, once.
    assert "GET /v4/schedules?page=1 -> 200" in after.stderr
    assert without_timings(after.stderr) == without_timings(before.stderr)


def test_targets_given_on_both_sides_add_up(repo: Path) -> None:
    two_targets(repo)
    result = run("--target", "blue", "plan", "--target", "green")
    assert result.exit_code == 0, result.stderr
    assert "reconciler plan for target blue" in result.output
    assert "reconciler plan for target green" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "--all-targets"],
        ["--all-targets", "validate"],
        ["validate", "--target", "blue", "--target", "green"],
    ],
)
def test_all_targets_or_several_after_the_command(repo: Path, args: list[str]) -> None:
    two_targets(repo)
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    assert result.output.count("== target ") == 2


def test_config_and_chdir_after_the_command(repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "schedules.d").mkdir(parents=True)
    write(elsewhere, doc("far"))
    (elsewhere / "team.yaml").write_text(
        "default_target: far\ntargets:\n  far:\n    endpoint: local\n"
    )
    result = run("plan", "--chdir", str(elsewhere), "--config", "team.yaml")
    assert result.exit_code == 0, result.stderr
    assert "reconciler plan for target far" in result.output
    assert "+ create far" in result.output


def test_config_given_on_both_sides_must_agree(repo: Path) -> None:
    two_targets(repo)
    (repo / "other.yaml").write_text("targets:\n  other:\n    endpoint: local\n")
    refused = run("--config", "reconciler.yaml", "plan", "--config", "other.yaml")
    assert refused.exit_code == 2
    assert "--config given before and after the command, with different values" in refused.stderr
    agreed = run("--config", "reconciler.yaml", "targets", "--config", "reconciler.yaml")
    assert agreed.exit_code == 0
    assert agreed.output == "blue (default)\ngreen\n"


@pytest.mark.parametrize(
    "name", ["validate", "plan", "apply", "import", "history", "targets", "calendar", "health"]
)
def test_every_command_that_reads_the_config_takes_them_and_says_so(name: str) -> None:
    command = main.get_command(None, name)  # type: ignore[arg-type]
    assert command is not None
    taken = {opt for p in command.params for opt in p.opts}
    assert {d for decls, _ in GLOBAL_OPTIONS for d in decls if d.startswith("-")} <= taken
    assert "may come before or after the command" in (command.epilog or "")


def test_ci_keeps_its_own_target_option(repo: Path) -> None:
    """`ci plan --target` is the ci step's own (required) option, not the global one."""
    result = run("ci", "plan", "--help")
    assert result.exit_code == 0
    assert "--target TEXT" in result.output
    assert "may come before or after" not in result.output
