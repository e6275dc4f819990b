"""``convonet bench latency``: spoken turns through ``/ws`` on the embedded defaults.

Whisper STT, the offline agent and Piper TTS, utterances streamed at real-time pace. By
default two configurations run side by side in the same run, one server each, their turns
interleaved (the same synthesized audio, alternating which goes first) so that both see the
same machine load: ``old`` (fixed speech timeout, STT at VAD stop, whole first sentence to
Piper) and ``new`` (smart-turn model, speculative STT with a fitted Whisper context and a
confirm window, first clause to Piper); ``eager`` (``new`` without the confirm window) can
be added with ``--configs old,new,eager``. Per
configuration: voice-to-voice and the server's stages with p50/p95, the false end-of-turn
rate over utterances with mid-sentence pauses, and the word error rate of the transcripts.
"""

import asyncio
import contextlib
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from convonet.bench.client import Caller
from convonet.bench.report import machine, summarize, summarize_stages
from convonet.bench.servers import machine_busy_secs, tree_usage
from convonet.bench.speech import LATENCY_TURNS, Turn, speak, turns
from convonet.bench.turns import (
    SPEECH,
    STAGES,
    TurnRecord,
    count_user_turns,
    open_call,
    speak_turn,
    wait_until_quiet,
)
from convonet.bench.wer import word_error_rate

TARGET_P50_MS = 550.0
TARGET_P95_MS = 800.0
PAUSE_SECS = 0.6  # between the bot's answer and the caller's next utterance
SETTLE_SECS = 1.0  # quiet that tells an answer is over (a loaded Piper leaves gaps)

# The configurations compared (server settings); --set adds to both.
CONFIGS: dict[str, dict[str, str]] = {
    "old": {
        "TURN_STOP": "speech_timeout",
        "SPECULATIVE_STT": "false",
        "TTS_FIRST_CLAUSE": "false",
        "WHISPER_FIT_CONTEXT": "false",
    },
    "new": {
        "TURN_STOP": "smart_turn",
        "SPECULATIVE_STT": "true",
        "TTS_FIRST_CLAUSE": "true",
        "WHISPER_FIT_CONTEXT": "true",
        "TURN_CONFIRM_SECS": "0.55",
    },
    # "new" without the confirm window: a transcript ends a finished-sounding turn at once.
    "eager": {
        "TURN_STOP": "smart_turn",
        "SPECULATIVE_STT": "true",
        "TTS_FIRST_CLAUSE": "true",
        "WHISPER_FIT_CONTEXT": "true",
        "TURN_CONFIRM_SECS": "0",
    },
}


@dataclass
class CallRun:
    """One benchmark call: its turns and how well the caller kept real-time pace."""

    records: list[TurnRecord] = field(default_factory=list)
    chunks_sent: int = 0
    late_sends: int = 0
    worst_send_lag_ms: float = 0.0


