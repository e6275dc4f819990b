"""A pipecat transport that plays a WAV file in as the caller and records the bot's audio.

Used by ``convonet call`` (no server, no network). Input is paced in real time because
pipecat's turn-taking timers run on the wall clock.
"""

import asyncio
import time

from pipecat.frames.frames import (
    CancelFrame,
    EndFrame,
    InputAudioRawFrame,
    OutputAudioRawFrame,
    StartFrame,
)
from pipecat.transports.base_input import BaseInputTransport
from pipecat.transports.base_output import BaseOutputTransport
from pipecat.transports.base_transport import BaseTransport, TransportParams

CHUNK_SECS = 0.02


class _WavInput(BaseInputTransport):
    def __init__(self, pcm: bytes, sample_rate: int, trailing_secs: float, params: TransportParams):
        super().__init__(params)
        self._speech_bytes = len(pcm)
        self._pcm = pcm + b"\x00\x00" * int(trailing_secs * sample_rate)
        self._rate = sample_rate
        self._task: asyncio.Task[None] | None = None
        # Set once the file itself has played; trailing silence keeps flowing after it so
        # the turn can end and the bot can answer.
        self.finished = asyncio.Event()

    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        await self.set_transport_ready(frame)
        self._task = self.create_task(self._play())

    async def _play(self) -> None:
        step = int(self._rate * CHUNK_SECS) * 2
        started = time.monotonic()
        for index, offset in enumerate(range(0, len(self._pcm), step)):
            chunk = self._pcm[offset : offset + step]
            await self.push_audio_frame(InputAudioRawFrame(chunk, self._rate, 1))
            if offset + step >= self._speech_bytes:
                self.finished.set()
            delay = started + (index + 1) * CHUNK_SECS - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)

    async def _stop_playing(self) -> None:
        if self._task is not None:
            await self.cancel_task(self._task)
            self._task = None

    async def stop(self, frame: EndFrame) -> None:
        await self._stop_playing()
        await super().stop(frame)

    async def cancel(self, frame: CancelFrame) -> None:
        await self._stop_playing()
        await super().cancel(frame)


class _WavOutput(BaseOutputTransport):
    def __init__(self, params: TransportParams):
        super().__init__(params)
        self.audio = bytearray()
        self.recorded_rate = 0

    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        await self.set_transport_ready(frame)

    async def write_audio_frame(self, frame: OutputAudioRawFrame) -> bool:
        self.audio.extend(frame.audio)
        self.recorded_rate = frame.sample_rate
        return True


class WavFileTransport(BaseTransport):
    """Feeds 16-bit mono PCM in as the caller's voice; keeps the bot's audio.

    Attributes:
        output_audio: Everything the bot said, as 16-bit mono PCM.
    """

    def __init__(self, pcm: bytes, sample_rate: int, trailing_silence_secs: float = 6.0) -> None:
        super().__init__(name="WavFileTransport")
        params = TransportParams(audio_in_enabled=True, audio_out_enabled=True)
        self._input = _WavInput(pcm, sample_rate, trailing_silence_secs, params)
        self._output = _WavOutput(params)

    def input(self) -> _WavInput:
        """The caller side: plays the file."""
        return self._input

    def output(self) -> _WavOutput:
        """The bot side: records audio."""
        return self._output

    @property
    def output_audio(self) -> bytes:
        """The bot's audio so far."""
        return bytes(self._output.audio)

    @property
    def output_sample_rate(self) -> int:
        """Sample rate of :attr:`output_audio`."""
        return self._output.recorded_rate
