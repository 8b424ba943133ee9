"""Several targets in one command: `--target` repeated and `--all-targets`, each result under
its name, the worst exit code."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import config, doc, run, write


def two_apps(repo: Path, **green: object) -> None:
    """Two embedded-emulator targets (each its own app, its own state file)."""
    config(repo, targets={"blue": {"endpoint": "local"}, "green": {"endpoint": "local", **green}})


def test_plan_all_targets_prints_both_plans_and_exits_with_the_worse_code(repo: Path) -> None:
    write(repo, doc("a"))
    write(repo, doc("b"))
    two_apps(repo, quota=1)  # green's guard refuses: 1 is worse than blue's 2
    result = run("--all-targets", "plan", "--detailed-exitcode")
    assert "reconciler plan for target blue" in result.output
    assert "reconciler plan for target green" in result.output
    assert result.output.count("+ create a") == 2
    assert "error: target green: would leave 2 active schedules" in result.stderr
    assert "target blue" not in result.stderr
    assert result.exit_code == 1


def test_changes_on_one_target_and_none_on_the_other_exit_2(repo: Path) -> None:
    write(repo, doc("a"))
    two_apps(repo)
    assert run("--target", "blue", "apply", "--auto-approve").exit_code == 0
    result = run("--target", "blue", "--target", "green", "plan", "--detailed-exitcode")
    assert result.exit_code == 2
    assert "Plan: 0 to create" in result.output  # blue: nothing to do
    assert "Plan: 1 to create" in result.output  # green: the create
    assert run("--target", "blue", "plan", "--detailed-exitcode").exit_code == 0


def test_apply_all_targets_applies_each_with_lines_under_its_name(repo: Path) -> None:
    write(repo, doc("a"))
    two_apps(repo)
    result = run("--all-targets", "apply", "--auto-approve")
    assert result.exit_code == 0, result.stderr
    for name in ("blue", "green"):
        assert f"[{name}] created a id=" in result.output
        assert f"[{name}] Verified: the app matches the files." in result.output
    again = run("--all-targets", "plan", "--detailed-exitcode")
    assert again.exit_code == 0


def test_apply_all_targets_without_a_terminal_asks_once_and_refuses_everywhere(
    repo: Path,
) -> None:
    write(repo, doc("a"))
    two_apps(repo)
    result = run("--all-targets", "apply")
    assert result.exit_code == 1
    assert result.stderr.count("no terminal to confirm on") == 2
    assert "error: target blue: " in result.stderr
    assert "error: target green: " in result.stderr
    assert run("--all-targets", "plan", "--detailed-exitcode").exit_code == 2  # nothing applied


def test_one_failing_target_does_not_stop_the_other(repo: Path) -> None:
    write(repo, doc("a"))
    write(repo, doc("b"))
    two_apps(repo, quota=1)
    result = run("--all-targets", "apply", "--auto-approve")
    assert result.exit_code == 1
    assert "[blue] Verified: the app matches the files." in result.output
    assert "error: target green: would leave 2 active schedules" in result.stderr
    assert run("--target", "blue", "plan", "--detailed-exitcode").exit_code == 0


def test_validate_all_targets_checks_each_with_its_own_settings(repo: Path) -> None:
    write(repo, doc("app_a"))
    config(
        repo,
        targets={
            "blue": {"endpoint": "local", "manage_prefix": "app_"},
            "green": {"endpoint": "local", "manage_prefix": "web_"},
        },
    )
    result = run("--all-targets", "validate")
    assert result.exit_code == 1
    blue, green = result.output.split("== target green\n")
    assert blue.startswith("== target blue\n")
    assert "1 file, 1 valid schedule: 0 errors" in blue
    assert "lacks the manage_prefix 'web_'" in green
    as_json = json.loads(run("--all-targets", "validate", "--format", "json").output)
    assert {name: report["valid"] for name, report in as_json.items()} == {
        "blue": True,
        "green": False,
    }


def test_plan_json_with_several_targets_is_one_list(repo: Path) -> None:
    write(repo, doc("a"))
    two_apps(repo)
    result = run("--all-targets", "plan", "--format", "json", "--out", "plan-{target}.json")
    assert result.exit_code == 0, result.stderr
    plans = json.loads(result.output)
    assert [p["target"] for p in plans] == ["blue", "green"]
    for name in ("blue", "green"):
        saved = json.loads((repo / f"plan-{name}.json").read_text(encoding="utf-8"))
        assert saved["target"] == name
    assert run("--target", "green", "apply", "plan-green.json").exit_code == 0


def test_options_that_name_one_target_refuse_several(repo: Path) -> None:
    write(repo, doc("a"))
    two_apps(repo)
    out = run("--all-targets", "plan", "--out", "plan.json")
    assert out.exit_code == 1
    assert "with several targets, --out needs {target} in the file name" in out.stderr
    checksum = run("--all-targets", "apply", "--checksum", "sha256:00")
    assert checksum.exit_code == 1
    assert "is for one target" in checksum.stderr
    history = run("--all-targets", "history", "a")
    assert history.exit_code == 1
    assert "this command works on one target" in history.stderr
    unknown = run("--target", "blue", "--target", "nope", "plan")
    assert unknown.exit_code == 1
    assert "unknown target 'nope'" in unknown.stderr
