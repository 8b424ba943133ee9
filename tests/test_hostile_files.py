"""Hostile schedule files and reconciler.yaml: bounded in time and memory, one line, exit 1.

Every row of issue 12's table that a file can cause, through the real CLI: as a
process under a memory cap (tests.support.hostile.run_capped) where a crash or
memory is the point, in-process (click's runner) otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from reconciler.documents.compose import compose_documents
from reconciler.documents.load import load_schedules, parse_documents
from tests.support.cli import doc, run, write
from tests.support.hostile import Outcome, assert_one_line_error, run_capped

FIXTURES = Path(__file__).parent / "fixtures" / "hostile"
BOMB = FIXTURES / "alias_bomb_9x9.yaml"


def nested(levels: int, leaf: str = "1") -> str:
    return "[" * levels + leaf + "]" * levels


def deep_extras(levels: int) -> str:
    """A valid schedule but for its android extras, nested `levels` deep (flow style)."""
    extras = "{x: " * levels + "leaf" + "}" * levels
    return (
        "name: deep_extras\nenabled: true\n"
        'trigger: {single: {time: "2027-01-01 09:00:00", zone_type: 1}}\n'
        "push:\n  to: all\n  body:\n    platform: all\n    notification:\n"
        f"      alert: hi\n      android: {{extras: {extras}}}\n"
    )


def validation_error(outcome: Outcome, where: str, fragment: str = "") -> str:
    """`validate` (or plan) refused: exit 1, the one diagnostic naming the file and line."""
    assert outcome.code == 1, outcome.stdout[-2000:] + outcome.stderr[-2000:]
    assert "Traceback" not in outcome.stderr
    assert "internal error" not in outcome.stderr
    found = [line for line in (outcome.stdout + outcome.stderr).splitlines() if ": error: " in line]
    assert len(found) == 1, found
    assert found[0].startswith(where), found[0]
    assert fragment in found[0], found[0]
    return found[0]


def refused_as_too_deep(outcome: Outcome, file: str, line: int, nest_column: int) -> None:
    """The guarantee for a nest too deep, whichever layer trips first: our bound (64 levels)
    or libyaml's own (PyYAML 6.0.4's libyaml stops a flow nest at 1000, in its own words).

    One `FILE:LINE:COLUMN: error: …` line pointing into the nest (which starts at
    `nest_column`), exit 1, no traceback, within run_capped's memory cap and timeout: a
    crash, a MemoryError or a hang fails here, and so does an error about anything else."""
    assert outcome.code != -11, "segmentation fault"
    found = validation_error(outcome, f"{file}:{line}:")
    where = re.match(rf"{re.escape(file)}:{line}:(\d+): error: \S", found)
    assert where, found
    assert int(where[1]) >= nest_column, found


# --- the table, row by row ------------------------------------------------------------


def test_alias_bomb_in_schedules_fails_fast_under_a_memory_cap(repo: Path) -> None:
    shutil.copy(BOMB, repo / "schedules.d" / "bomb.yaml")
    outcome = run_capped(repo, "validate", timeout=30)
    validation_error(outcome, "schedules.d/bomb.yaml:8:", "aliases may add to one file")
    assert outcome.seconds < 10


def test_alias_bomb_as_reconciler_yaml_fails_fast_under_a_memory_cap(repo: Path) -> None:
    shutil.copy(BOMB, repo / "reconciler.yaml")
    write(repo, doc("fine"))
    for command in ("validate", "plan", "targets"):
        outcome = run_capped(repo, command, timeout=30)
        assert_one_line_error(outcome, "reconciler.yaml:8:", "aliases may add to one file")


@pytest.mark.parametrize("levels", [10_000, 200_000])
def test_deep_nesting_is_one_line_naming_file_and_line(repo: Path, levels: int) -> None:
    (repo / "schedules.d" / "deep.yaml").write_text(f"name: x\nlist: {nested(levels)}\n")
    outcome = run_capped(repo, "validate", timeout=30)
    refused_as_too_deep(outcome, "schedules.d/deep.yaml", 2, len("list: ["))


def test_deep_block_nesting_as_reconciler_yaml(repo: Path) -> None:
    (repo / "reconciler.yaml").write_text("protect:\n" + "- " * 200_000 + "x\n")
    outcome = run_capped(repo, "validate", timeout=30)
    assert outcome.code != -11, "segmentation fault"
    line = assert_one_line_error(outcome, "reconciler.yaml:2:")
    where = re.match(r"reconciler\.yaml:2:(\d+): error: \S", line)
    assert where, line
    assert int(where[1]) > 1, line  # inside the nest


@pytest.mark.parametrize("levels", [500, 990])
def test_deep_extras_are_refused_by_validate_before_apply(repo: Path, levels: int) -> None:
    text = deep_extras(levels)
    (repo / "schedules.d" / "deep.yaml").write_text(text, encoding="utf-8")
    nest = text.splitlines()[9].index("{x:") + 1
    refused_as_too_deep(run_capped(repo, "validate"), "schedules.d/deep.yaml", 10, nest)
    applied = run_capped(repo, "apply", "--auto-approve")
    refused_as_too_deep(applied, "schedules.d/deep.yaml", 10, nest)
    assert "created" not in applied.stdout


def test_deep_extras_within_the_bound_apply(repo: Path) -> None:
    (repo / "schedules.d" / "deep.yaml").write_text(deep_extras(50), encoding="utf-8")
    outcome = run_capped(repo, "apply", "--auto-approve")
    assert outcome.code == 0, outcome.stdout[-2000:] + outcome.stderr
    assert "Verified: the app matches the files." in outcome.stdout


def test_a_schedule_nested_64_deep_is_still_fine() -> None:
    # The bound is a bound, not a guess: 64 levels load (the top mapping is one).
    text = "name: x\ndeep: " + nested(63) + "\n"
    documents, diagnostics = parse_documents(text, "f.yaml")
    assert diagnostics == []
    assert len(documents) == 1
    _, problems = parse_documents("name: x\ndeep: " + nested(64) + "\n", "f.yaml")
    assert [d.message.split(";")[0] for d in problems] == [
        "nested deeper than 64 levels of lists and mappings"
    ]


def test_symlink_outside_the_repository_is_refused_and_nothing_of_it_shown(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.yaml"
    outside.write_text("name: TOPSECRET_NAME\nkey: s3cr3t-value\n", encoding="utf-8")
    write(repo, doc("fine"))
    (repo / "schedules.d" / "x.yaml").symlink_to(outside)
    for command in ("validate", "plan"):
        outcome = run_capped(repo, command)
        line = validation_error(outcome, "schedules.d/x.yaml: error: ", "outside the repository")
        assert "nothing of it is read" in line
        everything = outcome.stdout + outcome.stderr
        assert "TOPSECRET" not in everything
        assert "s3cr3t" not in everything
        assert str(outside.parent) not in everything


def test_dot_dot_in_the_glob_is_refused(repo: Path) -> None:
    (repo.parent / "elsewhere.yaml").write_text(yaml.safe_dump(doc("elsewhere")))
    (repo / "reconciler.yaml").write_text('schedules: "../*.yaml"\n')
    outcome = run("validate")
    assert outcome.exit_code == 1
    assert "../elsewhere.yaml: error: outside the repository" in outcome.output
    assert "0 valid schedules" in outcome.output


def test_symlink_loops_directories_and_fifos_are_reported(repo: Path) -> None:
    folder = repo / "schedules.d"
    write(repo, doc("fine"))
    (folder / "loop.yaml").symlink_to("loop.yaml")
    (folder / "broken.yaml").symlink_to("gone.yaml")
    (folder / "dir.yaml").mkdir()
    os.mkfifo(folder / "fifo.yaml")
    outcome = run("validate")
    assert outcome.exit_code == 1
    lines = [line for line in outcome.output.splitlines() if ": error: " in line]
    assert lines == [
        "schedules.d/broken.yaml: error: a broken symlink: its target does not exist",
        "schedules.d/dir.yaml: error: a directory, not a schedule file (it matches the "
        "schedules glob)",
        "schedules.d/fifo.yaml: error: not a regular file (a FIFO, socket or device); refused",
        "schedules.d/loop.yaml: error: a symlink loop; there is nothing to read",
    ]


def test_a_symlink_inside_the_repository_is_followed(repo: Path) -> None:
    (repo / "shared").mkdir()
    (repo / "shared" / "one.yaml").write_text(yaml.safe_dump(doc("one")), encoding="utf-8")
    (repo / "schedules.d" / "one.yaml").symlink_to(repo / "shared" / "one.yaml")
    outcome = run("validate")
    assert outcome.exit_code == 0, outcome.output
    assert "1 file, 1 valid schedule" in outcome.output


def test_file_names_are_escaped_so_no_line_is_a_workflow_command(repo: Path) -> None:
    (repo / "schedules.d" / "a\n::error::pwned.yaml").write_text("name: [\n")
    (repo / "::warning::top.yaml").write_text("name: [\n")
    (repo / "reconciler.yaml").write_text('schedules: "**/*.yaml"\n')
    outcome = run_capped(repo, "validate")
    assert outcome.code == 1
    lines = (outcome.stdout + outcome.stderr).splitlines()
    assert not [line for line in lines if line.startswith("::")], lines
    assert any(line.startswith("schedules.d/a\\n::error::pwned.yaml:") for line in lines), lines
    assert any(line.startswith("./::warning::top.yaml:") for line in lines), lines


def test_a_name_with_a_newline_cannot_start_a_line_either(repo: Path) -> None:
    write(repo, doc("x\n::error::pwned"), file="newline_name")
    outcome = run_capped(repo, "validate")
    assert outcome.code == 1
    assert not [line for line in outcome.stdout.splitlines() if line.startswith("::")]


def test_a_file_over_max_file_bytes_is_refused_unread(repo: Path) -> None:
    (repo / "reconciler.yaml").write_text("max_file_bytes: 1000\n")
    write(repo, doc("small"))
    big = doc("big", alert="x" * 2000)
    (repo / "schedules.d" / "big.yaml").write_text(yaml.safe_dump(big), encoding="utf-8")
    outcome = run("validate")
    assert outcome.exit_code == 1
    assert "schedules.d/big.yaml: error: the file is " in outcome.output
    assert "more than max_file_bytes (1000); refused unread" in outcome.output
    assert "1 valid schedule:" in outcome.output


def test_max_file_bytes_and_request_timeout_may_be_set_per_target(repo: Path) -> None:
    from reconciler.config.load import load_config

    (repo / "reconciler.yaml").write_text(
        "request_timeout: 5\nmax_file_bytes: 2000\n"
        "targets:\n  local: {endpoint: local, request_timeout: 0.5}\n"
        "  other: {endpoint: local, max_file_bytes: 10}\n"
    )
    config = load_config(None, repo)
    assert (config.target("local").request_timeout, config.target("local").max_file_bytes) == (
        0.5,
        2000,
    )
    assert (config.target("other").request_timeout, config.target("other").max_file_bytes) == (
        5,
        10,
    )


def test_a_reconciler_yaml_over_the_default_size_is_refused(repo: Path) -> None:
    (repo / "reconciler.yaml").write_text("# " + "x" * 4_000_000 + "\n")
    outcome = run("validate")
    assert outcome.exit_code == 1
    assert "reconciler.yaml: error: the file is 4000003 bytes, more than max_file_bytes" in (
        outcome.stderr
    )


# --- look-alike names ---------------------------------------------------------------------


def test_names_equal_under_nfkc_are_an_error_naming_both_places(repo: Path) -> None:
    write(repo, doc("\uf900_digest"), file="compat")  # CJK COMPATIBILITY IDEOGRAPH-F900
    write(repo, doc("\u8c48_digest"), file="unified")  # its NFKC form, the same glyph
    outcome = run("validate")
    assert outcome.exit_code == 1
    errors = [line for line in outcome.output.splitlines() if ": error: " in line]
    assert errors == [
        "schedules.d/unified.yaml:2:1: error: name '\u8c48_digest' (U+8C48) looks the same as "
        "'\uf900_digest' (U+F900) at schedules.d/compat.yaml:2:1 (equal under Unicode NFKC "
        "normalisation) (schedule \u8c48_digest)"
    ]


def test_names_differing_only_by_invisible_characters_are_an_error(repo: Path) -> None:
    write(repo, doc("digest"), file="a")
    write(repo, doc("dig\u200best"), file="b")
    outcome = run("validate")
    assert outcome.exit_code == 1
    assert (
        "schedules.d/b.yaml:2:1: error: name 'dig\\u200best' (U+200B) looks the same as "
        "'digest' at schedules.d/a.yaml:2:1 (they differ only by invisible characters)"
    ) in outcome.output


# --- the composer's bounds, directly -------------------------------------------------------


def test_aliases_within_the_budget_are_copies_not_shared_objects() -> None:
    ((value, _),) = list(compose_documents("a: &e {k: [1]}\nb: *e\n"))
    assert value == {"a": {"k": [1]}, "b": {"k": [1]}}
    assert value["a"] is not value["b"]
    assert value["a"]["k"] is not value["b"]["k"]


def test_an_alias_counts_at_the_depth_it_is_used() -> None:
    text = "a: &deep " + nested(40) + "\nb: " + nested(30, "*deep") + "\n"
    _, problems = parse_documents(text, "f.yaml")
    assert [(p.line, p.message) for p in problems] == [
        (2, "alias *deep nests deeper than 64 levels of lists and mappings here")
    ]


def test_a_recursive_alias_is_undefined_not_a_cycle() -> None:
    _, problems = parse_documents("a: &r [1, *r]\n", "f.yaml")
    assert [p.message for p in problems] == ["YAML syntax error: found undefined alias 'r'"]


def test_a_number_too_large_for_a_float_is_refused() -> None:
    _, problems = parse_documents("a: 1e999\n", "f.yaml")
    assert [p.message for p in problems] == ["'1e999' is too large a number; quote it"]


def test_load_schedules_reports_a_bomb_and_keeps_the_other_files(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    shutil.copy(BOMB, tmp_path / "s" / "bomb.yaml")
    (tmp_path / "s" / "good.yaml").write_text("name: good\n")
    result = load_schedules(tmp_path, "s/*.yaml")
    assert [d.data for d in result.documents] == [{"name": "good"}]
    assert [(d.file, d.line) for d in result.diagnostics] == [("s/bomb.yaml", 8)]
