"""Silero VAD for many calls at once: one ONNX inference for every session's window.

Pipecat's ``SileroVADAnalyzer`` gives each call its own ONNX session and its own thread, and
runs one inference per call every 32 ms. With tens of calls in a process that is tens of
threads fighting over the GIL and hundreds of small inferences a second. Here every analyzer
of an event loop sends its windows to one :class:`SileroBatcher`, which runs them through one
shared ONNX session as a batch (Silero's model takes a batch dimension; each call keeps its
own recurrent state and audio context, stacked into the batch and split out again), on the
event loop itself. A batch goes as soon as every registered stream of that sample rate has a
window waiting, or ``max_wait_secs`` after its first window, whichever is first; a single
call never waits.

:class:`BatchedSileroVADAnalyzer` is pipecat's ``SileroVADAnalyzer`` with the inference
replaced: the speech/silence state machine, the model-reset rule and the volume gate are
pipecat's own code. The volume (a BS.1770 loudness over the last 400 ms, smoothed) only
matters when the model is confident of speech, so it is computed for those windows only,
catching up on the skipped windows from kept audio (see :class:`_LazyVolume`).
"""

import asyncio
import weakref
from collections import deque
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np
import onnxruntime
from loguru import logger
from pipecat.audio.utils import calculate_audio_volume, exp_smoothing
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADAnalyzer, VADParams, VADState
from pipecat.audio.volume import VOLUME_WINDOW_SECS

from convonet.settings import Settings

SAMPLE_RATES = (8000, 16000)
# Volume windows recomputed when the volume is needed again after being skipped. Pipecat
# smooths with factor 0.2, so a window this far back weighs 0.8**40 ≈ 1e-4 in the result.
VOLUME_CATCH_UP_WINDOWS = 40
_SMOOTHING = 0.2  # pipecat's VADAnalyzer._smoothing_factor


def window_samples(sample_rate: int) -> int:
    """Samples per Silero window: 512 at 16 kHz, 256 at 8 kHz."""
    return 512 if sample_rate == 16000 else 256


def _context_samples(sample_rate: int) -> int:
    return 64 if sample_rate == 16000 else 32


@cache
def silero_session() -> onnxruntime.InferenceSession:
    """The process's one Silero ONNX session (pipecat's bundled model, CPU, one thread).

    ONNX Runtime sessions may be run from several threads at once, so every event loop's
    batcher shares it.
    """
    path = resources.files("pipecat.audio.vad.data").joinpath("silero_vad.onnx")
    options = onnxruntime.SessionOptions()
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = 1
    return onnxruntime.InferenceSession(
        str(path), providers=["CPUExecutionProvider"], sess_options=options
    )


@dataclass(eq=False)
class SileroStream:
    """One call's Silero model state: recurrent state and the audio context before a window."""

    sample_rate: int
    state: np.ndarray = field(init=False)
    context: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.reset_states()

    def reset_states(self) -> None:
        """Forget everything heard (what pipecat's ``SileroOnnxModel.reset_states`` does)."""
        self.state = np.zeros((2, 1, 128), dtype=np.float32)
        self.context = np.zeros((1, _context_samples(self.sample_rate)), dtype=np.float32)


def infer(streams: list[SileroStream], windows: list[np.ndarray]) -> list[float]:
    """Run one batch through the model and advance each stream's state (blocking).

    Args:
        streams: One per window, all at the same sample rate.
        windows: float32 audio in [-1, 1], :func:`window_samples` long each.

    Returns:
        Each window's speech confidence.
    """
    sample_rate = streams[0].sample_rate
    pairs = zip(streams, windows, strict=True)
    inputs = np.concatenate([np.concatenate((s.context, w[None, :]), axis=1) for s, w in pairs])
    states = np.concatenate([s.state for s in streams], axis=1)
    out, new_state = silero_session().run(
        None, {"input": inputs, "state": states, "sr": np.array(sample_rate, dtype=np.int64)}
    )
    keep = _context_samples(sample_rate)
    for index, stream in enumerate(streams):
        stream.state = np.ascontiguousarray(new_state[:, index : index + 1, :])
        stream.context = inputs[index : index + 1, -keep:].copy()
    return [float(value) for value in np.asarray(out)[:, 0]]


@dataclass
class _Lane:
    """Windows waiting for one sample rate's next batch."""

    streams: list[SileroStream] = field(default_factory=list)
    windows: list[np.ndarray] = field(default_factory=list)
    futures: list[asyncio.Future[float]] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None


