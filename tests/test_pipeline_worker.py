"""LeanPipelineWorker: observers hear the events they handle and nothing is lost."""

import asyncio

from pipecat.frames.frames import EndFrame, TextFrame
from pipecat.observers.base_observer import BaseObserver, FrameProcessed, FramePushed
from pipecat.observers.user_bot_latency_observer import UserBotLatencyObserver
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import IdleFrameObserver, PipelineParams
from pipecat.pipeline.worker_observer import WorkerObserver
from pipecat.processors.filters.identity_filter import IdentityFilter
from pipecat.processors.frameworks.rtvi.observer import RTVIObserver
from pipecat.workers.runner import WorkerRunner

from convonet.pipeline_worker import LeanPipelineWorker, LeanWorkerObserver, handles
from convonet.turns.voice import VoiceTurnTracker


class _Everything(BaseObserver):
    def __init__(self) -> None:
        super().__init__()
        self.processed: list[str] = []
        self.pushed: list[str] = []

    async def on_process_frame(self, data: FrameProcessed) -> None:
        if isinstance(data.frame, TextFrame):
            self.processed.append(data.frame.text)

    async def on_push_frame(self, data: FramePushed) -> None:
        if isinstance(data.frame, TextFrame):
            self.pushed.append(data.frame.text)


class _PushesOnly(BaseObserver):
    def __init__(self) -> None:
        super().__init__()
        self.pushed: list[str] = []

    async def on_push_frame(self, data: FramePushed) -> None:
        if isinstance(data.frame, TextFrame):
            self.pushed.append(data.frame.text)


def test_no_call_observer_handles_processed_frames() -> None:
    # The premise of the lean observer: these never needed the per-processor events.
    for observer in (RTVIObserver, IdleFrameObserver, UserBotLatencyObserver, VoiceTurnTracker):
        assert not handles(observer, "on_process_frame"), observer
        assert handles(observer, "on_push_frame"), observer
    assert handles(_Everything, "on_process_frame")


async def test_each_observer_hears_what_it_handles_through_a_real_pipeline() -> None:
    everything, pushes_only = _Everything(), _PushesOnly()
    worker = LeanPipelineWorker(
        Pipeline([IdentityFilter(), IdentityFilter()]),
        params=PipelineParams(),
        observers=[everything, pushes_only],
        idle_timeout_secs=None,
    )
    assert isinstance(worker._observer, LeanWorkerObserver)
    assert type(worker._observer) is not WorkerObserver
    assert worker.turn_tracking_observer is None  # pipecat's own turn tracker is not added
    await worker.queue_frames([TextFrame("one"), TextFrame("two"), EndFrame()])
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    await asyncio.wait_for(runner.run(), timeout=10)

    # Every processor processed each text frame, and every push reached both observers.
    assert everything.processed.count("one") >= 2 and everything.processed.count("two") >= 2
    assert everything.pushed.count("one") >= 2 and pushes_only.pushed == everything.pushed
