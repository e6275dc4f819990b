"""A pipecat ``PipelineWorker`` whose observers are only woken for events they handle.

Pipecat's ``WorkerObserver`` gives each observer its own queue and task, and every
processor's ``process_frame`` puts a ``FrameProcessed`` on every one of those queues: about
12 processors x 50 audio frames a second x 5 observers, ~3,000 queue puts and task wake-ups
a second per call. None of a call's observers (RTVI, idle, user→bot latency, our turn
tracker) overrides ``on_process_frame``, so all of that work is thrown away; in the
concurrency benchmark's profile observers were ~20% of the server's busy time.
:class:`LeanWorkerObserver` queues an event only for observers whose class overrides its
handler. Pipecat's default ``TurnTrackingObserver`` is not added either: nothing here reads
it (our turns come from :class:`~convonet.turns.voice.VoiceTurnTracker`).

Audio frames are most of what a call pushes (the caller's 50 a second, the bot's chunks), and
each one's first push was queued for every observer, waking four observer tasks per frame
that all returned at once. The proxy now leaves out an audio push for an observer known to
ignore it (:func:`ignores_audio`): pipecat's RTVI observer with audio levels off, its idle
observer, its user→bot latency observer for all but the TTS's audio, and any
observer that says so through a ``wants_audio(data)`` method (our turn tracker). Any other
observer still gets everything.
"""

import asyncio
import functools
from typing import Any

from pipecat.frames.frames import AudioRawFrame, StartFrame, TTSAudioRawFrame
from pipecat.observers.base_observer import BaseObserver, FrameProcessed, FramePushed
from pipecat.observers.user_bot_latency_observer import UserBotLatencyObserver
from pipecat.pipeline.worker import IdleFrameObserver, PipelineWorker
from pipecat.pipeline.worker_observer import WorkerObserver
from pipecat.processors.frameworks.rtvi.observer import RTVIObserver
from pipecat.transports.base_output import BaseOutputTransport
from pipecat.utils.asyncio.task_manager import BaseTaskManager


@functools.cache
def handles(observer_type: type[BaseObserver], handler: str) -> bool:
    """Whether ``observer_type`` overrides :class:`BaseObserver`'s no-op ``handler``."""
    return getattr(observer_type, handler) is not getattr(BaseObserver, handler)


def ignores_audio(observer: BaseObserver, data: FramePushed) -> bool:
    """Whether ``observer`` is known to do nothing with this push of an audio frame.

    Each rule restates what the observer's own ``on_push_frame`` does with the frame, so
    leaving the push out changes nothing it records, with one exception: pipecat's latency
    observer could take the transport's push of the previous answer's audio, arriving after
    the caller's next VAD stop, as the new turn's first audio; it now takes the TTS's.
    Unknown observers never ignore.

    Args:
        observer: An observer of the call.
        data: The push of an :class:`AudioRawFrame`.
    """
    frame = data.frame
    wants_audio = getattr(observer, "wants_audio", None)
    if callable(wants_audio):
        return not wants_audio(data)
    if isinstance(observer, RTVIObserver):  # returns at once unless audio levels are on
        params = observer._params
        return not (params.user_audio_level_enabled or params.bot_audio_level_enabled)
    if isinstance(observer, IdleFrameObserver):  # only its idle frames set its event
        return not isinstance(frame, (StartFrame, *observer._idle_timeout_frames))
    if isinstance(observer, UserBotLatencyObserver):
        # Of audio it reads only a turn's first TTSAudioRawFrame; the output transport's
        # pushes of that audio, re-cut into chunks, always come after the TTS's own.
        return not isinstance(frame, TTSAudioRawFrame) or isinstance(
            data.source, BaseOutputTransport
        )
    return False


class LeanWorkerObserver(WorkerObserver):
    """:class:`WorkerObserver` that skips observers which ignore an event anyway."""

    def __init__(self, **kwargs: Any) -> None:
        """Create the observer (arguments as :class:`WorkerObserver`)."""
        super().__init__(**kwargs)
        # The queues of the observers that handle on_process_frame, worked out once per
        # change of observers: every processor calls on_process_frame for every frame.
        self._process_queues: list[asyncio.Queue[Any]] | None = None

    def add_observer(self, observer: BaseObserver) -> None:
        """Add an observer (as pipecat does)."""
        super().add_observer(observer)
        self._process_queues = None

    async def remove_observer(self, observer: BaseObserver) -> None:
        """Remove an observer (as pipecat does)."""
        await super().remove_observer(observer)
        self._process_queues = None

    async def setup(self, task_manager: BaseTaskManager) -> None:
        """Set up the observers' proxies (as pipecat does)."""
        await super().setup(task_manager)
        self._process_queues = None

    async def on_process_frame(self, data: FrameProcessed) -> None:
        """Queue a processed frame only for observers that handle ``on_process_frame``."""
        queues = self._process_queues
        if queues is None:
            if self._proxies is None:  # before setup: no proxies to queue for yet
                return
            queues = self._process_queues = [
                proxy.queue
                for proxy in self._proxies.values()
                if handles(type(proxy.observer), "on_process_frame")
            ]
        for queue in queues:
            await queue.put(data)

    async def on_push_frame(self, data: FramePushed) -> None:
        """Queue an audio push only for observers that may use it; other frames as pipecat.

        Args:
            data: The push.
        """
        if not isinstance(data.frame, AudioRawFrame) or not self._proxies:
            await super().on_push_frame(data)
            return
        frame = data.frame
        data.first_push = frame.id not in self._frames_pushed
        if data.first_push:
            self._frames_pushed[frame.id] = frame
        for proxy in self._proxies.values():
            observer = proxy.observer
            if (data.first_push or observer.observe_every_push) and not ignores_audio(
                observer, data
            ):
                await proxy.queue.put(data)


class LeanPipelineWorker(PipelineWorker):
    """:class:`PipelineWorker` with a :class:`LeanWorkerObserver` and no turn tracking."""

    def __init__(self, pipeline: Any, **kwargs: Any) -> None:
        """Create the worker.

        Args:
            pipeline: The pipeline to run.
            **kwargs: Passed to :class:`PipelineWorker`.
        """
        kwargs.setdefault("enable_turn_tracking", False)
        super().__init__(pipeline, **kwargs)
        # Pipecat builds its WorkerObserver inside __init__ with no way to choose the class;
        # swap it before anything (StartFrame, setup) has seen it. Fail loudly if a pipecat
        # release moves it, rather than silently running the wasteful one.
        current = self._observer
        if type(current) is not WorkerObserver:
            raise TypeError(f"unexpected pipecat worker observer {current!r}")
        self._observer = LeanWorkerObserver(observers=current._observers)