class SileroBatcher:
    """Batches the Silero windows of every stream on one event loop.

    Args:
        max_wait_secs: Longest a window waits for others to join its batch.
        max_batch: A batch goes at once when this many windows wait.
    """

    def __init__(self, max_wait_secs: float, max_batch: int = 64) -> None:
        self.max_wait_secs, self.max_batch = max_wait_secs, max_batch
        # Weak: a call whose pipeline died without cleanup must not make every batch wait.
        self._registered: dict[int, weakref.WeakSet[SileroStream]] = {
            rate: weakref.WeakSet() for rate in SAMPLE_RATES
        }
        self._lanes = {rate: _Lane() for rate in SAMPLE_RATES}
        self.batches = 0
        self.windows = 0

    def register(self, stream: SileroStream) -> None:
        """Count ``stream`` among those a batch waits for."""
        self._registered[stream.sample_rate].add(stream)

    def unregister(self, stream: SileroStream) -> None:
        """Stop waiting for ``stream`` (its call ended)."""
        self._registered[stream.sample_rate].discard(stream)
        lane = self._lanes[stream.sample_rate]
        if lane.windows and len(lane.windows) >= len(self._registered[stream.sample_rate]):
            self._flush(stream.sample_rate)

    async def confidence(self, stream: SileroStream, window: np.ndarray) -> float:
        """Speech confidence of ``window`` (float32) for ``stream``, batched with others."""
        loop = asyncio.get_running_loop()
        lane = self._lanes[stream.sample_rate]
        future: asyncio.Future[float] = loop.create_future()
        lane.streams.append(stream)
        lane.windows.append(window)
        lane.futures.append(future)
        waiting_for = max(1, len(self._registered[stream.sample_rate]))
        if len(lane.windows) >= min(waiting_for, self.max_batch):
            self._flush(stream.sample_rate)
        elif lane.timer is None:
            lane.timer = loop.call_later(self.max_wait_secs, self._flush, stream.sample_rate)
        return await future

    def _flush(self, sample_rate: int) -> None:
        """Run the lane's batch now, on the event loop.

        A batch takes 0.15 ms (one window) to ~1 ms (16 windows). Handing it to a worker thread
        instead cost more than that: every hand-off wakes the thread and passes the GIL back
        and forth, which showed as the VAD's largest cost in the profiles.
        """
        lane = self._lanes[sample_rate]
        self._lanes[sample_rate] = _Lane()
        if lane.timer is not None:
            lane.timer.cancel()
        if not lane.windows:
            return
        self.batches += 1
        self.windows += len(lane.windows)
        try:
            results = infer(lane.streams, lane.windows)
        except Exception as error:  # ONNX errors: every waiting call gets the error, not a hang
            logger.exception(f"Silero batch of {len(lane.windows)} windows failed")
            for future in lane.futures:
                if not future.done():
                    future.set_exception(error)
            return
        for future, result in zip(lane.futures, results, strict=True):
            if not future.done():
                future.set_result(result)


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SileroBatcher] = (
    weakref.WeakKeyDictionary()
)


def batcher_for_loop(max_wait_secs: float) -> SileroBatcher:
    """The running event loop's batcher (created on first use; a process may run several)."""
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = SileroBatcher(max_wait_secs)
    return batcher


