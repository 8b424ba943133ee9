"""Messages that look careful: each diagnostic labelled once, counts in the singular when one,
a hint for a tab indent and for a scalar where a list belongs, init's next steps from where
the user stands."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.core.diagnostics import labelled
from reconciler.documents.load import glob_matches
from tests.support.cli import config, doc, run, write


def test_a_plan_warning_that_is_a_diagnostic_is_labelled_once(repo: Path) -> None:
    write(repo, doc("a"))
    (repo / "schedules.d" / "empty.yaml").write_text("# nothing yet\n")
    result = run("plan")
    assert result.exit_code == 0, result.stderr
    assert "schedules.d/empty.yaml: warning: no schedule in this file" in result.output.splitlines()
    assert "warning: schedules.d/" not in result.output


def test_a_config_error_is_labelled_once(repo: Path) -> None:
    (repo / "reconciler.yaml").write_text("targets:\n  prod:\n    region: nowhere\n")
    result = run("plan")
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("reconciler.yaml:3:5: error: targets.prod.region: ")
    assert result.stderr.count(": error: ") == 1


def test_several_targets_name_the_target_before_the_diagnostic(repo: Path) -> None:
    config(repo, targets={"blue": {"endpoint": "local"}, "green": {"endpoint": "local"}})
    result = run("--all-targets", "calendar")
    assert result.exit_code == 1  # calendar works on one target
    assert result.stderr.startswith("error: this command works on one target")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("no schedule in this file", "warning: no schedule in this file"),
        ("a.yaml: warning: no schedule", "a.yaml: warning: no schedule"),
        ("a.yaml:3:5: error: bad", "a.yaml:3:5: error: bad"),
        ("target x: a.yaml:3:5: error: bad", "target x: a.yaml:3:5: error: bad"),
        ("2 errors in the files:\na.yaml:1:1: error: x", "warning: 2 errors in the files:\n…"),
    ],
)
def test_labelled(text: str, shown: str) -> None:
    assert labelled("warning", text).startswith(shown.removesuffix("…"))


def test_counts_of_one_are_singular(repo: Path) -> None:
    write(repo, doc("a"))
    result = run("validate")
    assert result.output == "1 file, 1 valid schedule: 0 errors, 0 warnings\n"


def test_a_tab_indent_says_yaml_indents_with_spaces(repo: Path) -> None:
    (repo / "schedules.d" / "tab.yaml").write_text(
        'name: x\nenabled: true\ntrigger:\n\tsingle:\n    time: "2027-01-01 09:00:00"\n'
    )
    result = run("validate")
    assert result.exit_code == 1
    (line, _) = result.output.splitlines()
    assert line.startswith("schedules.d/tab.yaml:4:1: error: YAML syntax error: ")
    assert line.endswith(
        "; a tab indents this line: YAML indents with spaces only, replace the tab with spaces"
    )


def test_a_syntax_error_without_a_tab_has_no_tab_hint(repo: Path) -> None:
    (repo / "schedules.d" / "open.yaml").write_text("name: [x\n")
    assert "tab" not in run("validate").output


@pytest.mark.parametrize(
    ("field", "written", "hint"),
    [
        ("point", "FRI", "(a list, even of one: write point: [FRI])"),
        ("point", 15, '(a list, even of one: write point: ["15"])'),
        ("tag", "vip", "(a list, even of one: write tag: [vip])"),
        ("tag", "yes", "(a list, even of one: write tag: ['yes'])"),  # YAML 1.1's boolean
    ],
)
def test_a_scalar_where_a_list_belongs_shows_the_list(
    repo: Path, field: str, written: object, hint: str
) -> None:
    if field == "point":
        trigger = {
            "periodical": {
                "start": "2026-11-22 00:00:00",
                "end": "2027-05-01 00:00:00",
                "time": "10:00:00",
                "time_unit": "week" if written == "FRI" else "month",
                "point": written,
                "zone_type": 1,
            }
        }
        write(repo, doc("s", trigger=trigger))
    else:
        schedule = doc("s")
        schedule["push"]["to"] = {field: written}
        write(repo, schedule)
    result = run("validate")
    assert result.exit_code == 1
    assert hint in result.output


def test_init_in_a_new_directory_says_cd_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("init", "my schedules")
    assert result.exit_code == 0, result.stderr
    assert "Next: `cd 'my schedules' && reconciler plan`, then read README.md" in result.output


def test_init_here_has_nothing_to_cd_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    os.makedirs(tmp_path / "here")
    monkeypatch.chdir(tmp_path / "here")
    result = run("init")
    assert result.exit_code == 0, result.stderr
    assert "Next: `reconciler plan`, then read README.md" in result.output


@pytest.mark.parametrize(
    ("path", "pattern", "matched"),
    [
        ("schedules.d/a.yaml", "schedules.d/**/*.yaml", True),
        ("schedules.d/team/a.yaml", "schedules.d/**/*.yaml", True),
        ("imported/a.yaml", "schedules.d/**/*.yaml", False),
        ("schedules.d/a.yml", "schedules.d/**/*.yaml", False),
        ("a.yaml", "**/*.yaml", True),
        ("x/y/a.yaml", "*/a.yaml", False),
        ("x/a.yaml", "*/a.yaml", True),
        ("s/A.yaml", "s/[A-Z].yaml", True),
    ],
)
def test_glob_matches_follows_the_loaders_rules(path: str, pattern: str, matched: bool) -> None:
    assert glob_matches(path, pattern) is matched
