"""Killing `reconciler apply` mid-way: the real CLI as a process, SIGKILLed at a chosen moment
after it has shown its plan (its changes start right after), against a served emulator."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.support.hostile import cli_env

#: Guards off: the tests that use them are about convergence, not about the guards.
NO_GUARDS = {"max_delete_percent": 100, "max_update_percent": 100, "min_existing": 0}


def repo_for(
    root: Path,
    base_url: str,
    docs: list[dict[str, Any]],
    safety: dict[str, Any] | None = None,
    **settings: Any,
) -> None:
    """reconciler.yaml (target `emu` at `base_url`) and schedules.d/all.yaml holding `docs`."""
    (root / "schedules.d").mkdir(parents=True, exist_ok=True)
    for old in (root / "schedules.d").glob("*.yaml"):
        old.unlink()
    if docs:
        text = yaml.safe_dump_all(docs)
        (root / "schedules.d" / "all.yaml").write_text(text, encoding="utf-8")
    config = {
        "default_target": "emu",
        "targets": {"emu": {"endpoint": base_url, "site_timezone": "UTC"}},
        "safety": NO_GUARDS if safety is None else safety,
        **settings,
    }
    (root / "reconciler.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def apply_command(root: Path) -> list[str]:
    return [sys.executable, "-m", "reconciler", "--chdir", str(root), "apply", "--auto-approve"]


def apply(root: Path) -> subprocess.CompletedProcess[str]:
    """A plain `apply --auto-approve` to its end."""
    return subprocess.run(
        apply_command(root), env=cli_env(), capture_output=True, text=True, timeout=120
    )


def kill_apply_after(root: Path, delay: float) -> bool:
    """Start `apply --auto-approve`, SIGKILL it `delay` seconds after its plan is shown;
    whether it was still at work when killed."""
    return kill_apply_when(root, lambda line: line.startswith("Checksum:"), delay)


def kill_apply_when(root: Path, moment: Callable[[str], bool], delay: float = 0.0) -> bool:
    """Start `apply --auto-approve`, SIGKILL it `delay` seconds after `moment` is true of a
    line it printed (the plan's `Checksum:`; each `created NAME id=…` once done); whether
    it was still at work when killed. A moment told by its output holds on a loaded
    machine too, where a delay alone may fall before the changes or after the last."""
    proc = subprocess.Popen(
        apply_command(root),
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    for line in proc.stdout:
        if moment(line):
            break
    time.sleep(delay)
    running = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    return running
