"""``convonet bench vad``: what the VAD costs per call, pipecat's per-call Silero vs batched.

In one process, ``sessions`` analyzers are fed real-time 20 ms chunks of real speech (Piper
utterances between pauses, a different start for each call) for ``secs`` seconds, as the user
aggregator feeds them in a call. The CPU time of the process (all threads: the per-call
analyzers' executor threads, the batch thread, the event loop) is measured per variant, less
the cost of the same paced loop with no VAD, so the figure is the VAD's alone, per second of
audio; how far each variant fell behind real time and the speech starts it detected are
reported too.
"""

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADParams, VADState

from convonet.bench.report import machine, pyplot, save_figure, write_json
from convonet.bench.speech import silence, synthesize, turns
from convonet.services.vad import BatchedSileroVADAnalyzer

RATE = 16000
CHUNK_SECS = 0.02
CHUNK_BYTES = int(RATE * CHUNK_SECS) * 2
PARAMS = VADParams(confidence=0.7, start_secs=0.2, stop_secs=0.2)


def call_audio(secs: float) -> bytes:
    """``secs`` of a caller: utterances with 0.8 s pauses, repeated."""
    parts = [silence(0.5)]
    for turn in turns(5):
        parts += [synthesize(turn.text), silence(0.8)]
    one = b"".join(parts)
    need = int(secs * RATE) * 2
    return (one * (need // len(one) + 1))[:need]


async def _feed(analyzer: SileroVADAnalyzer | None, pcm: bytes, offset: int) -> int:
    """Stream ``pcm`` (rotated by ``offset`` bytes) at real-time pace; count speech starts."""
    pcm = pcm[offset:] + pcm[:offset]
    if analyzer is not None:
        analyzer.set_sample_rate(RATE)
    starts, state, started = 0, VADState.QUIET, time.monotonic()
    for index in range(len(pcm) // CHUNK_BYTES):
        chunk = pcm[index * CHUNK_BYTES : (index + 1) * CHUNK_BYTES]
        if analyzer is not None:
            new = await analyzer.analyze_audio(chunk)
            starts += new == VADState.SPEAKING and state != VADState.SPEAKING
            state = new
        delay = started + (index + 1) * CHUNK_SECS - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
    if analyzer is not None:
        await analyzer.cleanup()
    return starts


async def _variant(
    make: Callable[[], SileroVADAnalyzer | None], sessions: int, pcm: bytes
) -> dict[str, Any]:
    offsets = [(i * 7919 * CHUNK_BYTES) % len(pcm) for i in range(sessions)]
    analyzers = [make() for _ in range(sessions)]  # model loading is not part of the cost
    cpu, wall = time.process_time(), time.monotonic()
    pairs = zip(analyzers, offsets, strict=True)
    starts = await asyncio.gather(*(_feed(a, pcm, o) for a, o in pairs))
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    return {"cpu_secs": round(cpu, 2), "wall_secs": round(wall, 2), "speech_starts": sum(starts)}


async def run_vad(sessions: int, secs: float) -> dict[str, Any]:
    """The three variants one after another in this process; CPU per call of each VAD."""
    pcm = await asyncio.to_thread(call_audio, secs)
    variants: dict[str, Callable[[], SileroVADAnalyzer | None]] = {
        "paced loop, no VAD": lambda: None,
        "pipecat SileroVADAnalyzer (per call)": lambda: SileroVADAnalyzer(params=PARAMS),
        "BatchedSileroVADAnalyzer": lambda: BatchedSileroVADAnalyzer(params=PARAMS),
    }
    results: dict[str, dict[str, Any]] = {}
    for name, make in variants.items():
        click.echo(f"  {name}: {sessions} calls x {secs:g} s ...")
        results[name] = await _variant(make, sessions, pcm)
    loop_cpu = results["paced loop, no VAD"]["cpu_secs"]
    for result in results.values():
        # Per second of the calls' audio, not of wall time: a VAD that falls behind real time
        # stretches the wall time and would look cheaper per second than it is.
        vad_cpu = max(0.0, result["cpu_secs"] - loop_cpu)
        result["vad_cores_per_call"] = round(vad_cpu / secs / sessions, 4)
        result["behind_real_time_secs"] = round(max(0.0, result["wall_secs"] - secs), 2)
    return {
        "benchmark": "vad",
        "machine": machine(),
        "config": {"sessions": sessions, "secs": secs, "chunk_ms": CHUNK_SECS * 1000},
        "variants": results,
    }


def report_vad(result: dict[str, Any], out: Path) -> dict[str, Any]:
    """Print the table, write ``vad.json`` and ``vad.png``."""
    click.echo("\nVAD cost (CPU of this process, less the paced loop's)")
    click.echo("  variant                                cores/call  speech starts  CPU s  late s")
    for name, v in result["variants"].items():
        click.echo(
            f"  {name:<38} {v['vad_cores_per_call']:>10.4f}  {v['speech_starts']:>13}"
            f"  {v['cpu_secs']:>5.1f}  {v['behind_real_time_secs']:>6.1f}"
        )
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, 3))
    names = [n for n in result["variants"] if "no VAD" not in n]
    axes.barh(names, [result["variants"][n]["vad_cores_per_call"] for n in names])
    axes.set_xlabel("CPU cores per call (VAD only)")
    axes.set_title(f"convonet bench vad ({result['config']['sessions']} calls)", fontsize=10)
    result["png"] = str(save_figure(figure, out, "vad"))
    result["json"] = str(write_json(out, "vad", result))
    click.echo(f"  wrote {result['json']} and {result['png']}")
    return result
