"""Instant STT, LLM and TTS services and an in-process transport, for the overhead benchmark.

The services answer at once (no model, no network), so what remains of a turn's latency is
the pipeline itself: VAD and turn-taking (the same in both pipelines compared) and whatever
processors and observers sit in between.
"""

import asyncio
import dataclasses
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    OutputAudioRawFrame,
    StartFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    UserStoppedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.llm_service import LLMService
from pipecat.services.settings import LLMSettings, STTSettings, TTSSettings
from pipecat.services.stt_service import SegmentedSTTService
from pipecat.services.tts_service import TTSService
from pipecat.transports.base_input import BaseInputTransport
from pipecat.transports.base_output import BaseOutputTransport
from pipecat.transports.base_transport import BaseTransport, TransportParams
from pipecat.utils.time import time_now_iso8601

REPLY = "Here you go."
# Frame type -> stage it marks (checked in order: UserStoppedSpeakingFrame before its VAD kin).
PROBED_FRAMES: tuple[tuple[type[Frame], str], ...] = (
    (VADUserStoppedSpeakingFrame, "vad_stop"),
    (TranscriptionFrame, "transcript"),
    (UserStoppedSpeakingFrame, "turn_end"),
    (LLMContextFrame, "agent_request"),
    (LLMTextFrame, "agent_text"),
    (TTSAudioRawFrame, "tts_audio"),
)
CHUNK_SECS = 0.02
_REPLY_AUDIO_SECS = 0.4


class Script:
    """What the caller is saying now; the instant STT "hears" it."""

    def __init__(self) -> None:
        self.text = ""


class StageProbe(BaseObserver):
    """Notes when each stage's first frame was created, on the pipeline clock.

    Observers run behind the pipeline, so times come from the frames' push timestamps; the
    clock's origin in ``time.monotonic`` terms is the smallest (arrival - timestamp) seen.
    """

    def __init__(self) -> None:
        super().__init__()
        self._events: list[tuple[str, int]] = []
        self._origin_ns: int | None = None

    async def on_push_frame(self, data: FramePushed) -> None:
        """Record the first push of every stage frame."""
        origin = time.monotonic_ns() - data.timestamp
        self._origin_ns = origin if self._origin_ns is None else min(self._origin_ns, origin)
        for frame_type, stage in PROBED_FRAMES:
            if data.first_push and isinstance(data.frame, frame_type):
                self._events.append((stage, data.timestamp))
                return

    def events(self) -> list[tuple[str, float]]:
        """``(stage, time.monotonic() seconds)`` of every probed frame, in order."""
        origin = self._origin_ns or 0
        return [(stage, (at + origin) / 1e9) for stage, at in self._events]


class InstantSTT(SegmentedSTTService):
    """Transcribes each VAD segment at once as the script's current text."""

    def __init__(self, script: Script, **kwargs: Any) -> None:
        super().__init__(
            settings=STTSettings(model="instant", language=None), ttfs_p99_latency=0.0, **kwargs
        )
        self._script = script

    @property
    def wants_wav_segments(self) -> bool:
        """Raw PCM: there is no upload to wrap."""
        return False

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame, None]:
        """Yield the script's text as the final transcript."""
        yield TranscriptionFrame(self._script.text, "", time_now_iso8601())


class InstantLLM(LLMService):  # type: ignore[type-arg]
    """A pipecat LLM service that answers every context with :data:`REPLY` at once."""

    def __init__(self, **kwargs: Any) -> None:
        names = [f.name for f in dataclasses.fields(LLMSettings) if f.name != "extra"]
        unset: dict[str, Any] = dict.fromkeys(names)
        super().__init__(settings=LLMSettings(**unset), **kwargs)

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Answer ``LLMContextFrame``s; forward everything else."""
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame):
            await self.push_frame(LLMFullResponseStartFrame())
            await self.push_frame(LLMTextFrame(REPLY))
            await self.push_frame(LLMFullResponseEndFrame())
        else:
            await self.push_frame(frame, direction)


class InstantChatModel(BaseChatModel):
    """A LangChain chat model that answers :data:`REPLY` at once (for our agent graph)."""

    @property
    def _llm_type(self) -> str:
        return "convonet-bench-instant"

    def bind_tools(self, tools: Any, **kwargs: Any) -> "InstantChatModel":  # type: ignore[override]
        """Tools are accepted and never called."""
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(REPLY))])

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        yield ChatGenerationChunk(message=AIMessageChunk(content=REPLY))

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        chunk = ChatGenerationChunk(message=AIMessageChunk(content=REPLY))
        if run_manager is not None:
            await run_manager.on_llm_new_token(REPLY, chunk=chunk)
        yield chunk


class InstantTTS(TTSService):
    """Voices any text at once as a short stretch of silence."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            push_start_frame=True,
            push_stop_frames=True,
            settings=TTSSettings(model="instant", voice="instant", language=None),
            **kwargs,
        )

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame | None, None]:
        """Yield the whole utterance as one audio frame."""
        audio = b"\x00\x00" * int(self.sample_rate * _REPLY_AUDIO_SECS)
        yield TTSAudioRawFrame(audio, self.sample_rate, 1, context_id=context_id)


class _Input(BaseInputTransport):
    def __init__(self, params: TransportParams) -> None:
        super().__init__(params)
        self.started = asyncio.Event()

    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        await self.set_transport_ready(frame)
        self.started.set()

    async def play(self, pcm: bytes, sample_rate: int, speech_end_secs: float) -> float:
        """Push ``pcm`` in 20 ms chunks at real-time pace; return when its speech ended."""
        step = int(sample_rate * CHUNK_SECS) * 2
        end_byte = max(2, int(speech_end_secs * sample_rate) * 2)
        ended = 0.0
        began = time.monotonic()
        for index, offset in enumerate(range(0, len(pcm), step)):
            await self.push_audio_frame(
                InputAudioRawFrame(pcm[offset : offset + step], sample_rate, 1)
            )
            if offset < end_byte <= offset + step:
                ended = time.monotonic()
            delay = began + (index + 1) * CHUNK_SECS - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        return ended


class _Output(BaseOutputTransport):
    def __init__(self, params: TransportParams) -> None:
        super().__init__(params)
        self.audio_times: list[float] = []

    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        await self.set_transport_ready(frame)

    async def write_audio_frame(self, frame: OutputAudioRawFrame) -> bool:
        self.audio_times.append(time.monotonic())
        return True


class InProcessTransport(BaseTransport):
    """Caller audio pushed by the benchmark; bot audio timed as the transport writes it."""

    def __init__(self) -> None:
        super().__init__(name="BenchTransport")
        params = TransportParams(audio_in_enabled=True, audio_out_enabled=True)
        self._input = _Input(params)
        self._output = _Output(params)

    def input(self) -> _Input:
        """The caller side."""
        return self._input

    def output(self) -> _Output:
        """The bot side."""
        return self._output
