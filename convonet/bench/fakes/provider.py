"""The shared machinery of the fake cloud speech servers.

Each fake (:mod:`convonet.bench.fakes.deepgram`, and the test suite's ElevenLabs and Cartesia
fakes) is a :class:`FakeProviderServer`: a ``websockets`` server on ``127.0.0.1`` and a free
port that refuses bad handshakes the way its provider does, speaks the provider's streaming
protocol on accepted connections, and records everything it saw and sent. The benchmarks use
them as network speech providers with a configurable latency.
"""

import asyncio
import contextlib
import json
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from loguru import logger
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from convonet.bench.fakes.recording import (
    DEFAULT_CHARS_PER_CHUNK,
    DEFAULT_MS_PER_CHAR,
    Chunk,
    RecordedConnection,
    RecordedRequest,
    Refusal,
    Utterance,
    tone_for_text,
)

Job = Callable[[], Awaitable[None]]


class StopStreaming(Exception):
    """Raised by a chunk sender to abandon the rest of an utterance."""


class Outbox:
    """Runs a connection's outgoing work in order, off the receive loop.

    Jobs (synthesis, results, control replies) run one after another, so replies keep the
    order of the requests that caused them while the fake keeps reading (to see a cancel
    that arrives mid-synthesis, say).
    """

    def __init__(
        self,
        websocket: ServerConnection,
        record: RecordedConnection,
        on_error: Callable[[Exception], None],
    ) -> None:
        self._websocket = websocket
        self._record = record
        self._on_error = on_error
        self._jobs: asyncio.Queue[Job] = asyncio.Queue()
        self._task = asyncio.create_task(self._run())

    def put(self, job: Job) -> None:
        """Queue a job behind the ones already queued."""
        self._jobs.put_nowait(job)

    async def send(self, message: str | bytes) -> None:
        """Send one message now, recording it."""
        self._record.note_sent(message)
        await self._websocket.send(message)

    async def send_json(self, message: dict[str, Any]) -> None:
        """Send one JSON text message now, recording it."""
        await self.send(json.dumps(message))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the websocket from the server side."""
        await self._websocket.close(code, reason)

    async def shutdown(self) -> None:
        """Stop running jobs (the connection is over)."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        try:
            while True:
                job = await self._jobs.get()
                await job()
        except ConnectionClosed:
            pass
        except Exception as exc:  # a bug in the fake: report it and drop the client
            self._on_error(exc)
            await self._websocket.close(1011, "fake server error")


