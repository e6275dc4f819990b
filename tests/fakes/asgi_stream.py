"""Reading a Server-Sent Events response from an in-process ASGI app as it streams.

``httpx.ASGITransport`` collects the whole body before answering, which a live stream never
finishes; this drives the app directly and hands out each event as it is sent.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message


@dataclass(frozen=True)
class Event:
    """One Server-Sent Event."""

    event: str
    data: Any


class EventStream:
    """The events of one open response, in order."""

    def __init__(self, status: int, headers: dict[str, str], body: "asyncio.Queue[bytes]") -> None:
        self.status = status
        self.headers = headers
        self._body = body
        self._buffer = ""

    async def next(self, timeout: float = 5.0) -> Event:
        """The next event (comments skipped).

        Raises:
            TimeoutError: None arrived within ``timeout`` seconds.
        """
        async with asyncio.timeout(timeout):
            while True:
                while "\n\n" in self._buffer:
                    block, self._buffer = self._buffer.split("\n\n", 1)
                    fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
                    if "event" in fields:
                        return Event(fields["event"], json.loads(fields.get("data", "null")))
                self._buffer += (await self._body.get()).decode()

    async def until(self, kind: str, timeout: float = 5.0, **match: Any) -> Event:
        """The next ``kind`` event whose data has every ``match`` item (others are skipped)."""
        async with asyncio.timeout(timeout):
            while True:
                event = await self.next(timeout)
                if event.event == kind and all(event.data.get(k) == v for k, v in match.items()):
                    return event


@asynccontextmanager
async def open_stream(
    app: ASGIApp, url: str, headers: dict[str, str] | None = None
) -> AsyncIterator[EventStream]:
    """``GET url`` on ``app``; the response's events until the block ends (then disconnect)."""
    parts = urlsplit(url)
    sent: asyncio.Queue[Message] = asyncio.Queue()
    gone = asyncio.Event()
    asked = False

    async def receive() -> Message:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        await sent.put(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 40000),
        "server": ("cc.test", 80),
    }
    task = asyncio.create_task(app(scope, receive, send))
    body: asyncio.Queue[bytes] = asyncio.Queue()

    async def pump() -> None:
        while True:
            message = await sent.get()
            if message["type"] == "http.response.body":
                await body.put(message.get("body", b""))

    start = await asyncio.wait_for(sent.get(), 10)
    pumping = asyncio.create_task(pump())
    response_headers = {k.decode(): v.decode() for k, v in start.get("headers", [])}
    try:
        yield EventStream(start["status"], response_headers, body)
    finally:
        gone.set()
        pumping.cancel()
        with suppress(TimeoutError):
            await asyncio.wait_for(task, 5)
        await asyncio.gather(pumping, return_exceptions=True)
