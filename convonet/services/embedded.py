"""Pipecat's Whisper STT and Piper TTS services, fed with the process-wide shared models."""

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import soxr
from pipecat.frames.frames import Frame
from pipecat.services.piper.tts import PiperTTSService
from pipecat.services.tts_service import TTSService
from pipecat.services.whisper.stt import WhisperSTTService

from convonet.services.first_clause import FirstClauseTextAggregator
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
