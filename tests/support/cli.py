"""Helpers for the end-to-end CLI tests: a repo in a temporary directory and the embedded emulator."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from reconciler.cli.group import main
from reconciler.emulator import Settings, create_app
from reconciler.remote.engagelab import RemoteSchedule, ScheduleClient
from tests.support.api import client_for as api_client_for
from tests.support.clock import NOW_ISO

#: The sample schedules at the top of the repository, and the documentation's examples.
SAMPLES = Path(__file__).resolve().parents[2] / "schedules.d"
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def make_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECONCILER_NOW", NOW_ISO)
    (tmp_path / "schedules.d").mkdir()
    return tmp_path


def doc(name: str, **over: Any) -> dict[str, Any]:
    trigger = over.pop("trigger", {"single": {"time": "2027-01-01 09:00:00", "zone_type": 1}})
    out = {
        "name": name,
        "enabled": over.pop("enabled", True),
        "trigger": trigger,
        "push": {
            "to": "all",
            "body": {
                "platform": over.pop("platform", "all"),
                "notification": {"alert": over.pop("alert", f"hi {name}")},
            },
        },
    }
    out.update(over)
    return out


def write(repo: Path, *docs: dict[str, Any], file: str | None = None) -> None:
    path = repo / "schedules.d" / f"{file or docs[0]['name']}.yaml"
    path.write_text(yaml.safe_dump_all(list(docs), allow_unicode=True), encoding="utf-8")


def config(repo: Path, **settings: Any) -> None:
    (repo / "reconciler.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def client_for(repo: Path) -> ScheduleClient:
    return api_client_for(create_app(Settings(state=str(repo / ".reconciler" / "local.db"))))


def remote(repo: Path) -> list[RemoteSchedule]:
    async def listing() -> list[RemoteSchedule]:
        async with client_for(repo) as client:
            return await client.list_schedules()

    return asyncio.run(listing())


def by_name(repo: Path) -> dict[str, RemoteSchedule]:
    schedules = remote(repo)
    names = [s.name for s in schedules]
    assert len(names) == len(set(names)), f"duplicate names remotely: {names}"
    return {s.name: s for s in schedules}


def applied(*extra: str) -> Result:
    result = run("apply", "--auto-approve", *extra)
    assert result.exit_code == 0, result.output + result.stderr
    return result
