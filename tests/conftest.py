"""Shared fixtures."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from reconciler.ci import github as github_module
from reconciler.emulator import Settings
from tests.support.cli import applied, doc, make_repo, write
from tests.support.clock import NOW
from tests.support.emulator import Api
from tests.support.github import FakeGitHub

# The suite a newcomer and CI run is deterministic: the property tests try the same
# examples every run, so a result never depends on luck. `pytest --hypothesis-profile
# explore` searches afresh and wider (what found `0E0` and U+0085 in the importer).
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", max_examples=1000)
settings.load_profile("repeatable")


_STARTED: list[float] = []
#: Set by the release workflow, which runs the suite against the built wheel.
INSTALLED = "RECONCILER_TEST_INSTALLED"


def installed_reconciler_or_refuse(package: Path, checkout: Path) -> str:
    """Where `reconciler` comes from; refuses when the installed wheel is asked for and the
    checkout's copy would be tested instead."""
    if checkout in package.resolve().parents:
        raise pytest.UsageError(
            f"{INSTALLED} is set, but reconciler is imported from the checkout ({package}): "
            "install the wheel, run the `pytest` script with --import-mode=append"
        )
    return f"reconciler from the installed wheel: {package}"


def pytest_sessionstart(session: pytest.Session) -> None:
    _STARTED.append(time.monotonic())
    if os.environ.get(INSTALLED):
        import reconciler

        where = installed_reconciler_or_refuse(
            Path(reconciler.__file__).parent, Path(__file__).resolve().parents[1]
        )
        session.config.get_terminal_writer().line(where)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The end-to-end suite's time (printed here: under -n 2 only this process has a terminal)."""
    reports = [
        r
        for name in ("passed", "failed", "error")
        for r in terminalreporter.stats.get(name, [])
        if getattr(r, "when", "") == "call" and "e2e" in getattr(r, "keywords", {})
    ]
    if reports and _STARTED:
        took = time.monotonic() - _STARTED[0]
        busy = sum(r.duration for r in reports)
        terminalreporter.write_line(
            f"e2e: {len(reports)} tests in {took:.0f} s ({busy:.0f} s of test time)"
        )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty repo (schedules.d/) as the working directory, the clock fixed at NOW."""
    return make_repo(tmp_path, monkeypatch)


@pytest.fixture
def api() -> Iterator[Api]:
    """The emulator in-process with its clock fixed at NOW, the demo app signed in."""
    with Api(Settings(now=NOW)) as client:
        yield client


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    """A fake GitHub that the `reconciler ci` commands reach (through the transport seam)."""
    gh = FakeGitHub()
    monkeypatch.setattr(github_module, "transport_factory", gh.transport)
    return gh


@pytest.fixture
def main(repo: Path) -> Path:
    """A repo whose main has schedule a, applied to its embedded emulator."""
    write(repo, doc("a"))
    applied()
    return repo
