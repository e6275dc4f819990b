"""Whisper that starts transcribing at the first quiet, before the VAD has decided.

Pipecat's segmented Whisper service transcribes a segment only when the VAD stops, i.e.
``VAD_STOP_SECS`` (plus Silero's windows) after the caller's last word; Whisper tiny.en then
takes 300-500 ms on 2 cores. :class:`SpeculativeWhisperSTTService` starts Whisper on
everything said so far as soon as the audio has been quiet for ``SPECULATIVE_STT_QUIET_SECS``
(a cheap level check on each 20 ms frame), which overlaps the transcription with the VAD's
stop window.

A speculative transcript is only a guess that the caller has finished:

- it is pushed (and so reaches the turn strategy and the agent) only once the VAD has stopped
  and only if the caller has not spoken since it started (no loud frame, no VAD start);
- if the caller carries on, it is discarded: its audio stays buffered and is transcribed
  again together with what follows, so the whole utterance is transcribed in one piece;
- with ``confirm_secs``, it is also held until the audio has been quiet that long since the
  last loud frame (``TURN_CONFIRM_SECS``). Whisper with a fitted context returns within
  ~0.35 s of the end of speech, inside a caller's mid-sentence pause; smart-turn hears a
  Piper "Add milk," as finished (p = 0.98), so without the hold the turn ended in the pause
  (3 of 5 paused benchmark utterances). A pause shorter than ``confirm_secs`` therefore
  never ends a turn; an unfinished-sounding one still waits for smart-turn's longer limit.

While a transcript is held, the service reports it as pipecat's *eager end of turn*
(``enable_eager_end_of_turn``): the agent can prepare its answer during the window
(:mod:`convonet.services.eager_turn`). Talking on withdraws it, the release commits it.
With ``confirm_on_verdict`` the release also comes as soon as the agent, answering ahead,
judges that the words made a whole request: the turn decision then comes from what was
said, and the window is left for words that do not (a fragment, a half-given request).
Not when smart-turn heard the sentence unfinished (:class:`~convonet.services.eager_turn.
TurnDisputedFrame`): then only the window releases it, and the turn ends there.
"""

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from loguru import logger
from pipecat.frames.frames import (
    CancelFrame,
    EndFrame,
    Frame,
    InputAudioRawFrame,
    TranscriptionFrame,
    UserAudioRawFrame,
    UserTurnInferenceCompletedFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.turns.eager_end_of_turn_mixin import EagerEndOfTurnSTTServiceMixin

from convonet.services.eager_turn import TurnDisputedFrame
from convonet.services.embedded import SharedWhisperSTTService

# A 20 ms frame is loud when its RMS reaches this share of the utterance's loudest frame
# (-26 dB: soft word endings still count as speech)...
LOUD_RATIO = 0.05
# ...and at least this RMS (16-bit); quieter is quiet (about -44 dBFS).
LOUD_FLOOR_RMS = 200.0
# Audio kept before speech while nobody speaks, so the first word is never cut. Pipecat keeps
# 1 s, but on a loaded machine the VAD's start can come more than 1 s after the first word
# (Silero runs on a starved thread): "Hello" was lost that way. Leading quiet costs Whisper
# little: short turns stay within its fitted context's 10 s floor (whisper_fit.FLOOR_SECS).
PRE_ROLL_SECS = 2.5


@dataclass
class QuietDetector:
    """Finds the first quiet after speech in a stream of 16-bit PCM frames.

    Attributes:
        quiet_secs: Quiet needed before :meth:`update` reports ``"quiet"``.
        peak_rms: Loudest frame of the current utterance.
        quiet_for: Quiet seen since the last loud frame, in seconds.
    """

    quiet_secs: float
    peak_rms: float = 0.0
    quiet_for: float = 0.0
    _reported: bool = True

    def reset(self) -> None:
        """Start a new utterance."""
        self.peak_rms = 0.0
        self.quiet_for = 0.0
        self._reported = True

    def update(self, audio: bytes, sample_rate: int) -> str:
        """Classify one frame: ``"loud"``, ``"quiet"`` (once per pause) or ``""``."""
        samples = np.frombuffer(audio, dtype=np.int16).astype(np.float32)
        if samples.size == 0:
            return ""
        # One dot product: ~5x cheaper than np.mean's Python wrapper on a 20-60 ms frame,
        # and this runs on every caller frame (the audio chunker uses it too).
        rms = (float(samples.dot(samples)) / samples.size) ** 0.5
        if rms >= max(LOUD_FLOOR_RMS, LOUD_RATIO * self.peak_rms):
            self.peak_rms = max(self.peak_rms, rms)
            self.quiet_for = 0.0
            self._reported = False
            return "loud"
        self.quiet_for += samples.size / sample_rate
        if not self._reported and self.quiet_for >= self.quiet_secs:
            self._reported = True
            return "quiet"
        return ""


@dataclass
class Speculation:
    """One transcription of the audio buffered up to ``end``.

    Attributes:
        end: Absolute byte offset in the call's audio where it stops.
        talked_over: The caller spoke after it started: it must not be pushed.
        disputed: Smart-turn heard its sentence unfinished: only the confirm window may
            release it, not the agent's verdict.
        frames: Its result, once transcribed (None while Whisper runs).
    """

    end: int
    talked_over: bool = False
    disputed: bool = False
    frames: list[Frame] | None = None
    _task: Any = field(default=None, repr=False)


@dataclass
class SpeculationStats:
    """What became of the speculative transcripts of one call."""

    started: int = 0
    pushed: int = 0
    discarded: int = 0


class SpeculativeWhisperSTTService(EagerEndOfTurnSTTServiceMixin, SharedWhisperSTTService):
    """:class:`SharedWhisperSTTService` that transcribes speculatively at the first quiet."""

    def __init__(
        self,
        *,
        quiet_secs: float,
        confirm_secs: float = 0.0,
        confirm_on_verdict: bool = False,
        **kwargs: Any,
    ) -> None:
        """Create the service.

        Args:
            quiet_secs: Quiet after speech that starts a speculative transcription.
            confirm_secs: Quiet after speech before a finished transcript is pushed.
            confirm_on_verdict: Push a held transcript at once when the agent, answering it
                ahead, judged the request whole (``UserTurnInferenceCompletedFrame``).
            **kwargs: Passed on to :class:`SharedWhisperSTTService` (and
                ``enable_eager_end_of_turn``: report a held transcript as an eager end
                of turn).
        """
        super().__init__(**kwargs)
        self._quiet = QuietDetector(quiet_secs)
        self._confirm_secs = confirm_secs
        self._confirm_on_verdict = confirm_on_verdict
        self._speculation: Speculation | None = None
        # Transcribed and past the VAD stop, waiting for confirm_secs of quiet.
        self._held: Speculation | None = None
        self._received = 0  # bytes of audio received in the call (absolute offsets)
        # A discarded speculation after the VAD stop: transcribe again at the next quiet
        # (a noise the VAD ignored), unless the VAD starts first (the caller carries on).
        self._rerun_when_quiet = False
        self.stats = SpeculationStats()

    @property
    def _buffer_start(self) -> int:
        return self._received - len(self._audio_buffer)

    def _bytes(self, secs: float) -> int:
        return int(secs * self.sample_rate) * 2

    async def process_audio_frame(
        self, frame: InputAudioRawFrame, direction: FrameDirection
    ) -> None:
        """Buffer the audio and start a speculation at the first quiet while the caller speaks."""
        self._user_id = frame.user_id if isinstance(frame, UserAudioRawFrame) else ""
        self._audio_buffer += frame.audio
        self._received += len(frame.audio)
        speculation = self._speculation
        if not self._user_speaking and speculation is None and not self._rerun_when_quiet:
            excess = len(self._audio_buffer) - self._bytes(PRE_ROLL_SECS)
            if excess > 0:
                del self._audio_buffer[:excess]
            return
        # Listen after the VAD stop too while a speculation waits: the caller speaking again
        # shows here 0.2 s (VAD_START_SECS) before the VAD says so.
        level = self._quiet.update(frame.audio, self.sample_rate)
        if level == "loud" and speculation is not None:
            speculation.talked_over = True
            if speculation is self._held:
                await self._discard_held()
        elif level == "quiet" and (self._user_speaking or self._rerun_when_quiet):
            await self._speculate()
        elif self._held is not None and self._quiet.quiet_for >= self._confirm_secs:
            await self._push(self._held)

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Track the VAD and the agent's verdict; the parent handles the rest."""
        if isinstance(frame, TurnDisputedFrame) and self._held is not None:
            self._held.disputed = True
        if (
            isinstance(frame, UserTurnInferenceCompletedFrame)
            and self._confirm_on_verdict
            and self._held is not None
            and not self._held.disputed
        ):
            await self._push(self._held)  # a whole request: the turn is confirmed now
        if isinstance(frame, VADUserStartedSpeakingFrame) and self._speculation is not None:
            # The caller carries on: whatever is being transcribed is not the whole turn.
            self._speculation.talked_over = True
            if self._held is not None:
                await self._discard_held()
        await super().process_frame(frame, direction)

    async def _handle_user_started_speaking(self, frame: VADUserStartedSpeakingFrame) -> None:
        self._user_speaking = True
        self._rerun_when_quiet = False
        self._quiet.reset()

    async def _handle_user_stopped_speaking(self, frame: VADUserStoppedSpeakingFrame) -> None:
        self._user_speaking = False
        logger.debug(f"{self}: VAD stop; speculation {self._speculation}")
        if not self.is_usable:
            self._audio_buffer.clear()
            return
        # No loud frame since the speculation started means it holds all the speech. (The
        # VAD's own end of speech is no check: on a loaded machine its stop arrives late,
        # and a second Whisper run would only queue behind the first.)
        speculation = self._speculation
        if speculation is not None and not speculation.talked_over:
            if speculation.frames is not None:
                await self._release(speculation)
            return  # still transcribing: released when done
        await self._speculate()

    async def _speculate(self) -> None:
        """Transcribe everything buffered so far, superseding any earlier speculation."""
        if not self._audio_buffer:
            return
        self._rerun_when_quiet = False
        speculation = Speculation(end=self._received)
        if self._speculation is not None:
            self.stats.discarded += 1
        self._speculation = speculation
        self.stats.started += 1
        logger.debug(f"{self}: speculative transcription of {len(self._audio_buffer)} bytes")
        pcm = bytes(self._audio_buffer) + self._trailing_silence()
        speculation._task = self.create_task(self._transcribe(speculation, pcm))

    async def _transcribe(self, speculation: Speculation, pcm: bytes) -> None:
        try:
            speculation.frames = [frame async for frame in self.run_stt(pcm)]
        except Exception as error:  # as pipecat's own segment task: report, keep the call
            await self.push_error(f"{self}: transcription failed: {error}", exception=error)
            speculation.frames = []
        if speculation is not self._speculation:
            return  # superseded (already counted as discarded)
        if speculation.talked_over:
            logger.debug(f"{self}: caller spoke on; transcript discarded: {speculation.frames}")
            self.stats.discarded += 1
            self._speculation = None
            if not self._user_speaking:
                if self._quiet.quiet_for >= self._quiet.quiet_secs:
                    await self._speculate()  # a noise the VAD ignored, over already
                else:
                    self._rerun_when_quiet = True
            return
        if not self._user_speaking:
            await self._release(speculation)
        # else: the VAD has not stopped yet; _handle_user_stopped_speaking releases it.

    async def _release(self, speculation: Speculation) -> None:
        """Push a finished transcript now, or hold it until the quiet confirms the turn."""
        if self._quiet.quiet_for >= self._confirm_secs:
            await self._push(speculation)
            return
        self._held = speculation
        text = " ".join(
            f.text.strip() for f in speculation.frames or [] if isinstance(f, TranscriptionFrame)
        )
        if text:
            await self._push_eager_end_of_turn(text, user_id=self._user_id)

    async def _discard_held(self) -> None:
        """The caller spoke on in the confirm window: transcribe again with what follows."""
        logger.debug(f"{self}: caller spoke on; held transcript discarded: {self._held}")
        await self._cancel_eager_end_of_turn()
        self._held = None
        self._speculation = None
        self.stats.discarded += 1
        # Keep the whole buffer (no pre-roll trim before the VAD starts again) and transcribe
        # it at the next quiet, as for a speculation talked over while in flight.
        self._rerun_when_quiet = True

    async def _push(self, speculation: Speculation) -> None:
        """Hand a confirmed transcript on and forget the audio it covers."""
        self._clear_eager_end_of_turn()
        self._held = None
        self._speculation = None
        covered = speculation.end - self._buffer_start
        if covered > 0:
            del self._audio_buffer[:covered]
        self.stats.pushed += 1
        await self.process_generator(_replay(speculation.frames or []))

    async def stop(self, frame: EndFrame) -> None:
        """Finish a transcription in flight before stopping (a graceful end loses nothing)."""
        speculation = self._speculation
        if speculation is not None and speculation._task is not None:
            await speculation._task
        if self._held is not None:
            await self._push(self._held)
        await super().stop(frame)

    async def cancel(self, frame: CancelFrame) -> None:
        """Stop at once, dropping a transcription in flight."""
        speculation, self._speculation = self._speculation, None
        if speculation is not None and speculation._task is not None:
            await self.cancel_task(speculation._task)
        await super().cancel(frame)


async def _replay(frames: list[Frame]) -> AsyncGenerator[Frame | None, None]:
    for frame in frames:
        yield frame
