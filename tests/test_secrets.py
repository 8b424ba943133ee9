"""A recognisable master secret never appears in any output, log, plan file or written file.

Every command runs with -v (API calls logged) as a real process against a real
emulator server on loopback, including failing runs: a wrong secret (401), an
unknown schedule, server faults, a stale plan.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from reconciler.emulator import AppCredentials, Settings
from reconciler.emulator.server import serve_in_thread
from tests.support.clock import NOW, NOW_ISO

KEY = "canary_app_key_7d1"
SECRET = "S3CRET-canary-9f8e"
FORMS = (SECRET, base64.b64encode(f"{KEY}:{SECRET}".encode()).decode(), f"{KEY}:{SECRET}")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    settings = Settings(apps=(AppCredentials(KEY, SECRET),), now=NOW)
    with serve_in_thread(settings) as base_url:
        yield base_url


def make_repo(root: Path, base_url: str) -> None:
    (root / "schedules.d").mkdir(parents=True)
    doc = {
        "name": "canary_push",
        "enabled": True,
        "trigger": {"single": {"time": "2027-01-01 09:00:00", "zone_type": 1}},
        "push": {"to": "all", "body": {"platform": "all", "notification": {"alert": "hello"}}},
    }
    (root / "schedules.d" / "canary.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    config = {"default_target": "emu", "targets": {"emu": {"endpoint": base_url}}}
    (root / "reconciler.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def reconciler(root: Path, *args: str, secret: str = SECRET) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "RECONCILER_NOW": NOW_ISO,
        "ENGAGELAB_APP_KEY": KEY,
        "ENGAGELAB_MASTER_SECRET": secret,
    }
    return subprocess.run(
        [sys.executable, "-m", "reconciler", "-vv", "--chdir", str(root), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_clean(text: str) -> None:
    for form in FORMS:
        assert form not in text


def test_no_command_ever_shows_the_secret(tmp_path: Path, server: str) -> None:
    make_repo(tmp_path, server)
    runs = [
        ("validate",),
        ("targets", "--format", "json"),
        ("plan",),
        ("plan", "--format", "markdown"),
        ("plan", "--format", "json", "--out", "plan.json"),
        ("apply", "plan.json"),
        ("apply", "plan.json"),  # stale now: refused
        ("apply", "--checksum", "sha256:0"),  # wrong checksum: refused
        ("plan", "--detailed-exitcode"),
        ("history", "canary_push"),
        ("history", "no_such_schedule"),  # fails
        ("import", "--dir", "imported"),
        ("import", "--dir", "imported"),  # refuses to overwrite
    ]
    seen_failure = False
    for args in runs:
        done = reconciler(tmp_path, *args)
        assert "Traceback" not in done.stderr, (args, done.stderr)
        assert_clean(done.stdout)
        assert_clean(done.stderr)
        seen_failure |= done.returncode == 1
    assert seen_failure
    # -v logged the API calls, so the logs were there to leak into.
    assert "GET /v4/schedules" in reconciler(tmp_path, "plan").stderr
    for written in [tmp_path / "plan.json", *(tmp_path / "imported").glob("*.yaml")]:
        assert_clean(written.read_text(encoding="utf-8"))
    assert json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))["format_version"] == 1


def test_a_wrong_secret_fails_with_a_message_naming_the_variables_only(
    tmp_path: Path, server: str
) -> None:
    make_repo(tmp_path, server)
    wrong = "WRONG-canary-secret-1234"
    done = reconciler(tmp_path, "plan", secret=wrong)
    assert done.returncode == 1
    assert "28101" in done.stderr
    assert "ENGAGELAB_APP_KEY / ENGAGELAB_MASTER_SECRET" in done.stderr
    assert wrong not in done.stdout + done.stderr
    assert base64.b64encode(f"{KEY}:{wrong}".encode()).decode() not in done.stderr
    assert_clean(done.stdout + done.stderr)


def test_missing_credentials_name_the_variable(tmp_path: Path, server: str) -> None:
    make_repo(tmp_path, server)
    done = reconciler(tmp_path, "plan", secret="")
    assert done.returncode == 1
    assert "ENGAGELAB_MASTER_SECRET" in done.stderr
    assert "Traceback" not in done.stderr


def test_server_faults_during_apply_leak_nothing(tmp_path: Path, server: str) -> None:
    make_repo(tmp_path, server)
    with httpx.Client(base_url=server) as admin:
        admin.post("/_emulator/reset")
        admin.put(
            "/_emulator/faults",
            json={"faults": ["error=503:0.5", "error=500:0.3", "drop-after-commit=0.3"], "seed": 3},
        )
        try:
            done = reconciler(tmp_path, "apply", "--auto-approve")
        finally:
            admin.put("/_emulator/faults", json={"faults": []})
    assert "Traceback" not in done.stderr
    assert_clean(done.stdout + done.stderr)
