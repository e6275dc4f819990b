"""Batched Silero VAD decides exactly as pipecat's per-call Silero analyzer, on real speech."""

import asyncio

import numpy as np
import pytest
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADParams, VADState

from convonet.services.vad import BatchedSileroVADAnalyzer, SileroStream, batcher_for_loop, infer
from tests.fakes.speech import silence, synthesize

PARAMS = VADParams(confidence=0.7, start_secs=0.2, stop_secs=0.2)
CHUNK_SECS = 0.02


def _call_audio(texts: list[str], rate: int, noise: float) -> bytes:
    """Speech with pauses, over a little background noise (so volume and resets matter)."""
    parts = [silence(0.7, rate)]
    for text in texts:
        parts += [synthesize(text, rate), silence(1.3, rate)]
    pcm = np.frombuffer(b"".join(parts), np.int16).astype(np.float32)
    rng = np.random.default_rng(len(texts))
    pcm += rng.normal(0, noise, pcm.shape)
    return np.clip(pcm, -32768, 32767).astype(np.int16).tobytes()


def _chunks(pcm: bytes, rate: int) -> list[bytes]:
    size = int(rate * CHUNK_SECS) * 2
    return [pcm[i : i + size] for i in range(0, len(pcm), size)]


async def _decisions(analyzer: SileroVADAnalyzer, pcm: bytes, rate: int) -> list[VADState]:
    analyzer.set_sample_rate(rate)
    states = []
    for chunk in _chunks(pcm, rate):
        states.append(await analyzer.analyze_audio(chunk))
        await asyncio.sleep(0)  # let the other calls send theirs, as live calls interleave
    await analyzer.cleanup()
    return states


def _speech_spans(states: list[VADState]) -> int:
    spans, speaking = 0, False
    for state in states:
        if state == VADState.SPEAKING and not speaking:
            spans += 1
        speaking = state == VADState.SPEAKING
    return spans


@pytest.mark.parametrize("rate", [16000, 8000])
async def test_batched_sessions_decide_like_pipecat_silero(rate: int) -> None:
    """Four calls analysed at once, each state matches its own per-call pipecat analyzer."""
    calls = [
        (["What time is it", "Add milk to my list"], 0.0),
        (["Tell me a joke please"], 30.0),
        (["What can you do", "Thank you goodbye"], 120.0),
        (["What is the date today"], 300.0),
    ]
    audio = [_call_audio(texts, rate, noise) for texts, noise in calls]
    expected = [await _decisions(SileroVADAnalyzer(params=PARAMS), pcm, rate) for pcm in audio]
    batched = await asyncio.gather(
        *(_decisions(BatchedSileroVADAnalyzer(params=PARAMS), pcm, rate) for pcm in audio)
    )
    for index, (want, got) in enumerate(zip(expected, batched, strict=True)):
        assert got == want, f"call {index} differs at chunk {_first_difference(want, got)}"
        assert _speech_spans(want) >= len(calls[index][0])  # the VAD really heard the speech
    stats = batcher_for_loop(0.01)
    assert stats.windows >= 2 * stats.batches  # windows really were batched together


def _first_difference(want: list[VADState], got: list[VADState]) -> int:
    pairs = enumerate(zip(want, got, strict=False))
    return next((i for i, (a, b) in pairs if a != b), min(len(want), len(got)))


def test_batch_inference_matches_one_window_at_a_time() -> None:
    """Stacking streams into one batch gives each the confidences it gets alone."""
    rng = np.random.default_rng(7)
    windows = [rng.normal(0, 0.1, (6, 512)).astype(np.float32) for _ in range(3)]
    alone = []
    for stream_windows in windows:
        stream = SileroStream(16000)
        alone.append([infer([stream], [w])[0] for w in stream_windows])
    streams = [SileroStream(16000) for _ in windows]
    together = [infer(streams, [w[step] for w in windows]) for step in range(6)]
    assert np.allclose(np.array(together).T, np.array(alone), atol=1e-5)


async def test_analyzer_needs_a_sample_rate() -> None:
    """Analysing before the pipeline set the sample rate is a clear error."""
    with pytest.raises(RuntimeError, match="set_sample_rate"):
        await BatchedSileroVADAnalyzer(params=PARAMS).analyze_audio(b"\x00" * 640)
