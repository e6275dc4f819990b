"""``convonet bench overhead``: our pipeline versus a bare pipecat one, with instant services.

Both pipelines get the same caller audio (real Silero VAD, the same turn-taking settings, input
paced in real time) and the same instant STT/TTS; the bare one answers with a pipecat LLM
service, ours with ``build_pipeline`` as every call gets it (LangGraphProcessor running the agent
graph on an instant chat model, our observers, metrics, RTVI). Turns alternate between the two
in one run; what ours adds is the difference, turn by turn.
"""

import asyncio
import tempfile
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from convonet.bench.instant import (
    InProcessTransport,
    InstantChatModel,
    InstantLLM,
    InstantSTT,
    InstantTTS,
    Script,
    StageProbe,
)
from convonet.bench.report import (
    machine,
    print_table,
    pyplot,
    save_figure,
    summarize,
    summarize_stages,
    write_json,
)
from convonet.bench.speech import PCM_RATE, silence, speech_end_secs, synthesize, turns
from convonet.runtime import Runtime
from convonet.settings import Settings

TARGET_ADDED_P50_MS = 5.0
TRAILING_SILENCE_SECS = 1.2  # after each utterance: the turn ends, the bot answers and stops


@dataclass
class _Side:
    """One of the two pipelines under test."""

    name: str
    transport: InProcessTransport
    script: Script
    worker: Any
    run: Coroutine[Any, Any, None]
    probe: StageProbe
    latencies: list[float | None] = field(default_factory=list)
    speech_ends: list[float] = field(default_factory=list)

    def stages(self) -> list[dict[str, float]]:
        """Per turn: ms from the end of speech to each stage's first frame, and to audio."""
        events = self.probe.events()
        bounds = [*self.speech_ends[1:], float("inf")]
        rows: list[dict[str, float]] = []
        for ended, until, latency in zip(self.speech_ends, bounds, self.latencies, strict=True):
            row: dict[str, float] = {}
            for stage, at in events:
                if ended <= at < until:
                    row.setdefault(f"{stage}_ms", round((at - ended) * 1000, 2))
            if latency is not None:
                row["voice_to_voice_ms"] = latency
            rows.append(row)
        return rows


def _ours(runtime: Runtime) -> _Side:
    from convonet.agents.graph import build_agent_graph
    from convonet.agents.router import GENERAL
    from convonet.agents.session_tools import session_tools
    from convonet.pipeline import build_pipeline

    transport, script, probe = InProcessTransport(), Script(), StageProbe()
    session = runtime.new_session("cli", llm="offline")
    graph = build_agent_graph(InstantChatModel(), {GENERAL: session_tools()})
    voice = build_pipeline(
        transport,
        session,
        runtime,
        observers=[probe],
        stt=InstantSTT(script),
        tts=InstantTTS(),
        agent_graph=graph,
    )
    return _Side("ours", transport, script, voice.worker, voice.run(), probe)


def _bare(settings: Settings) -> _Side:
    from pipecat.audio.vad.silero import SileroVADAnalyzer
    from pipecat.audio.vad.vad_analyzer import VADParams
    from pipecat.pipeline.pipeline import Pipeline
    from pipecat.pipeline.worker import PipelineParams, PipelineWorker
    from pipecat.processors.aggregators.llm_context import LLMContext
    from pipecat.processors.aggregators.llm_response_universal import (
        LLMContextAggregatorPair,
        LLMUserAggregatorParams,
    )
    from pipecat.turns.user_stop import SpeechTimeoutUserTurnStopStrategy
    from pipecat.turns.user_turn_strategies import UserTurnStrategies
    from pipecat.workers.runner import WorkerRunner

    vad = SileroVADAnalyzer(
        params=VADParams(
            confidence=settings.vad_confidence,
            start_secs=settings.vad_start_secs,
            stop_secs=settings.vad_stop_secs,
        )
    )
    stop = SpeechTimeoutUserTurnStopStrategy(user_speech_timeout=settings.user_speech_timeout_secs)
    user, assistant = LLMContextAggregatorPair(
        LLMContext(),
        user_params=LLMUserAggregatorParams(
            vad_analyzer=vad, user_turn_strategies=UserTurnStrategies(stop=[stop])
        ),
    )
    transport, script, probe = InProcessTransport(), Script(), StageProbe()
    processors = [transport.input(), InstantSTT(script), user, InstantLLM(), InstantTTS()]
    worker = PipelineWorker(
        Pipeline([*processors, transport.output(), assistant]),
        params=PipelineParams(audio_in_sample_rate=PCM_RATE, audio_out_sample_rate=24000),
        idle_timeout_secs=None,
        observers=[probe],
    )

    async def run() -> None:
        runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(worker)
        await runner.run()

    return _Side("bare", transport, script, worker, run(), probe)


async def _turn(side: _Side, text: str) -> None:
    pcm = synthesize(text)
    side.script.text = text
    before = len(side.transport.output().audio_times)
    ended = await side.transport.input().play(
        pcm + silence(TRAILING_SILENCE_SECS), PCM_RATE, speech_end_secs(pcm)
    )
    answer = [t for t in side.transport.output().audio_times[before:] if t >= ended]
    side.speech_ends.append(ended)
    side.latencies.append(round((answer[0] - ended) * 1000, 2) if answer else None)


