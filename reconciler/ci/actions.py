"""The GitHub Actions runtime: the event payload, step outputs and the job summary.

Everything comes from the environment Actions sets (`GITHUB_EVENT_PATH`,
`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, …), passed in as a mapping so that
tests give their own. Outside Actions, outputs are printed and the summary is
skipped. `approved` is the fail-closed check every step that holds a target's
credentials makes first: the environment's approved connection
(`RECONCILER_ENDPOINT`, reconciler.remote.approval) must be set and be the
target's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.ci.errors import EventError
from reconciler.remote.approval import APPROVAL_ENV
from reconciler.remote.protocol import TargetLike
from reconciler.remote.registry import check_connection

__all__ = [
    "Env",
    "approved",
    "dig",
    "environ",
    "event",
    "need",
    "set_output",
    "summary",
]

Env = Mapping[str, str]


def environ() -> Env:
    return os.environ


def need(env: Env, name: str) -> str:
    """The value of `name`, or an EventError saying the step must run in GitHub Actions."""
    value = env.get(name, "")
    if not value:
        raise EventError(f"{name} is not set: this command runs inside a GitHub Actions job")
    return value


def event(env: Env) -> dict[str, Any]:
    """The payload of the event that started the run."""
    path = Path(need(env, "GITHUB_EVENT_PATH"))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise EventError(f"cannot read the event payload {path}: {err}") from None
    if not isinstance(data, dict):
        raise EventError(f"the event payload {path} is not a JSON object")
    return data


def dig(data: Any, *keys: str) -> Any:
    """data[k1][k2]…, or None where a level is missing."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def set_output(env: Env, name: str, value: str) -> None:
    """A step output (`GITHUB_OUTPUT`); printed as name=value outside Actions."""
    target = env.get("GITHUB_OUTPUT")
    if not target:
        print(f"{name}={value}")
        return
    with open(target, "a", encoding="utf-8") as out:
        out.write(f"{name}={value}\n")


def summary(env: Env, markdown: str) -> None:
    """Append to the job summary (`GITHUB_STEP_SUMMARY`), when there is one."""
    target = env.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(markdown.rstrip("\n") + "\n\n")


def approved(target: TargetLike, env: Env) -> None:
    """UnapprovedConnection unless `target` is local or its connection is the one the
    environment approves (`RECONCILER_ENDPOINT`, which must be set: CI fails closed)."""
    check_connection(target, env.get(APPROVAL_ENV), required=True)
