"""Shared machinery of the fake cloud speech servers.

Each fake (:mod:`tests.fakes.deepgram`, :mod:`tests.fakes.elevenlabs`,
:mod:`tests.fakes.cartesia`) is a :class:`FakeProviderServer`: a ``websockets`` server on
``127.0.0.1`` and a free port that refuses bad handshakes the way its provider does, speaks the
provider's streaming protocol on accepted connections, and records everything it saw and sent.

Speech is a deterministic sine tone lasting a fixed time per character of text
(:func:`tone_for_text`), so a test can predict the exact PCM bytes a fake will send.
"""

import asyncio
import contextlib
import json
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

import numpy as np
from loguru import logger
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

DEFAULT_MS_PER_CHAR = 50.0
DEFAULT_CHARS_PER_CHUNK = 8
TONE_HZ = 440.0
TONE_AMPLITUDE = 0.3

Job = Callable[[], Awaitable[None]]


def tone_for_text(text: str, sample_rate: int, ms_per_char: float = DEFAULT_MS_PER_CHAR) -> bytes:
    """Synthesize the fake voice: a 440 Hz tone lasting ``ms_per_char`` per character.

    Args:
        text: The text being spoken; its length (spaces included) sets the duration.
        sample_rate: Output sample rate in Hz.
        ms_per_char: Milliseconds of audio per character.

    Returns:
        Mono 16-bit little-endian PCM; empty when ``text`` is blank.
    """
    if not text.strip():
        return b""
    samples = _samples_per_char(sample_rate, ms_per_char) * len(text)
    t = np.arange(samples) / sample_rate
    wave = TONE_AMPLITUDE * np.sin(2 * np.pi * TONE_HZ * t)
    return (wave * 32767).astype("<i2").tobytes()


def _samples_per_char(sample_rate: int, ms_per_char: float) -> int:
    return max(1, round(sample_rate * ms_per_char / 1000))


@dataclass(frozen=True)
class Chunk:
    """One piece of an utterance as a fake streams it."""

    text: str  # the characters this chunk voices
    offset: int  # index of the first of them in the utterance
    pcm: bytes  # their audio
    ms_per_char: float


@dataclass(frozen=True)
class Utterance:
    """Text a fake synthesized, with all of its audio (16-bit mono PCM)."""

    text: str
    pcm: bytes
    sample_rate: int
    context_id: str | None = None  # the client's, for protocols that have one

    def chunks(self, chars_per_chunk: int, ms_per_char: float) -> Iterator[Chunk]:
        """Split the audio into chunks of ``chars_per_chunk`` whole characters, in order."""
        if not self.pcm:
            return
        bytes_per_char = 2 * _samples_per_char(self.sample_rate, ms_per_char)
        for offset in range(0, len(self.text), chars_per_chunk):
            text = self.text[offset : offset + chars_per_chunk]
            pcm = self.pcm[offset * bytes_per_char : (offset + len(text)) * bytes_per_char]
            yield Chunk(text, offset, pcm, ms_per_char)


@dataclass
class RecordedRequest:
    """A handshake a fake refused (fields as in :class:`RecordedConnection`)."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int  # what the fake answered


@dataclass
class RecordedConnection:
    """Everything that happened on one accepted websocket connection.

    Attributes:
        path: Request path, without the query.
        query: Query parameters (last value wins).
        headers: Request headers, names lower-cased.
        received: Messages from the client, in order (``str`` text, ``bytes`` binary).
        sent: Messages the fake sent, in order.
        utterances: What the fake synthesized (TTS fakes), in order.
        audio_sent: The synthesized audio actually streamed (less than the utterances' when a
            client cancelled mid-stream).
        streams: One entry per finished stream of an utterance: True if it was sent whole,
            False if a cancel cut it short.
        finished: Set once the connection is over and the fake has stopped using it.
    """

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    received: list[str | bytes] = field(default_factory=list)
    sent: list[str | bytes] = field(default_factory=list)
    utterances: list[Utterance] = field(default_factory=list)
    audio_sent: bytearray = field(default_factory=bytearray)
    streams: list[bool] = field(default_factory=list)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    _changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def note_received(self, message: str | bytes) -> None:
        """Record a message from the client."""
        self._note(self.received, message)

    def note_sent(self, message: str | bytes) -> None:
        """Record a message to the client."""
        self._note(self.sent, message)

    def note_stream_end(self, complete: bool) -> None:
        """Record that streaming an utterance ended, whole or cut short."""
        self._note(self.streams, complete)

    def _note(self, log: list[Any], item: Any) -> None:
        log.append(item)
        self._changed.set()

    async def wait_until(self, condition: Callable[["RecordedConnection"], bool]) -> None:
        """Wait until ``condition(self)`` holds (re-checked after every recorded event).

        Callers bound the wait themselves (``asyncio.timeout``).
        """
        while not condition(self):
            self._changed.clear()
            await self._changed.wait()

    @property
    def json_received(self) -> list[dict[str, Any]]:
        """The client's text messages, parsed."""
        return [json.loads(m) for m in self.received if isinstance(m, str)]

    @property
    def json_sent(self) -> list[dict[str, Any]]:
        """The fake's text messages, parsed."""
        return [json.loads(m) for m in self.sent if isinstance(m, str)]

    @property
    def audio_received(self) -> bytes:
        """All binary messages from the client, concatenated."""
        return b"".join(m for m in self.received if isinstance(m, bytes))


@dataclass(frozen=True)
class Refusal:
    """How a fake turns down a handshake: HTTP status, body and extra headers."""

    status: HTTPStatus
    body: str
    headers: dict[str, str] = field(default_factory=dict)


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
        record = RecordedConnection(path, query, headers)
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


def new_id() -> str:
    """A fresh request/model id, formatted like the providers' UUIDs."""
    return str(uuid.uuid4())
