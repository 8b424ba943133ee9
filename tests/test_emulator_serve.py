"""The emulator over real HTTP: `reconciler emulator serve` as a subprocess, and serve_in_thread.

The subprocess test is a client that knows nothing of this project: plain httpx, a
hand-made Basic header and the documents' own request examples.
"""

from __future__ import annotations

import base64
import json
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli.group import main
from reconciler.emulator import Settings
from reconciler.emulator.server import serve_in_thread
from tests.support.clock import NOW, NOW_ISO

FIXTURES = Path(__file__).parent / "fixtures" / "emulator"
LAUNCH = "from reconciler.cli.group import main; main()"


def _lines(stream: IO[str]) -> queue.Queue[str]:
    """Lines of the child's stdout, read by a thread so that a test can wait with a timeout."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


@contextmanager
def serve(*args: str) -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    """Start `reconciler emulator serve --port 0 ARGS` and yield (process, URL, credentials)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "emulator", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = _lines(proc.stdout)  # type: ignore[arg-type]
        address = lines.get(timeout=20)
        credentials = lines.get(timeout=20)
        assert address.startswith("emulator listening on http://127.0.0.1:"), address
        yield proc, address.split()[-1], credentials.strip()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stderr.close()  # type: ignore[union-attr]


def stop(proc: subprocess.Popen[str], sig: int) -> tuple[int, str]:
    proc.send_signal(sig)
    code = proc.wait(timeout=20)
    return code, proc.stderr.read()  # type: ignore[union-attr]


def example(name: str) -> dict[str, Any]:
    body = json.loads((FIXTURES / name).read_text("utf-8"))
    return {**body, "name": body["name"].replace(" ", "_")}


def test_serve_subprocess_with_a_documents_only_client() -> None:
    with serve("--now", "2023-12-01T00:00:00+00:00") as (proc, url, credentials):
        assert credentials == "credentials: app key demo_app_key, master secret demo_master_secret"
        token = base64.b64encode(b"demo_app_key:demo_master_secret").decode()
        headers = {
            "Authorization": f"Basic {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
            created = client.post("/v4/schedules", json=example("en_create_periodical.json"))
            assert created.status_code == 200, created.text
            sid = created.json()["schedule_id"]
            listing = client.get("/v4/schedules?page=1").json()
            assert listing["total_count"] == 1
            assert listing["page"] == 1
            details = client.get(f"/v4/schedules/{sid}").json()
            assert details[0]["schedule_id"] == sid
            form_header = {"Content-Type": "application/x-www-form-urlencoded"}
            updated = client.put(
                f"/v4/schedules/{sid}",
                content=json.dumps(example("en_update_right_end.json")),
                headers=form_header,
            )
            assert updated.status_code == 200, updated.text
            assert updated.json()["trigger"]["periodical"]["end"] == "2024-03-10 00:00:00"
            clock = client.put("/_emulator/clock", json={"now": "2024-01-03T00:00:00+00:00"})
            assert clock.status_code == 200
            runs = client.get(f"/v4/schedules/{sid}/msg-ids").json()
            assert runs["count"] == 2
            assert json.loads(runs["MsgIds"][0])["error"]["code"] == 0
            deleted = client.delete(f"/v4/schedules/{sid}")
            assert (deleted.status_code, deleted.content) == (200, b"")
            assert client.get(f"/v4/schedules/{sid}").status_code == 404
            # The JPush client's trailing slash and malformed content type.
            jpush = {"Content-Type": "application/json;charset:utf-8"}
            again = client.post(
                "/v4/schedules/",
                content=json.dumps(example("en_create_periodical.json")),
                headers=jpush,
            )
            assert again.status_code == 200
            assert client.get("/v4/schedules/?page=1").json()["total_count"] == 1
            wrong = client.get("/v4/schedules", headers={"Authorization": "Basic eDp5"})
            assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, 28101)
        code, stderr = stop(proc, signal.SIGINT)
        assert code == 0
        assert "Traceback" not in stderr


