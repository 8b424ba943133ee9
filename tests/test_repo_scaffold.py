"""reconciler init: a schedules repository that validates and plans at once, or nothing at all."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from reconciler import __version__
from reconciler.errors import ReconcilerError
from reconciler.repo.build_info import ACTION_REPOSITORY, git_head, source_commit
from reconciler.repo.scaffold import action_reference
from tests.support.cli import run

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_init_then_validate_then_plan_on_the_embedded_emulator(repo: Path) -> None:
    result = run("init", "mine", "--action", f"acme/reconciler@{SHA}")
    assert result.exit_code == 0, result.output
    assert "wrote .github/workflows/reconciler-plan.yml" in result.output
    mine = repo / "mine"
    assert (mine / ".gitignore").read_text().strip().endswith(".reconciler/")
    assert "id: reconciler-validate" in (mine / ".pre-commit-config.yaml").read_text()
    assert f"rev: v{__version__}" in (mine / ".pre-commit-config.yaml").read_text()
    assert "package-ecosystem: github-actions" in (mine / ".github/dependabot.yml").read_text()
    sample = (mine / "schedules.d/weekly_digest.yaml").read_text()
    assert sample.startswith("# yaml-language-server: $schema=../schemas/schedule.schema.json")
    assert (mine / "schemas/schedule.schema.json").is_file()
    assert (
        f"uses: acme/reconciler@{SHA} # v{__version__}"
        in (mine / ".github/workflows/reconciler-apply.yml").read_text()
    )

    validated = run("--chdir", str(mine), "validate")
    assert validated.exit_code == 0, validated.output
    assert validated.output.endswith("1 files, 1 valid schedules: 0 errors, 0 warnings\n")
    planned = run("plan", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert "+ create weekly_digest" in planned.output


def test_init_refuses_to_overwrite_and_writes_nothing(repo: Path) -> None:
    (repo / "README.md").write_text("ours\n")
    result = run("init", "--action", f"acme/reconciler@{SHA}")
    assert result.exit_code == 1
    assert result.stderr == "error: refusing to overwrite README.md in .: nothing was written\n"
    assert sorted(p.name for p in repo.iterdir()) == ["README.md", "schedules.d"]
    assert (repo / "README.md").read_text() == "ours\n"


def test_init_pins_the_action_to_the_commit_it_was_built_from(repo: Path) -> None:
    commit = source_commit()  # the editable install: this checkout's HEAD
    assert commit is not None
    assert re.fullmatch(r"[0-9a-f]{40}", commit)
    result = run("init", "here")
    assert result.exit_code == 0, result.output
    pinned = f"uses: {ACTION_REPOSITORY}@{commit} # v{__version__}"
    assert pinned in (repo / "here/.github/workflows/reconciler-pr.yml").read_text()


def test_without_a_known_commit_init_asks_for_action() -> None:
    with pytest.raises(ReconcilerError, match="pass --action engagelab/schedule-reconciler@"):
        action_reference(None, None)


@pytest.mark.parametrize("bad", ["acme/reconciler@v1.2.3", "acme/reconciler", f"acme@{SHA}"])
def test_a_bad_action_reference_is_one_line(repo: Path, bad: str) -> None:
    result = run("init", "--action", bad)
    assert result.exit_code == 1
    assert result.stderr == f"error: --action {bad!r}: expected OWNER/REPO@<40-hex commit sha>\n"


def test_git_head_reads_a_checkout_and_nothing_else(tmp_path: Path) -> None:
    assert git_head(tmp_path) is None
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(tmp_path),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ],
        check=True,
    )
    head = subprocess.run(
        ["git", "-C", str(tmp_path), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert git_head(tmp_path) == head
