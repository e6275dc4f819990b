"""Test helpers: a local Sentry endpoint, fake LLM APIs on their own thread, /metrics parsing.

* :class:`SentryRelay` listens on ``127.0.0.1`` and keeps every envelope the Sentry SDK
  POSTs to ``/api/<project>/envelope/`` (gzip or plain), parsed into items.
* :class:`ThreadedFake` runs a :class:`~tests.fakes.llm_server.FakeLLMServer` on an event
  loop of its own, so a :class:`~tests.conftest.LiveServer` (another thread) can use it from
  synchronous, module-scoped fixtures.
* :func:`scrape` reads ``/metrics`` into ``{(sample name, labels): value}``.
"""

import asyncio
import gzip
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.fakes.llm_server import FakeLLMServer

Labels = frozenset[tuple[str, str]]
Samples = dict[tuple[str, Labels], float]


@dataclass
class Envelope:
    """One envelope: its header and its items as ``(item header, parsed payload)``."""

    header: dict[str, Any]
    items: list[tuple[dict[str, Any], Any]]
    path: str


def parse_envelope(body: bytes, path: str = "") -> Envelope:
    """Parse the Sentry envelope format (newline-separated JSON headers and payloads)."""
    header_line, _, rest = body.partition(b"\n")
    items: list[tuple[dict[str, Any], Any]] = []
    while rest.strip():
        item_line, _, rest = rest.partition(b"\n")
        item_header = json.loads(item_line)
        length = item_header.get("length")
        if length is None:
            payload, _, rest = rest.partition(b"\n")
        else:
            payload, rest = rest[:length], rest[length + 1 :]
        try:
            parsed: Any = json.loads(payload)
        except ValueError:
            parsed = payload
        items.append((item_header, parsed))
    return Envelope(json.loads(header_line), items, path)


@dataclass
class SentryRelay:
    """A local stand-in for Sentry's ingest endpoint."""

    envelopes: list[Envelope] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "SentryRelay":
        """Listen on a free port of 127.0.0.1 (in a daemon thread)."""
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding:
                    raise AssertionError(f"unexpected Content-Encoding {encoding!r}")
                with relay._lock:
                    relay.envelopes.append(parse_envelope(body, self.path))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def dsn(self, project: str = "42") -> str:
        """A DSN pointing the SDK here."""
        assert self._server is not None
        return f"http://publickey@127.0.0.1:{self._server.server_address[1]}/{project}"

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Event payloads received so far (``kind``: ``transaction``, ``event``, ...)."""
        with self._lock:
            return [
                payload
                for envelope in self.envelopes
                for header, payload in envelope.items
                if kind is None or header.get("type") == kind
            ]

    def wait_for(
        self, predicate: Callable[[list[dict[str, Any]]], bool], kind: str, timeout: float
    ) -> list[dict[str, Any]]:
        """Wait until ``predicate(events(kind))`` holds; returns those events."""
        deadline = time.monotonic() + timeout
        while not predicate(found := self.events(kind)):
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching {kind} within {timeout}s: {found}")
            time.sleep(0.05)
        return found


class ThreadedFake:
    """Runs a fake LLM API on an event loop in a daemon thread."""

    def __init__(self, fake: FakeLLMServer) -> None:
        self.fake = fake
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> FakeLLMServer:
        """Start serving; returns the fake (its ``base_url`` is set)."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.fake.start(), self._loop).result(10)
        return self.fake

    def stop(self) -> None:
        """Stop the fake and its loop."""
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def parse_exposition(text: str) -> Samples:
    """Prometheus text format parsed into ``{(sample name, labels): value}``."""
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


async def scrape(base_url: str) -> Samples:
    """``GET /metrics`` of a running app, parsed."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse_exposition(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value (0 when absent, as for a counter never incremented)."""
    return samples.get((name, frozenset(labels.items())), 0.0)
