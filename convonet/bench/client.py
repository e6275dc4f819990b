"""A lightweight scripted caller for ``/ws``: raw websocket frames in pipecat's protobuf.

Unlike a pipecat client pipeline it costs almost no CPU, so one process can play many callers
while the server under test gets the machine. Like a microphone it streams 20 ms of audio at
real-time pace for the whole call (silence between utterances) and records when each RTVI
message and each chunk of bot audio arrives (``time.monotonic``).
"""

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

from convonet import __version__

CHUNK_SECS = 0.02
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


@dataclass
class Heard:
    """What the caller received, with arrival times.

    Attributes:
        messages: RTVI messages as ``(time, message)``.
        audio: Bot audio chunks as ``(time, seconds of audio)``.
        send_lags: For every audio chunk sent late, how late (seconds): a caller that cannot
            keep real-time pace would skew the figures, so the benchmarks report it.
        chunks_sent: Audio chunks sent.
    """

    messages: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    audio: list[tuple[float, float]] = field(default_factory=list)
    send_lags: list[float] = field(default_factory=list)
    chunks_sent: int = 0

    def count(self, kind: str) -> int:
        """How many RTVI messages of type ``kind`` arrived."""
        return sum(1 for _, message in self.messages if message.get("type") == kind)

    @property
    def audio_secs(self) -> float:
        """Seconds of bot audio received."""
        return sum(secs for _, secs in self.audio)


@dataclass
class _Utterance:
    pcm: bytes
    end_byte: int
    ended: asyncio.Future[float]
    offset: int = 0


def audio_message(pcm: bytes, sample_rate: int) -> bytes:
    """One protobuf audio frame as a pipecat client sends it."""
    from pipecat.frames.protobufs import frames_pb2

    frame = frames_pb2.Frame()  # type: ignore[attr-defined]
    frame.audio.audio = pcm
    frame.audio.sample_rate = sample_rate
    frame.audio.num_channels = 1
    return bytes(frame.SerializeToString())


def rtvi_message(message: dict[str, Any]) -> bytes:
    """One RTVI message in pipecat's protobuf ``MessageFrame``."""
    from pipecat.frames.protobufs import frames_pb2

    frame = frames_pb2.Frame()  # type: ignore[attr-defined]
    frame.message.data = json.dumps(message)
    return bytes(frame.SerializeToString())


class Caller:
    """One caller on ``ws_url`` (use as ``async with Caller(url) as caller``)."""

    def __init__(self, ws_url: str, sample_rate: int = 16000, *, deflate: bool = False) -> None:
        """Set up (nothing connects until ``async with``).

        Args:
            ws_url: The call's websocket URL.
            sample_rate: The caller's audio rate.
            deflate: Offer permessage-deflate, as browsers do (the server may decline it).
        """
        self.ws_url = ws_url
        self.sample_rate = sample_rate
        self.deflate = deflate
        self.heard = Heard()
        self._changed = asyncio.Event()
        self._queue: list[_Utterance] = []
        self._chunk_bytes = int(sample_rate * CHUNK_SECS) * 2
        self._silence = audio_message(b"\x00" * self._chunk_bytes, sample_rate)
        self._tasks: list[asyncio.Task[None]] = []
        self._ws: Any = None

    async def __aenter__(self) -> Self:
        from websockets.asyncio.client import connect

        compression = "deflate" if self.deflate else None
        self._ws = await connect(self.ws_url, max_size=MAX_MESSAGE_BYTES, compression=compression)
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._stream())]
        about = {"library": "convonet-bench", "library_version": __version__}
        await self._ws.send(
            rtvi_message(
                {
                    "label": "rtvi-ai",
                    "type": "client-ready",
                    "id": "bench",
                    "data": {"version": "1.0.0", "about": about},
                }
            )
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def compressed(self) -> bool:
        """Whether the server accepted permessage-deflate (once connected)."""
        return bool(self._ws is not None and self._ws.protocol.extensions)

    async def close(self) -> None:
        """Hang up."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 5)

    async def say(self, pcm: bytes, speech_end_secs: float) -> float:
        """Queue ``pcm`` after what is being said; return when its speech ended.

        Args:
            pcm: 16-bit mono PCM at :attr:`sample_rate`.
            speech_end_secs: Where speech ends in ``pcm``.

        Returns:
            ``time.monotonic()`` when the chunk holding the last speech sample was sent (a
            microphone sends a chunk once it is recorded, so the caller had stopped talking).
        """
        end_byte = min(len(pcm), max(2, int(speech_end_secs * self.sample_rate) * 2))
        ended: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._queue.append(_Utterance(pcm, end_byte, ended))
        return await ended

    async def wait_for(self, predicate: Callable[[Heard], bool], timeout: float) -> None:
        """Wait until ``predicate(heard)`` holds.

        Raises:
            TimeoutError: It did not hold within ``timeout`` seconds.
        """
        async with asyncio.timeout(timeout):
            while not predicate(self.heard):
                self._changed.clear()
                await self._changed.wait()

    def _next_chunk(self) -> tuple[bytes, _Utterance | None]:
        """The next 20 ms to send, and the utterance whose speech it ends (if it does)."""
        if not self._queue:
            return self._silence, None
        utterance = self._queue[0]
        start, stop = utterance.offset, utterance.offset + self._chunk_bytes
        pcm = utterance.pcm[start:stop].ljust(self._chunk_bytes, b"\x00")
        utterance.offset = stop
        if stop >= len(utterance.pcm):
            self._queue.pop(0)
        ends = start < utterance.end_byte <= stop
        return audio_message(pcm, self.sample_rate), utterance if ends else None

    async def _stream(self) -> None:
        started = time.monotonic()
        index = 0
        while True:
            message, ending = self._next_chunk()
            await self._ws.send(message)
            self.heard.chunks_sent += 1
            if ending is not None and not ending.ended.done():
                ending.ended.set_result(time.monotonic())
            index += 1
            delay = started + index * CHUNK_SECS - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.001:
                self.heard.send_lags.append(-delay)

    async def _read(self) -> None:
        from pipecat.frames.protobufs import frames_pb2

        async for data in self._ws:
            now = time.monotonic()
            if not isinstance(data, bytes):
                continue
            frame = frames_pb2.Frame.FromString(data)  # type: ignore[attr-defined]
            kind = frame.WhichOneof("frame")
            if kind == "audio":
                audio = frame.audio
                secs = len(audio.audio) / 2 / max(1, audio.num_channels) / audio.sample_rate
                self.heard.audio.append((now, secs))
            elif kind == "message":
                with contextlib.suppress(ValueError):
                    message = json.loads(frame.message.data)
                    if isinstance(message, dict):
                        self.heard.messages.append((now, message))
            self._changed.set()
