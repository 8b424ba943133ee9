"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.emulator import Settings
from tests.support.cli import make_repo
from tests.support.clock import NOW
from tests.support.emulator import Api


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty repo (schedules.d/) as the working directory, the clock fixed at NOW."""
    return make_repo(tmp_path, monkeypatch)


@pytest.fixture
def api() -> Iterator[Api]:
    """The emulator in-process with its clock fixed at NOW, the demo app signed in."""
    with Api(Settings(now=NOW)) as client:
        yield client