def test_serve_stops_cleanly_on_sigterm_and_takes_every_switch(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    args = (
        "--app", "ci_app:topsecret:Asia/Shanghai", "--app", "other:xy",
        "--state", str(state), "--now", NOW_ISO, "--lenient",
        "--latency-ms", "5", "--fault", "error=503:0", "--seed", "3",
        "--list-detail", "summary", "--detail-shape", "object",
        "--rate-limit", "1000", "--quota", "5", "--host", "127.0.0.1",
    )  # fmt: skip
    with serve(*args) as (proc, url, credentials):
        assert "topsecret" not in credentials
        assert "app key ci_app, master secret t…t (Asia/Shanghai)" in credentials
        assert "app key other, master secret ** (UTC)" in credentials
        with httpx.Client(base_url=url, auth=("ci_app", "topsecret"), timeout=10) as client:
            assert client.get("/v4/schedules").status_code == 200
            demo = client.get("/v4/schedules", auth=("demo_app_key", "demo_master_secret"))
            assert demo.status_code == 401
            spaced = {**example("en_create_periodical.json"), "name": "with spaces"}
            spaced["trigger"] = {"single": {"time": "2026-11-21 09:00:00", "zone_type": 1}}
            sid = client.post("/v4/schedules", json=spaced).json()["schedule_id"]
            assert client.get(f"/v4/schedules/{sid}").json()["name"] == "with spaces"
            listed = client.get("/v4/schedules").json()["schedules"]
            assert listed == [{"schedule_id": sid, "name": "with spaces", "enabled": True}]
            admin = client.get("/_emulator/state").json()
            assert admin["settings"] == {
                "list_detail": "summary",
                "detail_shape": "object",
                "lenient": True,
                "quota": 5,
                "state": str(state),
            }
            assert admin["faults"] == ["latency=5.0", "error=503:0"]
            assert (admin["seed"], admin["rate_limit"]) == (3, 1000)
            assert admin["clock"]["now"] == NOW_ISO
            # 09:00 in Shanghai is 01:00 UTC.
            client.put("/_emulator/clock", json={"now": "2026-11-21T01:00:00+00:00"})
            assert client.get(f"/v4/schedules/{sid}").status_code == 404
        code, stderr = stop(proc, signal.SIGTERM)
        assert code == 0
        assert "Traceback" not in stderr
    assert state.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fault", "chaos=1"], "bad fault spec"),
        (["--now", "tomorrow"], "ISO 8601"),
        (["--now", "2026-01-01T00:00:00"], "UTC offset"),
        (["--app", "no_secret"], "KEY:SECRET"),
        (["--app", "k:s:Mars/Olympus"], "IANA"),
        (["--list-detail", "some"], "--list-detail"),
        (["--rate-limit", "0"], "--rate-limit"),
        (["--port", "70000"], "--port"),
    ],
)
def test_bad_flags_are_one_clear_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["emulator", "serve", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, AssertionError)


def test_port_in_use_is_a_clean_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["emulator", "serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output


def test_serve_help_has_an_example() -> None:
    result = CliRunner().invoke(main, ["emulator", "serve", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert "--detail-shape" in result.output


# serve_in_thread ----------------------------------------------------------------------------

BODY = {
    "name": "n",
    "enabled": True,
    "trigger": {"single": {"time": "2027-01-19 00:00:00"}},
    "push": {"to": "all", "body": {"platform": "all", "notification": {"alert": "x"}}},
}


def test_drop_after_commit_over_real_http(capfd: pytest.CaptureFixture[str]) -> None:
    settings = Settings(now=NOW)
    with serve_in_thread(settings) as url:
        assert url.startswith("http://127.0.0.1:")
        auth = ("demo_app_key", "demo_master_secret")
        with httpx.Client(base_url=url, auth=auth, timeout=10) as client:
            client.put("/_emulator/faults", json={"faults": ["drop-after-commit=1"]})
            with pytest.raises(httpx.RemoteProtocolError):
                client.post("/v4/schedules", json=BODY)
            (stored,) = client.get("/_emulator/state").json()["apps"]["demo_app_key"]["schedules"]
            with pytest.raises(httpx.RemoteProtocolError):  # empty answers are cut too
                client.delete(f"/v4/schedules/{stored['schedule_id']}")
            client.put("/_emulator/faults", json={"faults": ["error=503:1", "latency=5"]})
            unavailable = client.get("/v4/schedules")
            assert (unavailable.status_code, unavailable.json()["error"]["code"]) == (503, 28203)
            client.put("/_emulator/faults", json={"faults": ["error=429:1"]})
            limited = client.get("/v4/schedules")
            assert limited.status_code == 429
            assert limited.headers["Retry-After"] == "1"
            client.put("/_emulator/faults", json={"faults": []})
            assert client.get("/v4/schedules").json()["total_count"] == 0  # the delete committed
    assert "Traceback" not in capfd.readouterr().err


def test_a_cut_answer_whose_client_already_left_logs_no_traceback() -> None:
    """drop-after-commit chose to cut, but the client hung up mid-request: nothing to cut."""
    with serve("--now", NOW_ISO, "--fault", "drop-after-commit=1") as (proc, url, _):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        token = base64.b64encode(b"demo_app_key:demo_master_secret").decode()
        head = (
            "POST /v4/schedules HTTP/1.1\r\nHost: emulator\r\n"
            f"Authorization: Basic {token}\r\nContent-Type: application/json\r\n"
            "Content-Length: 4000\r\n\r\n"
        )
        for _ in range(3):  # the body is promised whole, then the client leaves
            with socket.create_connection((host, int(port)), timeout=10) as departing:
                departing.sendall(head.encode() + b'{"name": "gone')
        auth = ("demo_app_key", "demo_master_secret")
        with httpx.Client(base_url=url, auth=auth, timeout=10) as client:
            with pytest.raises(httpx.RemoteProtocolError):  # a staying client is still cut
                client.post("/v4/schedules", json=BODY)
            state = client.get("/_emulator/state").json()
        assert [s["name"] for s in state["apps"]["demo_app_key"]["schedules"]] == ["n"]
        # The graceful shutdown waits for the departed requests' handlers to finish.
        code, stderr = stop(proc, signal.SIGTERM)
    assert code == 0
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "Exception in ASGI application" not in stderr, stderr[-3000:]