class _LazyVolume:
    """Pipecat's smoothed loudness, computed only for the windows that need it.

    Pipecat measures the loudness of the last 400 ms after every window and smooths it
    exponentially. Only windows the model scores as speech look at it, so silent stretches
    are skipped; when the volume is needed again, the skipped windows (at most
    :data:`VOLUME_CATCH_UP_WINDOWS` of them, whose weight would be below 1e-4) are measured
    from the kept audio so the smoothing comes out as pipecat's.
    """

    def __init__(self, sample_rate: int) -> None:
        self._sample_rate = sample_rate
        self._gate_bytes = int(np.ceil(VOLUME_WINDOW_SECS * sample_rate)) * 2
        self._window_bytes = window_samples(sample_rate) * 2
        self._windows: deque[bytes] = deque(maxlen=VOLUME_CATCH_UP_WINDOWS + 1 + self._lookback)
        self._seen = 0  # windows heard
        self._smoothed, self._smoothed_at = 0.0, 0  # pipecat's _prev_volume after window n

    @property
    def _lookback(self) -> int:
        return -(-self._gate_bytes // self._window_bytes)

    def add(self, window: bytes) -> None:
        """Keep one more window of audio."""
        self._windows.append(window)
        self._seen += 1

    def current(self) -> float:
        """The smoothed volume after the latest window, as pipecat would have it."""
        start = max(self._smoothed_at + 1, self._seen - VOLUME_CATCH_UP_WINDOWS + 1)
        if start > self._smoothed_at + 1:
            self._smoothed = 0.0  # older windows weigh < 1e-4 by now
        for n in range(start, self._seen + 1):
            self._smoothed = exp_smoothing(self._raw(n), self._smoothed, _SMOOTHING)
        self._smoothed_at = self._seen
        return self._smoothed

    def _raw(self, n: int) -> float:
        """Loudness of the 400 ms ending with window ``n`` (0 until 400 ms were heard)."""
        if n * self._window_bytes < self._gate_bytes:
            return 0.0
        last = len(self._windows) - 1 - (self._seen - n)
        audio = b"".join(list(self._windows)[max(0, last - self._lookback + 1) : last + 1])
        return calculate_audio_volume(audio[-self._gate_bytes :], self._sample_rate)


class BatchedSileroVADAnalyzer(SileroVADAnalyzer):
    """Pipecat's Silero VAD analyzer, with its inference batched across the process's calls.

    Args:
        params: VAD thresholds and timings.
        max_wait_secs: Longest a window waits for other calls' windows.
    """

    def __init__(self, *, params: VADParams | None = None, max_wait_secs: float = 0.01) -> None:
        # SileroVADAnalyzer.__init__ would load an ONNX session per call; the state lives in
        # a SileroStream instead, and the attributes its reset rule reads are set here.
        VADAnalyzer.__init__(self, params=params)
        self._max_wait_secs = max_wait_secs
        self._windows_since_reset = 0
        self._low_confidence_windows = 0
        self._model: SileroStream | None = None  # type: ignore[assignment]
        self._batcher: SileroBatcher | None = None
        self._volume: _LazyVolume | None = None
        self._confidence: float | None = None  # the batched result for voice_confidence
        self._scored = 0.0  # the confidence of the window being analyzed

    def set_sample_rate(self, sample_rate: int) -> None:
        """Validate the rate (8 or 16 kHz) and start this call's model state."""
        super().set_sample_rate(sample_rate)
        if self._batcher is not None and self._model is not None:
            self._batcher.unregister(self._model)
        self._model = SileroStream(self.sample_rate)
        self._volume = _LazyVolume(self.sample_rate)

    async def analyze_audio(self, buffer: bytes) -> VADState:
        """Pipecat's analysis, one window at a time, with each window's inference batched."""
        if self._model is None:
            raise RuntimeError("set_sample_rate must be called before analyze_audio")
        if self._batcher is None:
            self._batcher = batcher_for_loop(self._max_wait_secs)
            self._batcher.register(self._model)
        state = self._vad_state
        view = memoryview(buffer)
        while view:
            need = self._vad_frames_num_bytes - len(self._vad_buffer)
            piece, view = view[:need], view[need:]
            if len(piece) == need:
                pcm = np.frombuffer(self._vad_buffer + piece, np.int16)
                window = pcm.astype(np.float32) / 32768.0
                self._confidence = await self._batcher.confidence(self._model, window)
            state = self._run_analyzer(bytes(piece))
        return state

    def voice_confidence(self, buffer: bytes) -> float:
        """The window's confidence (batched in :meth:`analyze_audio`), then the reset rule."""
        confidence = self._confidence
        if confidence is None or self._model is None or self._volume is None:
            raise RuntimeError("voice_confidence is only called from analyze_audio")
        self._confidence = None
        self._volume.add(buffer)
        self._scored = confidence
        self._maybe_reset_model(confidence)
        return confidence

    def _get_smoothed_volume(self, audio: bytes) -> float:
        """Pipecat's smoothed volume when the model heard speech; skipped (0) otherwise."""
        if self._volume is None or self._scored < self._params.confidence:
            return 0.0
        return self._volume.current()

    async def cleanup(self) -> None:
        """Leave the batcher and release pipecat's executor."""
        if self._batcher is not None and self._model is not None:
            self._batcher.unregister(self._model)
        await super().cleanup()


def create_vad_analyzer(settings: Settings) -> SileroVADAnalyzer:
    """The VAD for one call: batched across the process's calls unless ``VAD_BATCHED`` is off."""
    params = VADParams(
        confidence=settings.vad_confidence,
        start_secs=settings.vad_start_secs,
        stop_secs=settings.vad_stop_secs,
    )
    if not settings.vad_batched:
        return SileroVADAnalyzer(params=params)
    return BatchedSileroVADAnalyzer(params=params, max_wait_secs=settings.vad_batch_wait_secs)
