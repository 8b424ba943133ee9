"""Helpers of the hostile-input and concurrent-writer tests: the real CLI as a capped process,
servers that lie or hang on a loopback port, and ways to read an app's names.

`run_capped` starts `python -m reconciler` in a subprocess under an address-space cap
(`resource.setrlimit(RLIMIT_AS)`) and a wall-clock timeout: a bomb that would take
gigabytes dies there as a MemoryError, not on the machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from reconciler.emulator import DEMO_APP
from reconciler.remote.engagelab import RemoteSchedule, ScheduleClient
from tests.support.clock import NOW_ISO

#: The address space a capped CLI run may use: a plan needs about 300 MB of it.
MEMORY_CAP = 512 * 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def cli_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "RECONCILER_NOW": NOW_ISO,
        "ENGAGELAB_APP_KEY": DEMO_APP.key,
        "ENGAGELAB_MASTER_SECRET": DEMO_APP.secret,
        **extra,
    }


def _cap_memory(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def run_capped(
    repo: Path,
    *args: str,
    timeout: float = 60,
    memory: int = MEMORY_CAP,
    env: Mapping[str, str] | None = None,
) -> Outcome:
    """`reconciler --chdir REPO ARGS…` as a process under a memory cap and a timeout
    (`env`: variables to set besides the emulator's credentials)."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "--chdir", str(repo), *args],
        env=cli_env(**(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_cap_memory(memory),
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def start_cli(repo: Path, *args: str, stdin: int | None = None) -> subprocess.Popen[str]:
    """The CLI under the memory cap; `stdin` may be a terminal (a pty) to answer it on."""
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "--chdir", str(repo), *args],
        env=cli_env(),
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_cap_memory(MEMORY_CAP),
    )


def assert_one_line_error(outcome: Outcome, *fragments: str) -> str:
    """Exit 1, one error line on stderr holding every fragment, no traceback: `error: …`, or a
    diagnostic that says it once (`reconciler.yaml:8:3: error: …`)."""
    assert outcome.code == 1, (outcome.code, outcome.stdout[-2000:], outcome.stderr[-2000:])
    assert "Traceback" not in outcome.stderr, outcome.stderr[-3000:]
    assert len(outcome.error_lines) == 1, outcome.stderr[-3000:]
    line = outcome.error_lines[0]
    assert line.startswith("error: ") or re.match(r"\S+:\d+:\d+: error: ", line), line
    assert not re.match(r"error: \S+:\d+:\d+: error: ", line), f"labelled twice: {line}"
    for fragment in fragments:
        assert fragment in line, line
    return line


def write_repo(repo: Path, config: dict[str, Any], docs: list[dict[str, Any]]) -> None:
    """reconciler.yaml and one multi-document file schedules.d/all.yaml (replacing others)."""
    folder = repo / "schedules.d"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.yaml"):
        old.unlink()
    (folder / "all.yaml").write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    (repo / "reconciler.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def schedule(name: str, alert: str = "hello", time_of_day: str = "09:00:00") -> dict[str, Any]:
    return {
        "name": name,
        "enabled": True,
        "trigger": {"single": {"time": f"2027-01-01 {time_of_day}", "zone_type": 1}},
        "push": {"to": "all", "body": {"platform": "all", "notification": {"alert": alert}}},
    }


def listing(base_url: str) -> list[RemoteSchedule]:
    async def read() -> list[RemoteSchedule]:
        async with ScheduleClient(
            base_url=base_url, app_key=DEMO_APP.key, master_secret=DEMO_APP.secret
        ) as client:
            return await client.list_schedules()

    return asyncio.run(read())


# --- servers that misbehave, on 127.0.0.1 ------------------------------------------------


@contextmanager
def json_server(
    answer: Callable[[str], Any], headers: Mapping[str, str] | None = None
) -> Iterator[str]:
    """A loopback HTTP server answering every GET with `answer(path)` as JSON (200).

    An answer given as bytes is sent as it is (JSON that json.dumps could not make, or
    a body `headers` say is compressed).
    """

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            reply = answer(self.path)
            body = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_server() -> Iterator[str]:
    """A loopback port that accepts connections and never answers a byte."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        sock.close()


def deep_push(levels: int) -> dict[str, Any]:
    """A push whose android extras nest `levels` deep: what another client may store."""
    extras: Any = "leaf"
    for _ in range(levels):
        extras = {"x": extras}
    return {
        "to": "all",
        "body": {"platform": "all", "notification": {"alert": "hi", "android": {"extras": extras}}},
    }


def plant(state_file: Path, name: str, push: dict[str, Any]) -> str:
    """Store a schedule straight into an emulator state file, as another client could have.

    The emulator's own rules would refuse some of what other tools leave in an app;
    the store takes it as it is. Returns its schedule id.
    """
    from reconciler.emulator.clock import to_ms
    from reconciler.emulator.store import Store
    from tests.support.clock import NOW

    state_file.parent.mkdir(parents=True, exist_ok=True)
    store = Store(str(state_file))
    schedule_id = str(uuid.uuid4())
    body = {
        "name": name,
        "enabled": True,
        "trigger": {"single": {"time": "2027-01-01 09:00:00", "zone_type": 1}},
        "push": push,
    }
    created = store.create(
        app_key=DEMO_APP.key,
        schedule_id=schedule_id,
        name=name,
        body=body,
        now_ms=to_ms(NOW),
        next_due=None,
        quota=1000,
    )
    store.close()
    assert created
    return schedule_id
