"""``convonet bench latency``: spoken turns through ``/ws`` on the embedded defaults.

Whisper STT, the offline agent and Piper TTS, one call, utterances streamed at real-time pace;
voice-to-voice and the server's stages per turn, with p50/p95.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from convonet.bench.client import Caller
from convonet.bench.report import (
    machine,
    print_table,
    pyplot,
    save_figure,
    summarize,
    summarize_stages,
    write_json,
)
from convonet.bench.speech import synthesize, turns
from convonet.bench.turns import STAGES, TurnRecord, open_call, speak_turn, wait_until_quiet

TARGET_P50_MS = 700.0
EMBEDDED = {"stt": "whisper", "tts": "piper", "llm": "offline"}
PAUSE_SECS = 0.6  # between the bot's answer and the caller's next utterance


@dataclass
class CallRun:
    """One benchmark call: its turns and how well the caller kept real-time pace."""

    records: list[TurnRecord]
    chunks_sent: int = 0
    late_sends: int = 0
    worst_send_lag_ms: float = 0.0


async def run_turns(base_url: str, pin: str, count: int) -> CallRun:
    """One call on ``base_url`` with ``count`` spoken turns."""
    script = turns(count)
    for turn in script:  # synthesize up front so it does not compete with the call
        await asyncio.to_thread(synthesize, turn.text)
    ws_url = await open_call(base_url, pin, **EMBEDDED)
    records: list[TurnRecord] = []
    async with Caller(ws_url) as caller:
        await wait_until_quiet(caller, timeout=30)
        for turn in script:
            await asyncio.sleep(PAUSE_SECS)
            records.append(await speak_turn(caller, turn))
            await wait_until_quiet(caller, timeout=30)
    lags = caller.heard.send_lags
    return CallRun(
        records, caller.heard.chunks_sent, len(lags), round(max(lags, default=0.0) * 1000, 1)
    )


def latency_result(run: CallRun, server: dict[str, Any]) -> dict[str, Any]:
    """The JSON document of a latency run."""
    records = run.records
    rows = [record.stages for record in records]
    stages = summarize_stages(rows, STAGES)
    p50 = stages["voice_to_voice_ms"]["p50"]
    return {
        "benchmark": "latency",
        "machine": machine(),
        "server": server,
        "turns": len(records),
        "failed_turns": sum(1 for record in records if record.error),
        "stages": stages,
        "audio_gaps": summarize([float(record.audio_gaps) for record in records]),
        "caller": {
            "chunks_sent": run.chunks_sent,
            "late_sends": run.late_sends,
            "worst_send_lag_ms": run.worst_send_lag_ms,
        },
        "target": {
            "voice_to_voice_p50_ms": TARGET_P50_MS,
            "met": p50 is not None and p50 <= TARGET_P50_MS,
        },
        "records": [record.as_dict() for record in records],
    }


def plot_latency(records: Sequence[TurnRecord], out: Path) -> Path:
    """Per-turn waterfall: end of speech → transcript → agent text → first bot audio."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, 3.6))
    segments = (
        ("transcript_ms", "speech end → transcript", "#8fb3d9"),
        ("agent_first_text_ms", "→ agent text", "#f2b36b"),
        ("voice_to_voice_ms", "→ first bot audio", "#7fbf7f"),
    )
    for index, record in enumerate(records):
        start = 0.0
        for key, label, color in segments:
            end = record.stages.get(key)
            if end is None or end < start:
                continue
            axes.barh(
                index, end - start, left=start, color=color, label=label if index == 0 else None
            )
            start = end
    axes.axvline(TARGET_P50_MS, color="#c0392b", linestyle="--", linewidth=1, label="target p50")
    axes.set_yticks(range(len(records)), [f"{i + 1}. {r.text[:22]}" for i, r in enumerate(records)])
    axes.invert_yaxis()
    axes.set_xlabel("ms after the end of the caller's speech")
    axes.set_title("convonet bench latency (embedded: Whisper, offline agent, Piper)")
    axes.legend(fontsize=7, loc="lower right")
    axes.tick_params(labelsize=7)
    return save_figure(figure, out, "latency")


def report_latency(run: CallRun, server: dict[str, Any], out: Path) -> dict[str, Any]:
    """Print the table, write ``latency.json`` and ``latency.png``; return the result."""
    result = latency_result(run, server)
    print_table(f"latency over {len(run.records)} turns (ms after end of speech)", result["stages"])
    for record in run.records:
        if record.error:
            click.echo(f"  failed turn {record.text!r}: {record.error}")
    target = result["target"]
    verdict = "met" if target["met"] else "NOT met"
    click.echo(f"  target voice-to-voice p50 <= {TARGET_P50_MS:.0f} ms: {verdict}")
    result["png"] = str(plot_latency(run.records, out))
    result["json"] = str(write_json(out, "latency", result))
    click.echo(f"  wrote {result['json']} and {result['png']}")
    return result
