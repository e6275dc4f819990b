"""Speech fallback: a call whose cloud STT or TTS dies (or its TTS stalls) goes on locally.

With ``STT_FALLBACK`` / ``TTS_FALLBACK`` set (``whisper`` / ``piper``: the embedded models), a
call's cloud speech service runs inside pipecat's :class:`ServiceSwitcher` next to its
fallback, with :class:`FailoverOnError`: the first error the cloud service reports (a dropped
or refused connection, a rejected request) makes the fallback the active service for the rest
of the call. The fallback is local, so it does not fail the same way, and nothing switches
back mid-call (a provider that just failed is not trusted with the caller again).

A TTS can also fail silently: connected, asked to speak, and never sending audio. The
:class:`TtsWatch` around the TTS switcher notices that (no audio ``TTS_STALL_SECS`` after a
reply was handed over in full), switches to the fallback the same way, and has the fallback
speak the reply that was lost, so the caller never waits in silence. A reply whose speech was
cut by a dying TTS is spoken again from its start by the fallback.
"""

import asyncio
from collections.abc import Callable

from loguru import logger
from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    InterruptionFrame,
    LLMFullResponseEndFrame,
    LLMTextFrame,
    ManuallySwitchServiceFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSStoppedFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.service_switcher import ServiceSwitcher, ServiceSwitcherStrategyFailover
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

SwitchListener = Callable[[], None]  # called once the fallback has taken over


class FailoverOnError(ServiceSwitcherStrategyFailover):
    """Fail over from the first service on its first error, to the second, for good.

    Pipecat's own failover strategy waits until a service declares itself unusable, which a
    reconnecting cloud service does only after several attempts with seconds of backoff:
    the caller would not be heard (STT) or hear nothing (TTS) meanwhile.
    """

    async def handle_error(self, error: ErrorFrame) -> FrameProcessor | None:
        """Switch to the fallback when the active primary reports an error."""
        primary, fallback = self.services[0], self.services[-1]
        failed = error.processor or self.active_service
        if failed is not primary or self.active_service is not primary:
            return None  # the fallback's own errors are reported as usual
        logger.warning(f"{primary.name} failed ({error.error}); {fallback.name} takes over")
        await primary.set_usable(False)  # it stops reconnecting and takes no more work
        return await self._set_active_if_available(fallback)


def _switcher(
    primary: FrameProcessor, fallback: FrameProcessor, on_switch: SwitchListener
) -> ServiceSwitcher[FailoverOnError]:
    switcher = ServiceSwitcher([primary, fallback], strategy_type=FailoverOnError)

    @switcher.strategy.event_handler("on_service_switched")
    async def on_switched(_strategy: object, _service: FrameProcessor) -> None:
        on_switch()

    return switcher


def stt_with_fallback(
    primary: FrameProcessor, fallback: FrameProcessor, on_switch: SwitchListener
) -> ServiceSwitcher[FailoverOnError]:
    """The call's STT: ``primary`` until it fails, then ``fallback``."""
    return _switcher(primary, fallback, on_switch)


class _Before(FrameProcessor):
    """Upstream of the TTS switcher: notes what the TTS was asked to say."""

    def __init__(self, watch: "TtsWatch") -> None:
        super().__init__(name="TtsWatch::before")
        self._watch = watch

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        await self.push_frame(frame, direction)
        if direction is FrameDirection.DOWNSTREAM:
            await self._watch.asked(frame)


class _After(FrameProcessor):
    """Downstream of the TTS switcher: notes the audio coming out."""

    def __init__(self, watch: "TtsWatch") -> None:
        super().__init__(name="TtsWatch::after")
        self._watch = watch

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction is FrameDirection.DOWNSTREAM:
            self._watch.produced(frame)
        await self.push_frame(frame, direction)


class TtsWatch:
    """Watches a TTS switcher for a primary that stops producing audio, and re-speaks.

    The reply being spoken (the text handed over since the last ``TTSStoppedFrame``) is kept;
    once it has been handed over in full (``LLMFullResponseEndFrame`` or a ``TTSSpeakFrame``)
    audio must follow within ``stall_secs`` and keep coming, or the primary counts as dead.
    On a switch, for a stall or an error, the fallback speaks the kept reply.

    Args:
        switcher: The TTS switcher (primary first, fallback second).
        stall_secs: Longest silence of the primary while it owes audio.
    """

    def __init__(self, switcher: ServiceSwitcher[FailoverOnError], stall_secs: float) -> None:
        self.switcher = switcher
        self.before, self.after = _Before(self), _After(self)
        self._stall_secs = stall_secs
        self._reply: list[str] = []
        self._timer: asyncio.TimerHandle | None = None
        self._switched = False

        @switcher.strategy.event_handler("on_service_switched")
        async def on_switched(_strategy: object, service: FrameProcessor) -> None:
            await self._respeak()

    @property
    def _watching(self) -> bool:
        return not self._switched and self.switcher.strategy.active_service is self.primary

    @property
    def primary(self) -> FrameProcessor:
        """The cloud TTS."""
        return self.switcher.services[0]

    async def asked(self, frame: Frame) -> None:
        """A frame going into the TTS."""
        if isinstance(frame, InterruptionFrame):
            self._reply.clear()  # the caller spoke over it: the reply is abandoned
            self._disarm()
        elif isinstance(frame, LLMTextFrame | TTSSpeakFrame) and frame.text.strip():
            self._reply.append(frame.text)
            if isinstance(frame, TTSSpeakFrame):
                self._arm()
        elif isinstance(frame, LLMFullResponseEndFrame) and self._reply:
            self._arm()

    def produced(self, frame: Frame) -> None:
        """A frame coming out of the TTS."""
        if isinstance(frame, TTSAudioRawFrame) and self._timer is not None:
            self._arm()  # alive: the primary owes the rest within another stall_secs
        elif isinstance(frame, TTSStoppedFrame):
            self._reply.clear()
            self._disarm()

    def _arm(self) -> None:
        if not self._watching:
            return
        self._disarm()
        self._timer = asyncio.get_running_loop().call_later(self._stall_secs, self._stalled)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _stalled(self) -> None:
        self._timer = None
        if not self._watching or not self._reply:
            return
        logger.warning(
            f"{self.primary.name} sent no audio for {self._stall_secs:g} s; failing over"
        )
        fallback = self.switcher.services[-1]
        # Through the switcher like any switch (its strategy handles manual switches too).
        self.before.create_task(
            self.before.push_frame(ManuallySwitchServiceFrame(service=fallback)),
            "tts-failover",
        )

    async def _respeak(self) -> None:
        self._switched = True
        self._disarm()
        if self._reply:
            text = "".join(self._reply).strip()
            self._reply.clear()
            await self.before.push_frame(TTSSpeakFrame(text))


def tts_with_fallback(
    primary: FrameProcessor,
    fallback: FrameProcessor,
    on_switch: SwitchListener,
    stall_secs: float,
) -> Pipeline:
    """The call's TTS: ``primary`` until it fails or stalls, then ``fallback`` (see module)."""
    switcher = _switcher(primary, fallback, on_switch)
    watch = TtsWatch(switcher, stall_secs)
    return Pipeline([watch.before, switcher, watch.after])
