"""A scripted caller: pipecat's own ``WebsocketClientTransport`` speaking protobuf/RTVI.

It streams PCM at real-time pace to a running server and records what comes back: RTVI
messages (transcripts, speaking events, errors) and the bot's audio.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipecat.frames.frames import (
    EndFrame,
    Frame,
    InputAudioRawFrame,
    InputTransportMessageFrame,
    InterruptionFrame,
    OutputAudioRawFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.serializers.protobuf import ProtobufFrameSerializer
from pipecat.transports.websocket.client import WebsocketClientParams, WebsocketClientTransport
from pipecat.workers.runner import WorkerRunner

CHUNK_SECS = 0.02


@dataclass
class Received:
    """Everything the caller got back, with arrival times (``time.monotonic``)."""

    messages: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    audio: list[tuple[float, bytes]] = field(default_factory=list)
    audio_rate: int = 0
    interruptions: list[float] = field(default_factory=list)

    def rtvi(self, kind: str) -> list[dict[str, Any]]:
        """RTVI messages of one type, in order."""
        return [m for _, m in self.messages if m.get("type") == kind]

    def texts(self, kind: str) -> list[str]:
        """The ``data.text`` of RTVI messages of one type."""
        return [str(m.get("data", {}).get("text", "")) for m in self.rtvi(kind)]

    def audio_bytes(self, since: float = 0.0) -> bytes:
        """Bot audio received after ``since``."""
        return b"".join(chunk for t, chunk in self.audio if t >= since)


class _Recorder(FrameProcessor):
    def __init__(self, received: Received, changed: asyncio.Event) -> None:
        super().__init__()
        self._received, self._changed = received, changed

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        now = time.monotonic()
        if isinstance(frame, InputTransportMessageFrame) and isinstance(frame.message, dict):
            self._received.messages.append((now, frame.message))
        elif isinstance(frame, InputAudioRawFrame):
            self._received.audio.append((now, frame.audio))
            self._received.audio_rate = frame.sample_rate
        elif isinstance(frame, InterruptionFrame):
            self._received.interruptions.append(now)
        self._changed.set()
        if not isinstance(frame, InputAudioRawFrame):
            await self.push_frame(frame, direction)


class VoiceClient:
    """Connects to ``ws_url`` and plays/records audio like a caller would."""

    def __init__(self, ws_url: str, sample_rate: int = 16000) -> None:
        self.received = Received()
        self.sample_rate = sample_rate
        self._changed = asyncio.Event()
        self._transport = WebsocketClientTransport(
            uri=ws_url,
            params=WebsocketClientParams(
                audio_in_enabled=True,
                audio_out_enabled=True,
                add_wav_header=False,
                serializer=ProtobufFrameSerializer(),
            ),
        )
        pipeline = Pipeline(
            [
                self._transport.input(),
                _Recorder(self.received, self._changed),
                self._transport.output(),
            ]
        )
        self._worker = PipelineWorker(
            pipeline,
            params=PipelineParams(
                audio_in_sample_rate=sample_rate, audio_out_sample_rate=sample_rate
            ),
            enable_rtvi=False,
            idle_timeout_secs=None,
        )
        self._runner_task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "VoiceClient":
        runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(self._worker)
        self._runner_task = asyncio.create_task(runner.run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Hang up."""
        if self._runner_task is not None and not self._runner_task.done():
            await self._worker.queue_frame(EndFrame())
            try:
                await asyncio.wait_for(self._runner_task, 5)
            except TimeoutError:
                await self._worker.cancel()

    async def send_message(self, message: dict[str, Any]) -> None:
        """Send an RTVI/transport message to the server."""
        from pipecat.frames.frames import OutputTransportMessageUrgentFrame

        await self._worker.queue_frame(OutputTransportMessageUrgentFrame(message=message))

    async def speak(self, pcm: bytes) -> None:
        """Stream 16-bit mono PCM at real-time pace, in 20 ms packets."""
        step = int(self.sample_rate * CHUNK_SECS) * 2
        started = time.monotonic()
        for index, offset in enumerate(range(0, len(pcm), step)):
            frame = OutputAudioRawFrame(pcm[offset : offset + step], self.sample_rate, 1)
            await self._worker.queue_frame(frame)
            delay = started + (index + 1) * CHUNK_SECS - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)

    async def wait_for(self, predicate: Callable[[Received], bool], timeout: float) -> None:
        """Wait until ``predicate(received)`` holds.

        Raises:
            TimeoutError: It did not hold within ``timeout`` seconds.
        """
        async with asyncio.timeout(timeout):
            while not predicate(self.received):
                self._changed.clear()
                await self._changed.wait()
