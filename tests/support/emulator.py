"""The emulator's HTTP API, in-process and synchronous, for the emulator's own contract tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from starlette.applications import Starlette

from reconciler.emulator import Settings, create_app
from reconciler.emulator.transport import EmulatorTransport

T = TypeVar("T")
#: The emulator's first app signs in, unless a test says otherwise.
FIRST_APP: Any = object()


class Api:
    """A synchronous face on an in-process httpx.AsyncClient (one event loop per client).

    ``auth`` defaults to the first app of ``settings``; ``None`` sends no credentials.
    Pass ``app`` to share another client's emulator (and store).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        auth: tuple[str, str] | None = FIRST_APP,
        app: Starlette | None = None,
    ) -> None:
        self.app = create_app(settings) if app is None else app
        if auth is FIRST_APP:
            auth = (settings.apps[0].key, settings.apps[0].secret)
        self.app_key = settings.apps[0].key if auth is None else auth[0]
        self._runner = asyncio.Runner()
        self.client = httpx.AsyncClient(
            transport=EmulatorTransport(self.app), base_url="http://emulator", auth=auth
        )

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on this client's event loop (to send requests concurrently)."""
        return self._runner.run(work)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.run(self.client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def create(self, body: dict[str, Any]) -> str:
        """POST a schedule that must be accepted; its id."""
        response = self.post("/v4/schedules", json=body)
        assert response.status_code == 200, response.text
        return str(response.json()["schedule_id"])

    def status(self, sid: str) -> int:
        return self.get(f"/v4/schedules/{sid}").status_code

    def runs(self, sid: str) -> list[dict[str, Any]]:
        """The schedule's msg-ids, each decoded from the JSON string the API sends."""
        answer = self.get(f"/v4/schedules/{sid}/msg-ids").json()
        assert answer["count"] == len(answer["MsgIds"])
        return [json.loads(item) for item in answer["MsgIds"]]

    def fire_times(self, sid: str) -> list[str]:
        """When the schedule's runs fired, in UTC, to the minute."""
        return [
            datetime.fromtimestamp(run["ts"] / 1000, UTC).strftime("%Y-%m-%d %H:%M")
            for run in self.runs(sid)
        ]

    # The /_emulator admin API ------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return dict(self.get("/_emulator/state").json())

    def count(self) -> int:
        """How many of this app's schedules are active (not expired)."""
        return sum(not s["expired"] for s in self.state()["apps"][self.app_key]["schedules"])

    def set_clock(self, when: str | None) -> dict[str, Any]:
        response = self.put("/_emulator/clock", json={"now": when})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def faults(self, *specs: str, **extra: Any) -> httpx.Response:
        return self.put("/_emulator/faults", json={"faults": list(specs), **extra})

    def close(self) -> None:
        self.run(self.client.aclose())
        self._runner.close()


def error_of(response: httpx.Response) -> tuple[int, int]:
    """(HTTP status, API code) of an error answer, which must be {"error": {code, message}}."""
    body = response.json()
    assert isinstance(body, dict), response.text
    assert set(body) == {"error"}, response.text
    assert isinstance(body["error"]["message"], str), response.text
    assert body["error"]["message"], response.text
    return response.status_code, body["error"]["code"]
