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
"""

import functools
from typing import Any

from pipecat.observers.base_observer import BaseObserver, FrameProcessed
from pipecat.pipeline.worker import PipelineWorker
from pipecat.pipeline.worker_observer import WorkerObserver


@functools.cache
def handles(observer_type: type[BaseObserver], handler: str) -> bool:
    """Whether ``observer_type`` overrides :class:`BaseObserver`'s no-op ``handler``."""
    return getattr(observer_type, handler) is not getattr(BaseObserver, handler)


class LeanWorkerObserver(WorkerObserver):
    """:class:`WorkerObserver` that skips observers which ignore an event anyway."""

    async def on_process_frame(self, data: FrameProcessed) -> None:
        """Queue a processed frame only for observers that handle ``on_process_frame``."""
        for proxy in (self._proxies or {}).values():
            if handles(type(proxy.observer), "on_process_frame"):
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
