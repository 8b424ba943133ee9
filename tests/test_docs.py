"""The documentation: a short README whose Quick start works on any day, examples that
validate, and the generators of the site (scripts/mkdocs_hooks.py) seeing every schema key
and every command. `mkdocs build --strict` itself runs in .ci/run."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from reconciler.cli.group import COMMANDS, main
from tests.support.clock import NOW_ISO

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CONSOLE_SCRIPT = Path(sys.executable).parent / "reconciler"
SAMPLE_NAMES = {"daily_streak_reminder", "weekly_digest", "月度账单提醒"}


def _hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "mkdocs_hooks", ROOT / "scripts" / "mkdocs_hooks.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = _hooks()


# --- the README -------------------------------------------------------------------------------


def test_the_readme_is_under_12_kb() -> None:
    assert len(README.read_bytes()) < 12 * 1024


def test_every_relative_link_of_the_readme_leads_to_a_file() -> None:
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README.read_text(encoding="utf-8"))
    local = [link for link in links if "://" not in link]
    assert "docs/getting-started.md" in local
    assert [link for link in local if not (ROOT / link).is_file()] == []


def quick_start_first_command() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Quick start\n", 1)[1]
    first = re.search(r"```sh\n(.*?)\n", section)
    assert first, "the Quick start has no sh code block"
    command = first[1].split("&&")[-1].split()
    assert command[0] == "reconciler", first[1]
    return command[1:]


def clean_copy(destination: Path) -> Path:
    """The files a clean clone has (git's index), as they are in this checkout."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True, timeout=60
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination / name)
    return destination


@pytest.mark.parametrize("years", [1, 3, 10])
def test_the_quick_starts_first_command_shows_creates_years_from_now(
    tmp_path: Path, years: int
) -> None:
    repo = clean_copy(tmp_path / "clone")
    assert not (repo / ".reconciler").exists()
    later = (datetime.now(UTC) + timedelta(days=365 * years)).isoformat()
    result = subprocess.run(
        [str(CONSOLE_SCRIPT), *quick_start_first_command()],
        cwd=repo,
        env={**os.environ, "RECONCILER_NOW": later},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    created = set(re.findall(r"^\s+\+ create (\S+)", result.stdout, re.M))
    assert created == SAMPLE_NAMES, result.stdout
    assert "expired" not in result.stdout + result.stderr


# --- the examples -------------------------------------------------------------------------------


def test_the_examples_and_samples_validate_and_plan_as_creates(tmp_path: Path) -> None:
    (tmp_path / "schedules.d").mkdir()
    for source in [
        *(ROOT / "docs" / "examples").glob("*.yaml"),
        ROOT / "schedules.d" / "periodical.yaml",
    ]:
        shutil.copyfile(source, tmp_path / "schedules.d" / source.name)
    env = {**os.environ, "RECONCILER_NOW": NOW_ISO}
    validated = subprocess.run(
        [str(CONSOLE_SCRIPT), "validate", "--format", "json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    report: dict[str, Any] = json.loads(validated.stdout)
    assert (report["valid"], report["schedules"], report["errors"]) == (True, 5, 0)
    spans = [d for d in report["diagnostics"] if "span is over one year" in d["message"]]
    assert len(spans) == report["warnings"] == 3  # the samples' windows run to 2099, as said
    planned = subprocess.run(
        [str(CONSOLE_SCRIPT), "plan", "--format", "json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert plan["summary"]["create"] == 5
    assert {c["name"] for c in plan["changes"]} == {
        *SAMPLE_NAMES,
        "new_year_2027_greeting",
        "winback_smart_delivery",
    }


def test_every_example_the_docs_include_exists() -> None:
    included = set()
    for page in (ROOT / "docs").rglob("*.md"):
        included |= set(re.findall(r'--8<-- "([^"]+)"', page.read_text(encoding="utf-8")))
    assert {
        "docs/examples/single.yaml",
        "docs/examples/intelligent.yaml",
        "CHANGELOG.md",
    } <= included
    assert [name for name in included if not (ROOT / name).is_file()] == []


# --- the generated references -------------------------------------------------------------------


def keys_of(schema: dict[str, Any], node: Any, out: set[str]) -> set[str]:
    """Every property name a schema defines anywhere, found without the generator's walk."""
    if isinstance(node, dict):
        out |= set(node.get("properties", {}))
        for value in node.values():
            keys_of(schema, value, out)
    elif isinstance(node, list):
        for value in node:
            keys_of(schema, value, out)
    return out


@pytest.mark.parametrize("name", ["config.schema.json", "schedule.schema.json"])
def test_the_reference_lists_every_key_of_the_schema(name: str) -> None:
    schema = json.loads((ROOT / "schemas" / name).read_text(encoding="utf-8"))
    table = hooks.schema_reference(name)
    listed = {path.rsplit(".", 1)[-1] for path in re.findall(r"</a>`([^`]+)`", table)}
    assert keys_of(schema, schema, set()) <= listed
    rows = [line for line in table.splitlines() if line.startswith("| <a id=")]
    assert all(line.rstrip(" |").rsplit("|", 1)[-1].strip() for line in rows), "a row without words"


def test_a_key_without_a_description_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = {
        "type": "object",
        "properties": {
            "said": {"type": "string", "description": "yes"},
            "unsaid": {"type": "integer"},
        },
    }
    (tmp_path / "x.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    monkeypatch.setattr(hooks, "SCHEMAS", tmp_path)
    with pytest.raises(
        hooks.PluginError, match=r"schemas/x\.schema\.json: no description for unsaid:"
    ):
        hooks.schema_reference("x.schema.json")


def test_a_marker_in_a_page_becomes_the_table() -> None:
    page = "# Configuration\n\n<!-- schema-reference: config.schema.json -->\n"
    out = hooks.on_page_markdown(page, None, None, None)
    assert "<!-- schema-reference" not in out
    assert '<a id="key-targets-name-region"></a>`targets.<name>.region`' in out


def test_the_cli_reference_sees_every_command_and_subcommand() -> None:
    paths = hooks.command_paths(main)
    assert {f"reconciler {name}" for name in COMMANDS} <= set(paths)
    assert {"reconciler ci plan", "reconciler ci drift-issues", "reconciler emulator serve"} <= set(
        paths
    )


def test_the_site_has_a_page_for_everything_the_readme_had() -> None:
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    pages = set(re.findall(r"[\w/-]+\.md", json.dumps(nav)))
    on_disk = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert pages <= on_disk
    text = "\n".join((ROOT / "docs" / page).read_text(encoding="utf-8") for page in pages)
    for heading in [
        "Quick start",
        "From Python",
        "Commands",
        "The schedule files",
        "YAML 1.1 surprises do not bite",
        "Validation",
        "Policies",
        "The calendar in the review",
        "Guards",
        "Applying",
        "Two applies at once",
        "Limits",
        "Error codes",
        "Faults",
        "Admin API",
        "What it does not emulate",
        "Reading an app",
        "Faults and retries",
        "The safe create",
        "Going to production",
        "The action",
        "The workflows",
        "Secrets and environments",
        "Threat model",
        "How the workflows are tested",
        "When apply refuses",
        "pre-commit",
        "FAQ",
    ]:
        assert heading.lower() in text.lower(), heading