async def _drive(sides: tuple[_Side, _Side], count: int) -> None:
    from pipecat.frames.frames import EndFrame

    tasks = [asyncio.create_task(side.run) for side in sides]
    try:
        async with asyncio.timeout(60):
            for side in sides:
                await side.transport.input().started.wait()
        for index, turn in enumerate(turns(count)):
            # Alternate which pipeline goes first, so neither always follows the other.
            for side in sides if index % 2 == 0 else sides[::-1]:
                await _turn(side, turn.text)
        for side in sides:
            await side.worker.queue_frame(EndFrame())
        async with asyncio.timeout(30):
            await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()


async def run_overhead(count: int) -> dict[str, list[dict[str, float]]]:
    """Run ``count`` turns through each pipeline; per turn and pipeline, ms to each stage."""
    from convonet.runtime import open_runtime

    for turn in turns(count):
        await asyncio.to_thread(synthesize, turn.text)
    with tempfile.TemporaryDirectory(prefix="convonet-bench-") as tmp:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            environment="test",
            data_dir=Path(tmp),
            tools_enabled=False,
            # The bare pipeline ends turns on a speech timeout: compare like with like.
            turn_stop="speech_timeout",
        )
        async with open_runtime(settings) as runtime:
            ours, bare = _ours(runtime), _bare(settings)
            await _drive((ours, bare), count)
    return {"ours": ours.stages(), "bare": bare.stages()}


STAGE_ORDER = (
    "vad_stop_ms",
    "transcript_ms",
    "turn_end_ms",
    "agent_request_ms",
    "agent_text_ms",
    "tts_audio_ms",
    "voice_to_voice_ms",
)


def overhead_result(rows: dict[str, list[dict[str, float]]]) -> dict[str, Any]:
    """The JSON document of an overhead run."""
    ours, bare = rows["ours"], rows["bare"]
    pairs = [
        (o["voice_to_voice_ms"], b["voice_to_voice_ms"])
        for o, b in zip(ours, bare, strict=True)
        if "voice_to_voice_ms" in o and "voice_to_voice_ms" in b
    ]
    stages = {name: summarize_stages(rows[name], STAGE_ORDER) for name in ("bare", "ours")}
    by_stage = {
        stage: round(float(o) - float(b), 2)
        for stage in STAGE_ORDER
        if (o := stages["ours"][stage]["p50"]) is not None
        and (b := stages["bare"][stage]["p50"]) is not None
    }
    added = summarize([o - b for o, b in pairs])
    p50 = added["p50"]
    return {
        "benchmark": "overhead",
        "machine": machine(),
        "turns": len(ours),
        "answered_turns": len(pairs),
        "added_ms": added,
        "added_p50_by_stage_ms": by_stage,
        "stages": stages,
        "target": {
            "added_p50_ms": TARGET_ADDED_P50_MS,
            "met": p50 is not None and p50 <= TARGET_ADDED_P50_MS,
        },
        "records": [{"ours": o, "bare": b} for o, b in zip(ours, bare, strict=True)],
    }


def plot_overhead(result: dict[str, Any], out: Path) -> Path:
    """Per-turn latency of both pipelines and what ours added."""
    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(8, 3.2))
    records = result["records"]
    series = {
        name: [r[name].get("voice_to_voice_ms") for r in records] for name in ("bare", "ours")
    }
    left.plot(series["bare"], "o-", markersize=3, label="bare pipecat")
    left.plot(series["ours"], "s-", markersize=3, label="convonet build_pipeline")
    left.set_xlabel("turn")
    left.set_ylabel("ms, end of speech → first bot audio")
    left.legend(fontsize=7)
    added = [o - b for o, b in zip(series["ours"], series["bare"], strict=True) if o and b]
    right.hist(added, bins=20, color="#7f9fbf")
    right.axvline(TARGET_ADDED_P50_MS, color="#c0392b", linestyle="--", label="target p50")
    right.set_xlabel("ms added per turn (ours - bare)")
    right.legend(fontsize=7)
    figure.suptitle("convonet bench overhead (instant STT/LLM/TTS, real VAD)", fontsize=10)
    return save_figure(figure, out, "overhead")


def report_overhead(rows: dict[str, list[dict[str, float]]], out: Path) -> dict[str, Any]:
    """Print the tables, write ``overhead.json`` and ``overhead.png``; return the result."""
    result = overhead_result(rows)
    turns_note = f"{result['answered_turns']}/{result['turns']} answered turns"
    for name in ("bare", "ours"):
        print_table(
            f"{name} pipeline, ms after end of speech ({turns_note})", result["stages"][name]
        )
    print_table(
        "added by our pipeline per turn (ours - bare, paired)", {"added_ms": result["added_ms"]}
    )
    click.echo(
        "  added p50 by stage: "
        + ", ".join(
            f"{stage.removesuffix('_ms')} {ms:+.1f}"
            for stage, ms in result["added_p50_by_stage_ms"].items()
        )
    )
    verdict = "met" if result["target"]["met"] else "NOT met"
    target = f"target <= {TARGET_ADDED_P50_MS:g} ms"
    click.echo(
        f"  our pipeline adds {result['added_ms']['p50']} ms per turn (p50); {target}: {verdict}"
    )
    result["png"] = str(plot_overhead(result, out))
    result["json"] = str(write_json(out, "overhead", result))
    click.echo(f"  wrote {result['json']} and {result['png']}")
    return result
