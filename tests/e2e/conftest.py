"""The end-to-end suite's fixtures: act ready once per session, a fresh team per test.

Every test module here is marked `e2e` (pytestmark); tests/conftest.py prints the suite's time.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli.group import main
from tests.support.act import ROOT, HarnessError, Runner
from tests.support.gitops import Team, team


def _sha() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else "0" * 40


@pytest.fixture(scope="session")
def runner(request: pytest.FixtureRequest) -> Iterator[Runner]:
    """act, the tool cache, the wheelhouse and the action's copy of this checkout."""
    try:
        ready = Runner.prepare(_sha())
    except HarnessError as err:
        pytest.fail(f"the end-to-end harness cannot run: {err}", pytrace=False)
    yield ready
    ready.close()
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:  # not under -n: the workers print nothing
        reporter.write_line(
            f"e2e: {ready.runs} workflow runs under act in {ready.seconds:.0f} s "
            f"({ready.cpu_seconds:.0f} s of CPU)"
        )


@pytest.fixture(scope="session")
def scaffold(runner: Runner, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `reconciler init` writes, pinned to this checkout's action."""
    where = tmp_path_factory.mktemp("scaffold") / "team"
    result = CliRunner().invoke(main, ["init", str(where), "--action", runner.action_ref])
    assert result.exit_code == 0, result.output
    return where


@pytest.fixture
def team_repo(runner: Runner, scaffold: Path, tmp_path: Path) -> Iterator[Team]:
    with team(runner, tmp_path, scaffold) as made:
        yield made
        # A step that GitHub would refuse (a permission its job lacks, a token of a finished
        # run) fails the story even when the step shrugged it off.
        assert made.refused() == [], made.refused()
