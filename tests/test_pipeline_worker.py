"""LeanPipelineWorker: observers hear the events they handle (audio included); nothing is lost."""

import asyncio

from pipecat.frames.frames import (
    BotSpeakingFrame,
    EndFrame,
    Frame,
    InputAudioRawFrame,
    TextFrame,
    TTSAudioRawFrame,
)
from pipecat.observers.base_observer import BaseObserver, FrameProcessed, FramePushed
from pipecat.observers.user_bot_latency_observer import UserBotLatencyObserver
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import IdleFrameObserver, PipelineParams
from pipecat.pipeline.worker_observer import WorkerObserver
from pipecat.processors.filters.identity_filter import IdentityFilter
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.processors.frameworks.rtvi.observer import RTVIObserver, RTVIObserverParams
from pipecat.transports.base_output import BaseOutputTransport
from pipecat.transports.base_transport import TransportParams
from pipecat.workers.runner import WorkerRunner

from convonet.bots.registry import default_registry
from convonet.pipeline_worker import (
    LeanPipelineWorker,
    LeanWorkerObserver,
    handles,
    ignores_audio,
)
from convonet.session import CallSession
from convonet.turns.listeners import TurnListener
from convonet.turns.voice import VoiceTurnTracker
from tests.fakes.pipeline_services import SilentTts


class _Everything(BaseObserver):
    def __init__(self) -> None:
        super().__init__()
        self.processed: list[str] = []
        self.pushed: list[str] = []
        self.changed = asyncio.Event()

    async def on_process_frame(self, data: FrameProcessed) -> None:
        if isinstance(data.frame, TextFrame):
            self.processed.append(data.frame.text)
            self.changed.set()

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


async def test_observers_added_or_removed_mid_call_hear_processed_frames_from_then_on() -> None:
    """The lean observer works out who handles processed frames once; a change redoes it."""
    first, later = _Everything(), _Everything()
    worker = LeanPipelineWorker(
        Pipeline([IdentityFilter()]),
        params=PipelineParams(),
        observers=[first],
        idle_timeout_secs=None,
    )
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    run = asyncio.create_task(runner.run())

    async def processed(observer: _Everything, text: str) -> None:
        async with asyncio.timeout(10):
            while text not in observer.processed:
                observer.changed.clear()
                await observer.changed.wait()

    await worker.queue_frames([TextFrame("before")])
    await processed(first, "before")
    worker.add_observer(later)
    await worker.queue_frames([TextFrame("added")])
    await processed(later, "added")
    await worker.remove_observer(first)
    await worker.queue_frames([TextFrame("removed"), EndFrame()])
    await asyncio.wait_for(run, timeout=10)

    assert "removed" in later.processed
    assert "added" in first.processed and "removed" not in first.processed


class _Audio(BaseObserver):
    """Counts the audio and text pushes it hears; ``wants`` answers ``wants_audio``."""

    def __init__(self, wants: bool | None) -> None:
        super().__init__()
        self.audio = 0
        self.text: list[str] = []
        if wants is not None:
            self.wants_audio = lambda _data: wants

    async def on_push_frame(self, data: FramePushed) -> None:
        if isinstance(data.frame, InputAudioRawFrame):
            self.audio += 1
        elif isinstance(data.frame, TextFrame):
            self.text.append(data.frame.text)


async def test_audio_pushes_skip_only_the_observers_that_ignore_them() -> None:
    unknown, declines, wants = _Audio(None), _Audio(False), _Audio(True)
    worker = LeanPipelineWorker(
        Pipeline([IdentityFilter(), IdentityFilter()]),
        params=PipelineParams(),
        observers=[unknown, declines, wants],
        idle_timeout_secs=None,
    )
    audio = [InputAudioRawFrame(b"\x00\x00" * 320, 16000, 1) for _ in range(3)]
    await worker.queue_frames([*audio, TextFrame("one"), EndFrame()])
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    await asyncio.wait_for(runner.run(), timeout=10)

    assert unknown.audio >= 6 and wants.audio == unknown.audio  # every push, as pipecat
    assert declines.audio == 0
    assert declines.text == unknown.text and "one" in declines.text  # other frames: all


def _push(frame: Frame, source: FrameProcessor) -> FramePushed:
    return FramePushed(source, FrameProcessor(), frame, FrameDirection.DOWNSTREAM, 1)


def test_ignores_audio_restates_what_each_call_observer_reads() -> None:
    caller = _push(InputAudioRawFrame(b"\x00\x00" * 320, 16000, 1), FrameProcessor())
    tts_audio = TTSAudioRawFrame(b"\x00\x00" * 320, 24000, 1)
    from_tts = _push(tts_audio, SilentTts())
    from_transport = _push(tts_audio, BaseOutputTransport(TransportParams()))
    session = CallSession(
        session_id="s1", bot=default_registry().get("assistant"), llm="offline",
        channel="websocket", stt="whisper", tts="piper", user_id="u1",
    )  # fmt: skip
    tracker = VoiceTurnTracker(session, TurnListener())
    levels = RTVIObserver(params=RTVIObserverParams(user_audio_level_enabled=True))
    idle = IdleFrameObserver(idle_timeout_frames=(BotSpeakingFrame,), idle_event=asyncio.Event())
    idle_on_audio = IdleFrameObserver(
        idle_timeout_frames=(InputAudioRawFrame,), idle_event=asyncio.Event()
    )
    expected = {  # observer: (caller audio, the TTS's audio, the transport's push of it)
        RTVIObserver(): (True, True, True),
        levels: (False, False, False),
        idle: (True, True, True),
        idle_on_audio: (False, True, True),
        UserBotLatencyObserver(): (True, False, True),
        tracker: (True, False, True),
        _Everything(): (False, False, False),
    }
    for observer, ignored in expected.items():
        pushes = (caller, from_tts, from_transport)
        assert tuple(ignores_audio(observer, p) for p in pushes) == ignored, observer
