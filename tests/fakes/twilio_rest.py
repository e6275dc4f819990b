"""A local fake of Twilio's REST API (the call-update endpoint) for the real ``twilio`` SDK.

It checks HTTP basic auth (account SID + auth token) like Twilio, records every request with
its form body and the moment it arrived, and answers ``POST
/2010-04-01/Accounts/{sid}/Calls/{call_sid}.json`` (update) and ``POST .../Calls.json``
(create: a new ``CA...`` SID) with a call resource, or with the status
:attr:`FakeTwilioREST.fail_with` (Twilio's JSON error shape), or not at all for
:attr:`FakeTwilioREST.hang_secs` (a timeout).
"""

import asyncio
import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web

from tests.fakes.llm_server import serve_locally


@dataclass
class RestRequest:
    """One request the fake received."""

    method: str
    path: str
    form: dict[str, str]
    at: float
    status: int


@dataclass
class FakeTwilioREST:
    """Twilio's REST API on 127.0.0.1 and a free port."""

    account_sid: str
    auth_token: str
    fail_with: int | None = None
    hang_secs: float = 0.0
    requests: list[RestRequest] = field(default_factory=list)
    _runner: web.AppRunner | None = field(default=None, init=False)
    _port: int = field(default=0, init=False)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:{port}``."""
        return f"http://127.0.0.1:{self._port}"

    def call_updates(self) -> list[RestRequest]:
        """The successful call updates, oldest first."""
        return [r for r in self.requests if "/Calls/" in r.path and r.status == 200]

    def created_calls(self) -> list[RestRequest]:
        """The successful call creations, oldest first (``sid`` in their form)."""
        return [r for r in self.requests if r.path.endswith("/Calls.json") and r.status == 200]

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner, self._port = await serve_locally(app)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _authorized(self, request: web.Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    async def _handle(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        status = 401 if not self._authorized(request) else (self.fail_with or 200)
        self.requests.append(RestRequest(request.method, request.path, form, time.time(), status))
        if self.hang_secs:
            await asyncio.sleep(self.hang_secs)
        if status != 200:
            body: dict[str, Any] = {"code": 20000 + status, "message": f"fake error {status}"}
            body["status"] = status
            return web.json_response(body, status=status)
        if request.path.endswith("/Calls.json"):  # create: Twilio names the new call
            form["sid"] = call_sid = f"CA{uuid.uuid4().hex}"
            state = "queued"
        else:
            call_sid = request.path.rsplit("/", 1)[-1].removesuffix(".json")
            state = form.get("Status", "in-progress")
        return web.json_response(
            {"sid": call_sid, "account_sid": self.account_sid, "status": state}
        )