@dataclass
class Load:
    """How busy the machine was during a run (other helpers share it)."""

    wall_secs: float
    machine_busy_cores: float
    server_cores: dict[str, float]
    loadavg_before: str
    loadavg_after: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the cores neither server used (``other_cores``)."""
        other = self.machine_busy_cores - sum(self.server_cores.values())
        return {
            "wall_secs": round(self.wall_secs, 1),
            "machine_busy_cores": round(self.machine_busy_cores, 2),
            "server_cores": {k: round(v, 2) for k, v in self.server_cores.items()},
            "other_cores": round(max(0.0, other), 2),
            "loadavg_before": self.loadavg_before,
            "loadavg_after": self.loadavg_after,
        }


def _loadavg() -> str:
    with contextlib.suppress(OSError):
        return " ".join(os.getloadavg().__repr__().strip("()").split(", "))
    return ""


async def _synthesize_all(script: Sequence[Turn], sample_rate: int) -> None:
    for turn in script:  # up front, so synthesis does not compete with the calls
        await asyncio.to_thread(speak, turn, sample_rate)


async def run_calls(
    urls: Mapping[str, str], pin: str, count: int, pids: Mapping[str, int] | None = None
) -> tuple[dict[str, CallRun], Load]:
    """One call per configuration (``name -> server URL``), ``count`` turns interleaved.

    Args:
        urls: Configuration name -> base URL of the server running it.
        pin: The voice PIN.
        count: Turns per call (cycling through :data:`LATENCY_TURNS`).
        pids: Configuration name -> server process id, to measure its CPU.
    """
    script = turns(count, LATENCY_TURNS)
    await _synthesize_all(script, 16000)
    names = list(urls)
    runs = {name: CallRun() for name in names}
    async with contextlib.AsyncExitStack() as stack:
        callers: dict[str, Caller] = {}
        for name in names:
            ws_url = await open_call(urls[name], pin, **SPEECH["embedded"])
            callers[name] = await stack.enter_async_context(Caller(ws_url))
        for caller in callers.values():
            await wait_until_quiet(caller, timeout=30, settle_secs=SETTLE_SECS)
        before = {name: tree_usage([pid]).cpu_secs for name, pid in (pids or {}).items()}
        wall, busy, loadavg = time.monotonic(), machine_busy_secs(), _loadavg()
        for index, turn in enumerate(script):
            order = names if index % 2 == 0 else names[::-1]
            for name in order:
                await asyncio.sleep(PAUSE_SECS)
                start = len(callers[name].heard.messages)
                record = await speak_turn(callers[name], turn)
                with contextlib.suppress(TimeoutError):
                    await wait_until_quiet(callers[name], timeout=30, settle_secs=SETTLE_SECS)
                count_user_turns(record, callers[name].heard.messages[start:])
                runs[name].records.append(record)
        wall = time.monotonic() - wall
        load = Load(
            wall_secs=wall,
            machine_busy_cores=(machine_busy_secs() - busy) / wall,
            server_cores={
                name: (tree_usage([pid]).cpu_secs - before[name]) / wall
                for name, pid in (pids or {}).items()
            },
            loadavg_before=loadavg,
            loadavg_after=_loadavg(),
        )
        for name, caller in callers.items():
            lags = caller.heard.send_lags
            runs[name].chunks_sent = caller.heard.chunks_sent
            runs[name].late_sends = len(lags)
            runs[name].worst_send_lag_ms = round(max(lags, default=0.0) * 1000, 1)
    return runs, load


def config_result(run: CallRun, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON document of one configuration's call."""
    records = run.records
    stages = summarize_stages([record.stages for record in records], STAGES)
    paused = [record for record in records if record.pause_secs]
    plain = [record for record in records if not record.pause_secs]
    split = [record for record in paused if record.cut]
    p50, p95 = stages["voice_to_voice_ms"]["p50"], stages["voice_to_voice_ms"]["p95"]
    return {
        "settings": dict(settings),
        "turns": len(records),
        "failed_turns": sum(1 for record in records if record.error),
        "stages": stages,
        "false_end_of_turn": {
            "paused_turns": len(paused),
            "cut_turns": len(split),
            "rate": round(len(split) / len(paused), 3) if paused else None,
            "cut_plain_turns": sum(1 for record in plain if record.cut),
        },
        "wer": word_error_rate([r.text for r in records], [r.heard for r in records]),
        "wer_paused": word_error_rate([r.text for r in paused], [r.heard for r in paused]),
        "wer_plain": word_error_rate([r.text for r in plain], [r.heard for r in plain]),
        "audio_gaps": summarize([float(record.audio_gaps) for record in records]),
        "caller": {
            "chunks_sent": run.chunks_sent,
            "late_sends": run.late_sends,
            "worst_send_lag_ms": run.worst_send_lag_ms,
        },
        "target": {
            "voice_to_voice_p50_ms": TARGET_P50_MS,
            "voice_to_voice_p95_ms": TARGET_P95_MS,
            "met": p50 is not None
            and p95 is not None
            and p50 <= TARGET_P50_MS
            and p95 <= TARGET_P95_MS,
        },
        "records": [record.as_dict() for record in records],
    }


def latency_result(
    runs: Mapping[str, CallRun], settings: Mapping[str, Mapping[str, Any]], load: Load | None
) -> dict[str, Any]:
    """The JSON document of a latency run: each configuration, and new/old ratios."""
    configs = {name: config_result(run, settings.get(name, {})) for name, run in runs.items()}
    result: dict[str, Any] = {
        "benchmark": "latency",
        "machine": machine(),
        "load": load.as_dict() if load else None,
        "configs": configs,
    }
    if "old" in configs and "new" in configs:
        old, new = configs["old"]["stages"], configs["new"]["stages"]
        result["new_over_old"] = {
            f"voice_to_voice_{q}": _ratio(new["voice_to_voice_ms"][q], old["voice_to_voice_ms"][q])
            for q in ("p50", "p95")
        }
    return result


def _ratio(new: float | None, old: float | None) -> float | None:
    return round(new / old, 3) if new is not None and old else None
