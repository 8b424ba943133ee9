"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import make_repo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty repo (schedules.d/) as the working directory, the clock fixed at NOW."""
    return make_repo(tmp_path, monkeypatch)
