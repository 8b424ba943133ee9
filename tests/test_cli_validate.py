"""`reconciler validate` through the real CLI: exit codes, formats, and no traceback ever."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from reconciler.cli.group import main
from reconciler.config.load import load_config
from reconciler.desired.validate import validate
from reconciler.documents.load import load_schedules
from tests.support.clock import NOW, NOW_ISO
from tests.support.documents import single
from tests.support.wording import assert_lines_ours, assert_ours

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
CONSOLE_SCRIPT = Path(sys.executable).parent / "reconciler"


def run(*args: str, now: str = NOW_ISO) -> Result:
    result = CliRunner().invoke(main, list(args), env={"RECONCILER_NOW": now})
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)
    return result


def project(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return tmp_path


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path; monkeypatch restores the directory even after --chdir."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- the samples ----------------------------------------------------------------------------


def test_samples_validate_today_and_every_day_of_the_coming_year() -> None:
    target = load_config(None, REPO).target()
    loaded = load_schedules(REPO, target.schedules)
    assert loaded.diagnostics == ()
    assert len(loaded.documents) >= 3
    for day in range(367):
        now = NOW + timedelta(days=day)
        result = validate(loaded.documents, target, now)
        errors = [str(d) for d in result.diagnostics if d.severity == "error"]
        assert errors == [], f"at {now:%Y-%m-%d}: {errors}"
        assert len(result.schedules) == len(loaded.documents)


def test_samples_through_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """The samples' only warnings are their windows' spans (to 2099: they never expire)."""
    monkeypatch.chdir(REPO)
    result = run("validate")
    assert result.exit_code == 0, result.output
    *warnings, summary = result.output.splitlines()
    assert re.fullmatch(r"\d+ files?, \d+ valid schedules?: 0 errors, 3 warnings", summary)
    assert len(warnings) == 3
    assert all("periodical span is over one year" in line for line in warnings), warnings


# --- exit codes and text ----------------------------------------------------------------------


def test_valid_files_exit_0(in_tmp: Path) -> None:
    project(in_tmp, {"schedules.d/a.yaml": single(name="a")})
    result = run("validate")
    assert result.exit_code == 0
    assert result.output == "1 file, 1 valid schedule: 0 errors, 0 warnings\n"


def test_warnings_alone_exit_0_and_are_printed(in_tmp: Path) -> None:
    expired = single(name="old").replace("2026-12-21", "2026-06-23")
    project(in_tmp, {"schedules.d/old.yaml": expired})
    result = run("validate")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "schedules.d/old.yaml:5:5: warning: single time is already past: expired, will be "
        "skipped; delete the file (schedule old)",
        "1 file, 1 valid schedule: 0 errors, 1 warning",
    ]


def test_errors_exit_1_all_at_once_and_sorted(in_tmp: Path) -> None:
    project(
        in_tmp,
        {
            "schedules.d/b.yaml": single(name="b").replace("enabled: true", "enabled: on"),
            "schedules.d/a.yaml": single(name="a-1")
            + "---\n"
            + single(name="ok").replace("zone_type: 1", "zone_type: 3"),
            "schedules.d/c.yaml": single(name="c"),
        },
    )
    result = run("validate")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "schedules.d/a.yaml:1:1: error: name 'a-1' may hold only CJK ideographs, ASCII letters, "
        "digits and underscore; found '-' at position 2 (schedule a-1)",
        "schedules.d/a.yaml:19:5: error: zone_type must be 1 (main site's zone) or 2 (device's "
        "zone), not 3 (schedule ok)",
        "schedules.d/b.yaml:2:1: error: enabled must be true or false, not a string (YAML 1.1 "
        "'on' is not a boolean here: write true or false) (schedule b)",
        "3 files, 1 valid schedule: 3 errors, 0 warnings",
    ]


@pytest.mark.parametrize("path", sorted((FIXTURES / "bad").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_bad_fixture_through_the_cli(in_tmp: Path, path: Path) -> None:
    expect = re.match(r"# expect: (\d+)(?::(\d+))? ", path.read_text(encoding="utf-8"))
    assert expect
    project(in_tmp, {f"schedules.d/{path.name}": path.read_bytes()})
    result = run("validate")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.output
    assert lines[0].startswith(f"schedules.d/{path.name}:{expect[1]}:")
    assert ": error: " in lines[0]
    assert lines[1].endswith(": 1 error, 0 warnings")


@pytest.mark.parametrize("case", sorted(p.name for p in (FIXTURES / "bad_multi").iterdir()))
def test_bad_multi_through_chdir(in_tmp: Path, case: str) -> None:
    result = run("--chdir", str(FIXTURES / "bad_multi" / case), "validate")
    assert result.exit_code == 1
    assert result.stdout.count(": error: ") == 1
    assert re.search(r"valid schedules?: 1 error, 0 warnings\n$", result.stdout)


@pytest.mark.parametrize("absolute", [True, False])
def test_good_fixtures_through_a_config_pattern(in_tmp: Path, absolute: bool) -> None:
    # Within the repository (the config's directory): a glob may not leave it.
    good = in_tmp / "conf" / "good"
    shutil.copytree(FIXTURES / "good", good)
    pattern = f"{good}/*.yaml" if absolute else f"{os.path.relpath(good, in_tmp / 'conf')}/*.yaml"
    project(in_tmp, {"conf/reconciler.yaml": f'schedules: "{pattern}"\n'})
    result = run("--config", "conf/reconciler.yaml", "validate")
    assert result.exit_code == 0, result.output
    assert result.output == "10 files, 15 valid schedules: 0 errors, 0 warnings\n"


# --- files that cannot be read --------------------------------------------------------------


def test_empty_directory(in_tmp: Path) -> None:
    (in_tmp / "schedules.d").mkdir()
    result = run("validate")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "error: no schedules found under schedules.d/**/*.yaml\n"


def test_empty_directory_json(in_tmp: Path) -> None:
    result = run("validate", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "valid": False,
        "files": 0,
        "schedules": 0,
        "error": "no schedules found under schedules.d/**/*.yaml",
    }


def test_binary_non_utf8_and_syntax_errors(in_tmp: Path) -> None:
    project(
        in_tmp,
        {
            "schedules.d/1.yaml": b"\x7fELF\x02\x01\x01\x00\x00\x00",
            "schedules.d/2.yaml": "name: caf\xe9\n".encode("cp1252"),
            "schedules.d/3.yaml": "name: x\nenabled: [true\n",
            "schedules.d/4.yaml": "name: x\x07\n",
            "schedules.d/5.yaml": single(name="fine"),
        },
    )
    result = run("validate")
    assert result.exit_code == 1
    # `…`: what libyaml and PyYAML's reader say, passed on in their words.
    assert_lines_ours(
        result.stdout.splitlines(),
        [
            "schedules.d/1.yaml: error: binary file, not YAML text",
            "schedules.d/2.yaml: error: not UTF-8 text (byte 9)",
            "schedules.d/3.yaml:3:…: error: YAML syntax error: … that starts at 2:10)",
            "schedules.d/4.yaml:1:8: error: YAML error: character U+0007 is not allowed in YAML "
            "text (…)",
            "5 files, 1 valid schedule: 4 errors, 0 warnings",
        ],
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_unreadable_file(in_tmp: Path) -> None:
    project(in_tmp, {"schedules.d/secret.yaml": single(name="s")})
    secret = in_tmp / "schedules.d" / "secret.yaml"
    secret.chmod(0)
    try:
        result = run("validate")
    finally:
        secret.chmod(0o644)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        "schedules.d/secret.yaml: error: cannot read file: Permission denied"
    )


# --- json --------------------------------------------------------------------------------------


def test_json_format(in_tmp: Path) -> None:
    project(
        in_tmp,
        {
            "schedules.d/a.yaml": single(name="推送"),
            "schedules.d/b.yaml": single(name="推送_b").replace("zone_type: 1", "zone_typ: 1"),
        },
    )
    result = run("validate", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "valid": False,
        "files": 2,
        "schedules": 1,
        "errors": 1,
        "warnings": 1,
        "diagnostics": [
            {
                "file": "schedules.d/b.yaml",
                "line": 4,
                "column": 3,
                "severity": "warning",
                "message": "no zone_type: the server's time zone applies; set 1 (main site) or "
                "2 (device)",
                "schedule": "推送_b",
            },
            {
                "file": "schedules.d/b.yaml",
                "line": 6,
                "column": 5,
                "severity": "error",
                "message": "unknown key 'zone_typ' in trigger.single; did you mean 'zone_type'?",
                "schedule": "推送_b",
            },
        ],
    }
    assert "推送" in result.stdout  # not \u escaped


def test_json_format_valid(in_tmp: Path) -> None:
    project(in_tmp, {"schedules.d/a.yaml": single(name="a")})
    result = run("validate", "--format", "json")
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert (payload["valid"], payload["errors"], payload["diagnostics"]) == (True, 0, [])


def test_unknown_format_is_a_usage_error(in_tmp: Path) -> None:
    result = run("validate", "--format", "xml")
    assert result.exit_code == 2  # click's usage error, in click's words; it names the option
    assert "--format" in result.output
    assert "Traceback" not in result.output


# --- config, target, chdir ------------------------------------------------------------------


def test_chdir_and_config_and_target(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project(
        in_tmp,
        {
            "repo/reconciler.yaml": "default_target: a\ntargets:\n  a:\n    endpoint: local\n"
            '    schedules: "a/*.yaml"\n  b:\n    endpoint: local\n    schedules: "b/*.yaml"\n',
            "repo/a/x.yaml": single(name="x"),
            "repo/b/y.yaml": single(name="y-bad"),
        },
    )
    assert run("--chdir", "repo", "validate").exit_code == 0
    assert Path.cwd() == in_tmp / "repo"  # --chdir really changes directory
    monkeypatch.chdir(in_tmp)
    result = run("--chdir", "repo", "--target", "b", "validate")
    assert result.exit_code == 1
    assert result.stdout.startswith("b/y.yaml:1:1: error: name 'y-bad'")
    monkeypatch.chdir(in_tmp)
    result = run("--config", "repo/reconciler.yaml", "--target", "b", "validate")
    assert result.stdout.startswith("b/y.yaml:1:1: error:")


def test_unknown_target(in_tmp: Path) -> None:
    result = run("--target", "prod", "validate")
    assert result.exit_code == 1
    assert result.stderr == "error: unknown target 'prod' in the defaults (known: local)\n"


def test_missing_explicit_config(in_tmp: Path) -> None:
    result = run("--config", "nope.yaml", "validate")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: config file ")
    assert result.stderr.endswith("nope.yaml not found\n")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            "targets:\n  prod:\n    region: sgp\n    endpoint: https://x.test\n",
            "reconciler.yaml:2:3: error: a target takes `endpoint:` or `region:`, not both\n",
        ),
        (
            "targets:\n  local:\n    endpoint: local\n    site_timezone: Nowhere/City\n",
            "reconciler.yaml:4:5: error: target 'local': unknown time zone 'Nowhere/City' "
            "(use an IANA name such as Asia/Singapore)\n",
        ),
        # `…`: libyaml's position and description of the problem, in its words.
        ("quota: [\n", "reconciler.yaml:2:…: error: YAML syntax error: …\n"),
    ],
)
def test_bad_config(in_tmp: Path, config: str, message: str) -> None:
    project(in_tmp, {"reconciler.yaml": config, "schedules.d/a.yaml": single(name="a")})
    result = run("validate")
    assert result.exit_code == 1
    assert_ours(result.stderr, message)


def test_bad_reconciler_now(in_tmp: Path) -> None:
    result = run("validate", now="next tuesday")
    assert result.exit_code == 1
    assert result.stderr == "error: RECONCILER_NOW='next tuesday' is not ISO 8601\n"


def test_chdir_to_a_missing_directory_is_a_usage_error(in_tmp: Path) -> None:
    result = run("--chdir", "nowhere", "validate")
    assert result.exit_code == 2  # click's usage error, in click's words; it names the option
    assert "--chdir" in result.output


# --- a real process ------------------------------------------------------------------------------


def test_console_script_in_a_subprocess(tmp_path: Path) -> None:
    assert CONSOLE_SCRIPT.exists() or shutil.which("reconciler")
    script = str(CONSOLE_SCRIPT) if CONSOLE_SCRIPT.exists() else "reconciler"
    project(
        tmp_path,
        {
            "schedules.d/ok.yaml": single(name="ok"),
            "schedules.d/bad.yaml": single(name="bad").replace("enabled: true", "enabled: yes"),
            "schedules.d/bin.yaml": b"\x00\x01",
        },
    )
    env = {**os.environ, "RECONCILER_NOW": NOW_ISO}
    done = subprocess.run(
        [script, "--chdir", str(tmp_path), "validate"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        "schedules.d/bad.yaml:2:1: error: enabled must be true or false, not a string (YAML 1.1 "
        "'yes' is not a boolean here: write true or false) (schedule bad)",
        "schedules.d/bin.yaml: error: binary file, not YAML text",
        "3 files, 1 valid schedule: 2 errors, 0 warnings",
    ]
    (tmp_path / "schedules.d" / "bad.yaml").unlink()
    (tmp_path / "schedules.d" / "bin.yaml").unlink()
    done = subprocess.run(
        [script, "validate", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["valid"] is True


# --- every command documents an example ------------------------------------------------------


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    # Through list_commands/get_command, as click's help does: lazily loaded groups count too.
    found: list[tuple[str, click.Command]] = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, f"{prefix}{name} "))
    return found


def test_the_command_walk_reaches_the_emulator_subcommands() -> None:
    names = [name for name, _ in all_commands(main)]
    assert "validate" in names
    assert "emulator" in names
    assert any(name.startswith("emulator ") for name in names)


@pytest.mark.parametrize(
    ("name", "command"),
    [("reconciler", main), *all_commands(main)],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_every_command_has_a_docstring_with_an_example(name: str, command: click.Command) -> None:
    assert command.help, f"{name} has no docstring"
    assert re.search(r"^\s*Example:", command.help, re.MULTILINE), (
        f"{name}'s docstring has no 'Example:' line"
    )


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path) -> None:
    # `reconciler validate | head -1`: the pipe closes while diagnostics are still printed.
    folder = tmp_path / "schedules.d"
    folder.mkdir()
    for i in range(400):
        (folder / f"bad_{i}.yaml").write_text("name: 'has space'\n", encoding="utf-8")
    child = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "validate"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    child.stdout.readline()
    child.stdout.close()
    _, err = child.communicate(timeout=60)
    assert child.returncode == 1
    assert b"internal error" not in err
    assert b"Traceback" not in err
    assert b"BrokenPipe" not in err
