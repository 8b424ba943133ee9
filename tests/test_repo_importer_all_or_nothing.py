"""`reconciler import` writes every file or none, and only files the repository accepts."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from reconciler.emulator import DEMO_APP, Settings
from reconciler.emulator.server import serve_in_thread
from reconciler.remote.engagelab import ScheduleClient
from reconciler.repo.importer import MAX_FILE_NAME, file_name
from tests.support.cli import applied, doc, run, write
from tests.support.clock import NOW
from tests.support.hostile import deep_push, plant, run_capped, schedule, write_repo


@pytest.mark.parametrize("name", ["a" * 255, "长" * 85, "b" * 251], ids=["ascii", "cjk", "251"])
def test_a_name_too_long_for_a_file_name_gets_a_stable_shortened_one(repo: Path, name: str) -> None:
    write(repo, doc(name), file="long")
    applied()
    (repo / "schedules.d" / "long.yaml").unlink()
    result = run("import")
    assert result.exit_code == 0, result.output + result.stderr
    (written,) = (repo / "schedules.d").glob("*.yaml")
    assert len(written.name.encode()) <= MAX_FILE_NAME
    assert written.name == file_name(name)  # the same name on every import
    assert run("validate").exit_code == 0
    assert run("plan", "--detailed-exitcode").exit_code == 0


def test_file_names_that_differ_only_in_case_do_not_collide(repo: Path) -> None:
    write(repo, doc("Digest"), doc("digest"), file="both")
    applied()
    (repo / "schedules.d" / "both.yaml").unlink()
    assert run("import").exit_code == 0
    names = sorted(p.name.casefold() for p in (repo / "schedules.d").glob("*.yaml"))
    assert len(set(names)) == 2, names
    assert run("plan", "--detailed-exitcode").exit_code == 0


def test_names_the_repository_refuses_are_reported_together_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    settings = Settings(now=NOW, state=str(tmp_path / "state.db"), lenient=True)
    with serve_in_thread(settings) as url:

        async def fill() -> None:
            async with ScheduleClient(
                base_url=url, app_key=DEMO_APP.key, master_secret=DEMO_APP.secret
            ) as client:
                for name in ("fine", "with space", "x\ufa6e"):  # U+FA6E: unassigned
                    await client.create_schedule(schedule(name))

        asyncio.run(fill())
        repo = tmp_path / "repo"
        write_repo(repo, {"default_target": "far", "targets": {"far": {"endpoint": url}}}, [])
        (repo / "schedules.d" / "all.yaml").unlink()
        outcome = run_capped(repo, "import")
    assert outcome.code == 1
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: cannot import 2 schedules, so nothing was written: ")
    assert "'with space'" in lines[0]
    assert "U+FA6E" in lines[0]
    assert list((repo / "schedules.d").iterdir()) == []
    assert not (repo / "schemas").exists()


def test_an_unreadable_schedule_stops_the_import_before_anything_is_written(repo: Path) -> None:
    plant(repo / ".reconciler" / "local.db", "deep", deep_push(600))
    plant(repo / ".reconciler" / "local.db", "fine", schedule("fine")["push"])
    result = run("import")
    assert result.exit_code == 1
    assert "cannot be read: it nests deeper than 64 levels" in result.stderr
    assert list((repo / "schedules.d").iterdir()) == []


def test_a_directory_in_the_way_stops_the_import_before_anything_is_written(repo: Path) -> None:
    write(repo, doc("a"), doc("b"), file="both")
    applied()
    (repo / "schedules.d" / "both.yaml").unlink()
    (repo / "schedules.d" / "b.yaml").mkdir()
    result = run("import", "--overwrite")
    assert result.exit_code == 1
    assert "schedules.d/b.yaml is a directory; nothing was written" in result.stderr
    assert sorted(p.name for p in (repo / "schedules.d").iterdir()) == ["b.yaml"]
    assert [p.name for p in (repo / "schedules.d").glob(".import-*")] == []


def tree(root: Path) -> list[str]:
    """Every file and folder under `root`, but the embedded emulator's state."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if ".reconciler" not in p.relative_to(root).parts
    )


@pytest.mark.parametrize("outside", ["../elsewhere", "/{tmp}/absolute", "link/inside"])
def test_a_dir_outside_the_repository_is_refused_before_anything_is_written(
    repo: Path, tmp_path: Path, outside: str
) -> None:
    write(repo, doc("a"), doc("b"), file="both")
    applied()
    (repo / "schedules.d" / "both.yaml").unlink()
    (repo / "link").symlink_to(tmp_path.parent, target_is_directory=True)  # a way out
    before, around = tree(repo), sorted(p.name for p in tmp_path.parent.iterdir())
    where = outside.replace("/{tmp}", str(tmp_path.parent))
    result = run("import", "--dir", where)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {where} is outside the repository ({repo.resolve()})")
    assert result.stderr.rstrip().endswith("nothing was written")
    assert "internal error" not in result.stderr
    assert tree(repo) == before
    assert sorted(p.name for p in tmp_path.parent.iterdir()) == around


def test_a_name_another_file_declares_is_refused_naming_both_and_nothing_is_written(
    repo: Path,
) -> None:
    write(repo, doc("a"), doc("b"), file="team")
    applied()
    write(repo, doc("c"))  # not in the app: not imported, not in the way
    before = tree(repo)
    result = run("import")
    assert result.exit_code == 1
    assert re.fullmatch(
        r"error: cannot import 2 schedules, so nothing was written: "
        r"a is already declared in schedules\.d/team\.yaml:\d+:1; importing it would declare "
        r"it again in schedules\.d/a\.yaml; "
        r"b is already declared in schedules\.d/team\.yaml:\d+:1; importing it would declare "
        r"it again in schedules\.d/b\.yaml\n",
        result.stderr,
    ), result.stderr
    assert tree(repo) == before
    assert run("validate").exit_code == 0  # the repository is as it was, and valid


def test_overwriting_the_file_that_declares_the_name_is_not_a_second_declaration(
    repo: Path,
) -> None:
    write(repo, doc("a"))  # schedules.d/a.yaml: the very file import writes for a
    applied()
    assert run("import").exit_code == 1  # it exists: --overwrite is needed
    result = run("import", "--overwrite")
    assert result.exit_code == 0, result.stderr
    assert run("plan", "--detailed-exitcode").exit_code == 0


def test_files_outside_the_schedules_glob_are_written_with_a_warning(repo: Path) -> None:
    write(repo, doc("a"), file="team")
    applied()
    result = run("import", "--dir", "imported")
    assert result.exit_code == 0, result.stderr  # nothing reads them: no second declaration
    assert result.stderr == (
        "warning: 1 file (imported/a.yaml) lies outside the schedules glob "
        "'schedules.d/**/*.yaml': validate, plan and apply will not read it until the glob "
        "matches it\n"
    )
    assert (repo / "imported" / "a.yaml").is_file()
