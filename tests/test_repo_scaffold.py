"""reconciler init: a schedules repository that validates and plans at once, or nothing at all."""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reconciler import __version__
from reconciler.errors import ReconcilerError
from reconciler.repo.build_info import (
    ACTION_REPOSITORY,
    git_head,
    release_tag,
    source_commit,
    source_release,
)
from reconciler.repo.scaffold import CHOSEN, action_pin, action_reference, pin_label
from tests.support.cli import run

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_init_then_validate_then_plan_on_the_embedded_emulator(repo: Path) -> None:
    result = run("init", "mine", "--action", f"acme/reconciler@{SHA}")
    assert result.exit_code == 0, result.output
    assert "wrote .github/workflows/reconciler-plan.yml" in result.output
    mine = repo / "mine"
    assert (mine / ".gitignore").read_text().strip().endswith(".reconciler/")
    assert "id: reconciler-validate" in (mine / ".pre-commit-config.yaml").read_text()
    assert f"rev: {SHA}  # {CHOSEN}\n" in (mine / ".pre-commit-config.yaml").read_text()
    assert "package-ecosystem: github-actions" in (mine / ".github/dependabot.yml").read_text()
    sample = (mine / "schedules.d/weekly_digest.yaml").read_text()
    assert sample.startswith("# yaml-language-server: $schema=../schemas/schedule.schema.json")
    assert (mine / "schemas/schedule.schema.json").is_file()
    assert (
        f"uses: acme/reconciler@{SHA} # {CHOSEN}\n"
        in (mine / ".github/workflows/reconciler-apply.yml").read_text()
    )
    readme = (mine / "README.md").read_text()
    assert f'pipx install "git+https://github.com/acme/reconciler@{SHA}"' in readme
    assert not [p for p in mine.rglob("*") if p.is_file() and "@@" in p.read_text("utf-8")]

    validated = run("--chdir", str(mine), "validate")
    assert validated.exit_code == 0, validated.output
    assert validated.output.endswith("1 file, 1 valid schedule: 0 errors, 0 warnings\n")
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
    label = pin_label(source_release(__version__))
    pinned = f"uses: {ACTION_REPOSITORY}@{commit} # {label}\n"
    assert pinned in (repo / "here/.github/workflows/reconciler-pr.yml").read_text()
    hook = f"rev: {commit}  # {label}\n"
    assert hook in (repo / "here/.pre-commit-config.yaml").read_text()
    assert f'@{commit}"' in (repo / "here/README.md").read_text()


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


# --- the pins' labels: a tag only for the release itself -------------------------------------


def test_a_release_build_is_labelled_with_its_tag() -> None:
    pin = action_pin(None, SHA, "v0.2.0")
    assert pin.uses == f"{ACTION_REPOSITORY}@{SHA} # v0.2.0"


def test_any_other_build_is_labelled_a_commit_of_its_version() -> None:
    pin = action_pin(None, SHA, None)
    assert pin.uses == f"{ACTION_REPOSITORY}@{SHA} # commit of {__version__}"
    assert "# v" not in pin.uses


def test_an_action_given_to_init_is_labelled_as_chosen_unless_it_is_the_builds_own() -> None:
    other = "f" * 40
    assert action_pin(f"acme/reconciler@{other}", SHA, "v0.2.0").label == CHOSEN
    assert action_pin(f"acme/reconciler@{SHA}", SHA, "v0.2.0").label == "v0.2.0"
    assert action_pin(f"acme/reconciler@{SHA}", SHA, None).label == f"commit of {__version__}"


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_release_tag_is_the_versions_tag_on_head_only(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "commit", "-q", "--allow-empty", "-m", "one")
    _git(tmp_path, "tag", "v1.2.3")
    assert release_tag(tmp_path, "1.2.3") == "v1.2.3"
    assert release_tag(tmp_path, "1.2.4") is None  # another version's tag
    _git(tmp_path, "commit", "-q", "--allow-empty", "-m", "two")
    assert release_tag(tmp_path, "1.2.3") is None  # the tag is on an older commit
    assert release_tag(tmp_path / "nowhere", "1.2.3") is None


def _build_stamp() -> Any:
    path = Path(__file__).resolve().parents[1] / "build_stamp.py"
    spec = importlib.util.spec_from_file_location("_build_stamp_under_test", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("tagged", [True, False], ids=["tagged", "untagged"])
def test_the_build_stamps_the_release_only_from_its_tagged_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tagged: bool
) -> None:
    checkout, tree = tmp_path / "checkout", tmp_path / "tree"
    checkout.mkdir()
    _git(checkout, "init", "-q")
    _git(checkout, "commit", "-q", "--allow-empty", "-m", "release")
    if tagged:
        _git(checkout, "tag", f"v{__version__}")
    monkeypatch.chdir(checkout)
    _build_stamp()._stamp_from_checkout(tree)
    stamp: dict[str, Any] = {}
    exec((tree / "reconciler" / "_build.py").read_text("utf-8"), stamp)
    assert stamp["COMMIT"] == _git(checkout, "rev-parse", "HEAD")
    assert stamp["RELEASE"] == (f"v{__version__}" if tagged else None)
