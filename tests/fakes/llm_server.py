"""Shared machinery of the fake cloud LLM servers (OpenAI, Anthropic, Gemini).

Each fake is a :class:`FakeLLMServer`: a small aiohttp app on ``127.0.0.1`` and a free port
that speaks one provider's HTTP API, answers from a script of :class:`Reply` items (one per
successful request, in order), records every request, and can be told to fail: answer an
HTTP error (500, 429, 401, ...) or hang without answering until the server stops.

Typical use::

    async with FakeOpenAI(script=tool_then_text("get_current_datetime", {"what": "time"},
                                                 "It is noon.")) as fake:
        settings = ...(openai_base_url=fake.base_url, openai_api_key=fake.api_key)
"""

import asyncio
import itertools
import json
import re
import socket
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Self

from aiohttp import web

Failure = int | Literal["hang"]

_ids = itertools.count(1)


def next_id(prefix: str) -> str:
    """A fresh id such as ``call_7`` (unique within the test process)."""
    return f"{prefix}{next(_ids)}"


async def serve_locally(app: web.Application) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on a free port of 127.0.0.1; returns its runner and port."""
    runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    return runner, sock.getsockname()[1]


@dataclass(frozen=True)
class ToolCall:
    """A tool call a fake makes: the tool's name and its arguments."""

    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """What a fake answers to one request: text, tool calls, or both (text first)."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


def tool_then_text(tool: str, args: dict[str, Any], text: str) -> list[Reply]:
    """The classic two-step script: call ``tool`` with ``args``, then say ``text``."""
    return [Reply(tool_calls=(ToolCall(tool, args),)), Reply(text=text)]


@dataclass
class RecordedRequest:
    """One request a fake received.

    Attributes:
        path: The request path, without the query.
        query: Query parameters.
        headers: Request headers, names lower-cased.
        body: The parsed JSON body.
        status: What the fake answered (200, an error status, or 0 while hanging).
    """

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]
    status: int = 0


@dataclass
class FakeLLMServer(ABC):
    """A local HTTP server standing in for one cloud LLM API.

    Attributes:
        script: Replies, one per successful request, in order.
        api_key: The only key the fake accepts (others get the provider's 401); None
            accepts any request.
        fail: Make requests fail: an HTTP status to answer, or ``"hang"`` to never answer.
        fail_times: How many requests fail (None: all of them while ``fail`` is set).
        chunk_delay: Seconds between streamed chunks.
        requests: Every request received, in order (failed ones included).
    """

    script: list[Reply] = field(default_factory=list)
    api_key: str | None = "test-key"
    fail: Failure | None = None
    fail_times: int | None = None
    chunk_delay: float = 0.0
    requests: list[RecordedRequest] = field(default_factory=list)
    _served: int = field(default=0, init=False)
    _failed: int = field(default=0, init=False)
    _runner: web.AppRunner | None = field(default=None, init=False)
    _port: int = field(default=0, init=False)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    # --- what each provider defines -----------------------------------------------------------

    @abstractmethod
    def route(self, path: str, query: dict[str, str], body: dict[str, Any]) -> bool | None:
        """Whether a request to ``path`` is streamed; None when the path is not an endpoint."""

    @abstractmethod
    def authorized(self, headers: dict[str, str]) -> bool:
        """Whether the request carries :attr:`api_key` the way the provider expects."""

    @abstractmethod
    def error_body(self, status: int) -> dict[str, Any]:
        """The provider's JSON error body for ``status``."""

    @abstractmethod
    def complete(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        """The provider's non-streamed JSON response carrying ``reply``."""

    @abstractmethod
    def events(self, body: dict[str, Any], reply: Reply) -> Iterator[str]:
        """The provider's streamed response carrying ``reply``: SSE frames, in order."""

    # --- running -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (valid once started)."""
        if self._runner is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies of the requests that were answered successfully."""
        return [r.body for r in self.requests if r.status == 200]

    async def start(self) -> str:
        """Listen on a free port of 127.0.0.1; returns :attr:`base_url`."""
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        self._runner, self._port = await serve_locally(app)
        return self.base_url

    async def stop(self) -> None:
        """Release hanging requests and stop listening."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # --- serving ---------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else {}
        record = RecordedRequest(
            path=request.path,
            query=dict(request.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
        )
        self.requests.append(record)
        streamed = self.route(request.path, record.query, body)
        if streamed is None:
            return self._error(record, 404)
        if self.api_key is not None and not self.authorized(record.headers):
            return self._error(record, 401)
        if self.fail is not None and (self.fail_times is None or self._failed < self.fail_times):
            self._failed += 1
            if self.fail == "hang":
                await self._stopping.wait()
                return self._error(record, 503)
            return self._error(record, self.fail)
        if self._served >= len(self.script):
            return self._error(record, 500)  # the test's script ran out: fail loudly
        reply = self.script[self._served]
        self._served += 1
        record.status = 200
        if not streamed:
            return web.json_response(self.complete(body, reply))
        return await self._stream(request, self.events(body, reply))

    def _error(self, record: RecordedRequest, status: int) -> web.Response:
        record.status = status
        headers = {"retry-after": "1"} if status == 429 else None
        return web.json_response(self.error_body(status), status=status, headers=headers)

    async def _stream(self, request: web.Request, frames: Iterable[str]) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for index, frame in enumerate(frames):
            if index and self.chunk_delay:
                await asyncio.sleep(self.chunk_delay)
            await response.write(frame.encode())
        await response.write_eof()
        return response


def sse(data: dict[str, Any] | str, event: str | None = None) -> str:
    """One server-sent event frame (``event:`` line optional)."""
    payload = data if isinstance(data, str) else json.dumps(data)
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {payload}\n\n"


def text_pieces(text: str) -> list[str]:
    """``text`` split into word-sized streamed pieces (spaces kept, so they re-join exactly)."""
    return re.findall(r"\s*\S+\s*", text) if text.strip() else ([text] if text else [])


def json_pieces(args: dict[str, Any], size: int = 8) -> list[str]:
    """A tool call's JSON arguments split into ``size``-character streamed fragments."""
    text = json.dumps(args)
    return [text[i : i + size] for i in range(0, len(text), size)]