class FakeProviderServer(ABC):
    """A local websocket server standing in for one cloud speech provider.

    Use ``async with Fake(api_key=...) as fake:`` or :meth:`start` / :meth:`stop`; point the
    provider's URL setting at :attr:`url`. A server serves any number of concurrent
    connections, each recorded in :attr:`connections`.

    Attributes:
        api_key: The only key the fake accepts.
        latency: Seconds a fake waits before its first reply to each request (time to first
            audio for TTS, time to each result for STT).
        chunk_delay: Seconds between consecutive audio chunks of one utterance.
        ms_per_char: Milliseconds of synthesized audio per character.
        chars_per_chunk: Characters voiced by each streamed audio chunk.
        connections: Accepted connections, in order.
        rejected: Refused handshakes, in order.
        errors: Exceptions raised by the fake itself while serving (a bug in the fake).
        keep_audio: Keep the audio clients send in each connection's record (benchmarks
            turn this off so a long run does not hoard memory).
        deflate: Accept permessage-deflate when a client offers it (set before
            :meth:`start`); compressing PCM costs the client CPU for nothing.
    """

    def __init__(
        self,
        *,
        api_key: str,
        latency: float = 0.0,
        chunk_delay: float = 0.0,
        ms_per_char: float = DEFAULT_MS_PER_CHAR,
        chars_per_chunk: int = DEFAULT_CHARS_PER_CHUNK,
    ) -> None:
        self.api_key = api_key
        self.latency = latency
        self.chunk_delay = chunk_delay
        self.ms_per_char = ms_per_char
        self.chars_per_chunk = chars_per_chunk
        self.connections: list[RecordedConnection] = []
        self.rejected: list[RecordedRequest] = []
        self.errors: list[BaseException] = []
        self.keep_audio = True
        self.deflate = True
        self._server: Server | None = None
        self._port = 0

    #: What follows ``ws://host:port`` in :attr:`url` (base-URL providers need nothing).
    URL_PATH = ""

    @property
    def url(self) -> str:
        """The URL to put in the provider's setting (valid once started)."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"ws://127.0.0.1:{self._port}{self.URL_PATH}"

    async def start(self) -> str:
        """Start listening on a free port of 127.0.0.1 and return :attr:`url`."""
        self._server = await serve(
            self._serve,
            "127.0.0.1",
            0,
            process_request=self._process_request,
            process_response=self._process_response,
            max_size=16 * 1024 * 1024,
            compression="deflate" if self.deflate else None,
        )
        self._port = next(iter(self._server.sockets)).getsockname()[1]
        return self.url

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def stream(
        self,
        record: RecordedConnection,
        utterance: Utterance,
        send_chunk: Callable[[Chunk], Awaitable[None]],
    ) -> bool:
        """Synthesize and stream text chunk by chunk, with the configured latency and pacing.

        Args:
            record: The connection streamed on; gets the utterance and the audio sent.
            utterance: What to voice (see :meth:`utterance`).
            send_chunk: Sends one chunk in the provider's framing; it may raise
                :class:`StopStreaming` to abandon the rest (a cancel arrived).

        Returns:
            True if every chunk was sent, False if streaming was abandoned.
        """
        record.utterances.append(utterance)
        await asyncio.sleep(self.latency)
        for index, chunk in enumerate(utterance.chunks(self.chars_per_chunk, self.ms_per_char)):
            if index and self.chunk_delay:
                await asyncio.sleep(self.chunk_delay)
            try:
                await send_chunk(chunk)
            except StopStreaming:
                record.note_stream_end(complete=False)
                return False
            record.audio_sent.extend(chunk.pcm)
        record.note_stream_end(complete=True)
        return True

    @abstractmethod
    def refuse(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Refusal | None:
        """Decide whether to refuse a handshake, as the real provider would.

        Args:
            path: Request path, without the query.
            query: Query parameters.
            headers: Request headers, names lower-cased.

        Returns:
            A refusal, or None to accept the connection.
        """

    @abstractmethod
    async def converse(
        self, websocket: ServerConnection, record: RecordedConnection, outbox: Outbox
    ) -> None:
        """Speak the provider's protocol on an accepted connection until it closes.

        Args:
            websocket: The connection.
            record: Where the connection is recorded (already appended to
                :attr:`connections`; the subclass records what it receives with
                :meth:`RecordedConnection.note_received`).
            outbox: The connection's ordered outgoing work.
        """

    def utterance(self, text: str, sample_rate: int, context_id: str | None = None) -> Utterance:
        """The fake's voicing of ``text`` (:func:`tone_for_text` at this fake's pace)."""
        pcm = tone_for_text(text, sample_rate, self.ms_per_char)
        return Utterance(text, pcm, sample_rate, context_id)

    def response_headers(self) -> dict[str, str]:
        """Headers the provider adds to a successful upgrade response."""
        return {}

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path, query, headers = _split_request(request)
        refusal = self.refuse(path, query, headers)
        if refusal is None:
            return None
        self.rejected.append(RecordedRequest(path, query, headers, refusal.status.value))
        response = connection.respond(refusal.status, refusal.body)
        for name, value in refusal.headers.items():
            response.headers[name] = value
        return response

    def _process_response(
        self, connection: ServerConnection, request: Request, response: Response
    ) -> None:
        if response.status_code == HTTPStatus.SWITCHING_PROTOCOLS:
            for name, value in self.response_headers().items():
                response.headers[name] = value

    async def _serve(self, websocket: ServerConnection) -> None:
        assert websocket.request is not None
        path, query, headers = _split_request(websocket.request)
        record = RecordedConnection(path, query, headers, keep_audio=self.keep_audio)
        self.connections.append(record)
        outbox = Outbox(websocket, record, self._record_error)
        try:
            await self.converse(websocket, record, outbox)
        except ConnectionClosed:
            pass
        except Exception as exc:  # a bug in the fake: keep it for the test to see
            self._record_error(exc)
        finally:
            await outbox.shutdown()
            record.finished.set()

    def _record_error(self, exc: Exception) -> None:
        logger.opt(exception=exc).error(f"{type(self).__name__} failed")
        self.errors.append(exc)


def _split_request(request: Request) -> tuple[str, dict[str, str], dict[str, str]]:
    url = urlsplit(request.path)
    query = dict(parse_qsl(url.query, keep_blank_values=True))
    headers = {name.lower(): value for name, value in request.headers.raw_items()}
    return url.path, query, headers
