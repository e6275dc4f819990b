"""A local fake SuiteCRM 8: its OAuth2 token endpoint and the JSON:API v8 module endpoints.

It answers as SuiteCRM does (``Api/V8`` and league/oauth2-server), errors included:

* ``POST /Api/access_token`` (form, ``client_credentials``) → a Bearer token; wrong client →
  401 ``{"error": "invalid_client", ...}``;
* ``POST /Api/V8/module`` creates (with the client's ``data.id`` when given; an existing id →
  400 ``Bean X with id Y is already exist``), ``PATCH`` updates (unknown id → 404), both
  answering ``{"data": {"type", "id", "attributes"}}``; a missing required field → 422
  ``{"errors": {"status", "title", "detail"}}``;
* a revoked or unknown token → 401 ``{"error": "access_denied", "hint": "Access token could
  not be verified", ...}``.

Tests switch it: :meth:`FakeSuiteCrm.go_down` (503 on everything), :meth:`expire_tokens`
(every issued token becomes invalid), ``delay_secs`` (answers late), ``fail_next`` (the next
N module requests get a given status). ``records`` holds what was stored, ``requests`` every
request seen.
"""

import asyncio
import itertools
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web

from tests.fakes.llm_server import serve_locally

CLIENT_ID, CLIENT_SECRET = "convonet-test", "fake-suitecrm-secret"
REQUIRED = {"Contacts": "last_name", "Meetings": "name", "Cases": "name", "Notes": "name"}


def _error(status: int, title: str, detail: str) -> web.Response:
    body = {"errors": {"status": status, "title": title, "detail": detail}}
    return web.json_response(body, status=status, content_type="application/vnd.api+json")


def _oauth_error(error: str, message: str, hint: str | None = None) -> web.Response:
    body = {"error": error, "error_description": message, "message": message}
    if hint:
        body["hint"] = hint
    return web.json_response(body, status=401)


@dataclass
class FakeSuiteCrm:
    """The fake's state and switches (see the module docstring)."""

    records: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, int]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    tokens_issued: int = 0
    down: bool = False
    delay_secs: float = 0.0
    fail_next: list[int] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None
    _ids: "itertools.count[int]" = field(default_factory=itertools.count)

    def go_down(self) -> None:
        """Answer 503 to everything until :meth:`come_back`."""
        self.down = True

    def come_back(self) -> None:
        """Answer normally again."""
        self.down = False

    def expire_tokens(self) -> None:
        """Every token issued so far stops working (as when it expires)."""
        self.tokens.clear()

    def of(self, module: str) -> list[dict[str, Any]]:
        """The stored records of ``module`` (attributes with their ``id``)."""
        return [attrs | {"id": rid} for (mod, rid), attrs in self.records.items() if mod == module]

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return _oauth_error("invalid_client", "Client authentication failed")
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        self.tokens_issued += 1
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3600, "access_token": token}
        )

    def _refusal(self, request: web.Request) -> web.Response | None:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return _oauth_error(
                "access_denied",
                "The resource owner or authorization server denied the request.",
                "Access token could not be verified",
            )
        if self.fail_next:
            status = self.fail_next.pop(0)
            return _error(status, "Fault", f"injected failure {status}")
        return None

    async def _module(self, request: web.Request) -> web.Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        try:
            data = (await request.json())["data"]
            module, attributes = str(data["type"]), dict(data.get("attributes") or {})
        except (ValueError, KeyError, TypeError):
            return _error(400, "Bad Request", "The request body is not a JSON:API document")
        if module not in REQUIRED:
            return _error(400, "Bad Request", f"Module {module} does not exist")
        record_id = data.get("id")
        if request.method == "PATCH":
            key = (module, str(record_id))
            if key not in self.records:
                return _error(404, "Not Found", f"{module} with id {record_id} not found")
            self.records[key].update(attributes)
            status = 200
        else:
            record_id = str(record_id or uuid.UUID(int=next(self._ids)))
            if (module, record_id) in self.records:
                detail = f"Bean {module} with id {record_id} is already exist"
                return _error(400, "Bad Request", detail)
            if not attributes.get(REQUIRED[module]):
                return _error(422, "Unprocessable Entity", f"{REQUIRED[module]} is required")
            self.records[(module, record_id)] = attributes
            status = 201
        body = {"data": {"type": module, "id": record_id, "attributes": attributes}}
        return web.json_response(body, status=status, content_type="application/vnd.api+json")

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.delay_secs:
            await asyncio.sleep(self.delay_secs)
        if self.down:
            response: web.StreamResponse = _error(503, "Service Unavailable", "maintenance")
        else:
            response = await handler(request)
        self.requests.append((request.method, request.path, response.status))
        return response

    async def start(self) -> Self:
        """Serve on a free loopback port (``url`` is its base)."""
        app = web.Application(middlewares=[self._middleware])
        app.router.add_post("/Api/access_token", self._token)
        app.router.add_post("/Api/V8/module", self._module)
        app.router.add_patch("/Api/V8/module", self._module)
        self._runner, port = await serve_locally(app)
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
