"""Pipecat's Whisper STT and Piper TTS services, fed with the process-wide shared models.

The Piper service also speaks a held reply's first piece from audio prepared while the
caller's turn waited to be confirmed (:mod:`convonet.services.prepared_speech`).
"""

from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import soxr
from pipecat.frames.frames import Frame, InterruptionFrame
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.piper.tts import PiperTTSService
from pipecat.services.tts_service import TTSService
from pipecat.services.whisper.stt import WhisperSTTService
from pipecat.utils.text.simple_text_aggregator import SimpleTextAggregator

from convonet.processors.frames import SpeechPreviewFrame
from convonet.services.first_clause import FirstClauseTextAggregator
from convonet.services.prepared_speech import PreparedSpeech
from convonet.services.whisper_fit import FittedWhisperModel, transcribe_fitted

if TYPE_CHECKING:
    from faster_whisper import WhisperModel
    from piper import PiperVoice


WHISPER_RATE = 16000


class _DecodingOptions:
    """A view of a shared WhisperModel whose ``transcribe`` uses our decoding options.

    Pipecat's service calls ``transcribe`` with faster-whisper's defaults (beam search of
    5); greedy decoding is ~100 ms faster per utterance on 2 cores for tiny.en, with the
    same transcripts on our test speech. With ``fit_context`` the encoder sees only as much
    context as the utterance needs (:mod:`convonet.services.whisper_fit`).
    """

    def __init__(self, model: "WhisperModel", beam_size: int, fit_context: bool) -> None:
        self._model = model
        self._beam_size = beam_size
        self._fit_context = fit_context and isinstance(model, FittedWhisperModel)

    def transcribe(self, audio: Any, **options: Any) -> Any:
        if self._fit_context:
            segments, info = transcribe_fitted(
                cast(FittedWhisperModel, self._model), audio, beam_size=self._beam_size, **options
            )
            return iter(segments), info
        return self._model.transcribe(audio, beam_size=self._beam_size, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


class SharedWhisperSTTService(WhisperSTTService):
    """:class:`WhisperSTTService` that reuses an already loaded model instead of loading one."""

    def __init__(
        self,
        *,
        model: "WhisperModel",
        model_path: str,
        beam_size: int = 1,
        fit_context: bool = False,
        **kwargs: Any,
    ) -> None:
        """Create the service.

        Args:
            model: The shared, loaded faster-whisper model.
            model_path: Where that model was loaded from (reported in settings/metrics).
            beam_size: Beam width for decoding (1 = greedy, the fastest).
            fit_context: Encode a context fitted to the utterance instead of 30 s.
            **kwargs: Passed on to :class:`WhisperSTTService`.
        """
        self._shared_model = _DecodingOptions(model, beam_size, fit_context)
        super().__init__(
            device="cpu", settings=WhisperSTTService.Settings(model=model_path), **kwargs
        )

    def _load(self) -> None:
        # The parent loads a model here; ours is already loaded and shared.
        self._model = cast("WhisperModel", self._shared_model)

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame, None]:
        """Transcribe one utterance, resampling it to Whisper's 16 kHz first if needed.

        Pipecat's Whisper service assumes 16 kHz input; an 8 kHz phone pipeline would be
        transcribed as noise. Resampling the whole utterance at once adds no streaming delay.
        """
        if self.sample_rate != WHISPER_RATE:
            samples = np.frombuffer(audio, dtype=np.int16)
            resampled = soxr.resample(samples, self.sample_rate, WHISPER_RATE)
            audio = np.clip(resampled, -32768, 32767).astype(np.int16).tobytes()
        async for frame in super().run_stt(audio):
            yield frame


class SharedPiperTTSService(PiperTTSService):
    """:class:`PiperTTSService` that reuses an already loaded voice instead of loading one."""

    def __init__(
        self, *, voice: "PiperVoice", voice_name: str, first_clause: bool = False, **kwargs: Any
    ) -> None:
        """Create the service.

        Args:
            voice: The shared, loaded Piper voice.
            voice_name: The voice's name (e.g. ``en_US-joe-medium``).
            first_clause: Voice each reply's first clause on its own (starts speaking sooner).
            **kwargs: Passed on to :class:`TTSService`.
        """
        # PiperTTSService.__init__ would load the voice file again (about a second and
        # ~100 MB per call); initialise the generic TTS service with the same flags instead.
        TTSService.__init__(
            self,
            push_start_frame=True,
            push_stop_frames=True,
            settings=PiperTTSService.Settings(model=None, voice=voice_name, language=None),
            **kwargs,
        )
        self._voice = voice
        if first_clause:
            # TTSService takes no aggregator argument; it builds its own in __init__.
            self._text_aggregator = FirstClauseTextAggregator()
        self._prepared = PreparedSpeech(
            FirstClauseTextAggregator if first_clause else SimpleTextAggregator, self._synthesize
        )

    def _synthesize(self, text: str) -> list[bytes]:
        return [chunk.audio_int16_bytes for chunk in self._voice.synthesize(text)]

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Prepare a held reply's first piece; forget it on an interruption."""
        if isinstance(frame, SpeechPreviewFrame):
            await self._prepared.feed(
                frame.text, reply_start=frame.reply_start, reply_end=frame.reply_end
            )
            return
        if isinstance(frame, InterruptionFrame):
            self._prepared.discard()
        await super().process_frame(frame, direction)

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame, None]:
        """Speak ``text``: the prepared audio if it is the prepared piece, else Piper's."""
        audio = await self._prepared.take(text)
        if audio is None:
            async for frame in super().run_tts(text, context_id):
                yield frame
            return
        await self.start_tts_usage_metrics(text)
        async for frame in self._stream_audio_frames_from_iterator(
            _chunks(audio), in_sample_rate=self._voice.config.sample_rate, context_id=context_id
        ):
            await self.stop_ttfb_metrics()
            yield frame

    async def cleanup(self) -> None:
        """Drop a preparation still running with the call."""
        self._prepared.discard()
        await super().cleanup()


async def _chunks(audio: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in audio:
        yield chunk
