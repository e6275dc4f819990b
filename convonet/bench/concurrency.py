"""``convonet bench concurrency``: many simultaneous ``/ws`` calls on one machine.

The servers (``--workers`` separate ``convonet serve`` processes, each self-contained with its
own embedded Redis and SQLite; sessions are spread over them round-robin as a load balancer
would) take their speech from one of two places:

- ``network`` (the default): Deepgram STT and TTS from local fake servers in this process,
  which answer after a configurable latency, so a server does what it does with cloud speech:
  Silero VAD on every caller's real-time audio, audio streamed out to STT, the offline agent,
  audio streamed back.
- ``embedded``: the app's own defaults, Whisper and Piper inside the server, as the README's
  quick start runs it. Every turn's transcript and answer then cost the server's own CPU.
"""

import asyncio
import contextlib
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from convonet.bench.client import Caller
from convonet.bench.fakes.deepgram import FakeDeepgramSTT, FakeDeepgramTTS
from convonet.bench.report import summarize, summarize_stages
from convonet.bench.servers import Fleet, machine_busy_secs, tree_usage
from convonet.bench.speech import synthesize, turns
from convonet.bench.threads import thread_cpu, thread_split
from convonet.bench.turns import (
    SPEECH,
    STAGES,
    Speech,
    TurnRecord,
    open_call,
    speak_turn,
    wait_until_quiet,
)
from convonet.bench.verdicts import turn_verdicts, verdicts_between

API_KEY = "convonet-bench-key"
TRANSCRIPT = "What time is it?"
STAGGER_SECS = 0.1  # between session starts
PAUSE_SECS = (0.4, 1.6)  # the caller's pause before each utterance, drawn at random
TARGET_SESSIONS = 50
TARGET_P95_MARGIN_MS = 100.0


@dataclass
class Providers:
    """The fake Deepgram servers every benchmark server talks to."""

    stt: FakeDeepgramSTT
    tts: FakeDeepgramTTS

    def settings(self) -> dict[str, str]:
        """Environment for the servers: Deepgram for STT and TTS, at the fakes' URLs."""
        return {
            "DEEPGRAM_API_KEY": API_KEY,
            "DEEPGRAM_STT_URL": self.stt.url,
            "DEEPGRAM_TTS_URL": self.tts.url,
            "STT_PROVIDER": "deepgram",
            "TTS_PROVIDER": "deepgram",
        }

    def tts_secs_sent(self, since: int) -> float:
        """Seconds of audio the TTS fake has streamed on connections ``since`` onwards."""
        total = 0.0
        for record in self.tts.connections[since:]:
            rate = int(record.query.get("sample_rate", "24000"))
            total += len(record.audio_sent) / 2 / rate
        return total


async def start_providers(stt_latency_ms: float, tts_latency_ms: float) -> Providers:
    """Start the fake STT and TTS servers with the given latencies.

    The STT fake finalizes only on the client's ``Finalize`` (sent when the VAD hears the end
    of speech), as Deepgram does for a VAD-driven app.
    """
    stt = FakeDeepgramSTT(
        api_key=API_KEY,
        transcript=TRANSCRIPT,
        final_after_secs=None,
        latency=stt_latency_ms / 1000,
    )
    tts = FakeDeepgramTTS(api_key=API_KEY, latency=tts_latency_ms / 1000)
    stt.keep_audio = False
    # Whether Deepgram negotiates permessage-deflate is not documented; compressing PCM
    # would cost the server CPU for nothing, so the fakes decline it.
    stt.deflate = tts.deflate = False
    await stt.start()
    await tts.start()
    return Providers(stt, tts)


@dataclass
class SessionRun:
    """One caller's call."""

    records: list[TurnRecord] = field(default_factory=list)
    audio_secs: float = 0.0
    late_sends: int = 0
    worst_send_lag_ms: float = 0.0
    error: str | None = None


async def _session(
    url: str, pin: str, count: int, delay: float, seed: int, deflate: bool, speech: Speech
) -> SessionRun:
    run = SessionRun()
    rng = random.Random(seed)
    await asyncio.sleep(delay)
    try:
        ws_url = await open_call(url, pin, **SPEECH[speech])
        async with Caller(ws_url, deflate=deflate) as caller:
            await wait_until_quiet(caller, timeout=60)
            for turn in turns(count):
                await asyncio.sleep(rng.uniform(*PAUSE_SECS))
                run.records.append(await speak_turn(caller, turn, timeout=30))
                await wait_until_quiet(caller, timeout=30)
            run.audio_secs = caller.heard.audio_secs
            run.late_sends = len(caller.heard.send_lags)
            run.worst_send_lag_ms = round(max(caller.heard.send_lags, default=0.0) * 1000, 1)
    except Exception as error:  # a failed call is a finding, not a crash of the benchmark
        run.error = f"{type(error).__name__}: {error}"
    return run


async def _sample_memory(pids: Sequence[int], peak: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        usage = await asyncio.to_thread(tree_usage, pids)
        peak[0] = max(peak[0], usage.rss_mib)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def run_phase(
    fleet: Fleet,
    providers: Providers | None,
    sessions: int,
    count: int,
    pin: str,
    deflate: bool = False,
) -> dict[str, Any]:
    """``sessions`` simultaneous calls of ``count`` turns each; the phase's summary.

    Args:
        fleet: The servers.
        providers: The fake network STT and TTS, or None for the servers' embedded speech.
        sessions: Simultaneous calls.
        count: Turns per call.
        pin: The voice PIN the callers sign in with.
        deflate: The callers offer permessage-deflate, as browsers do.
    """
    speech: Speech = "embedded" if providers is None else "network"
    for turn in turns(count):
        await asyncio.to_thread(synthesize, turn.text)
    idle = tree_usage(fleet.pids)
    threads_before = thread_cpu(fleet.pids, idle)
    tts_since = 0 if providers is None else len(providers.tts.connections)
    peak, stop = [idle.rss_mib], asyncio.Event()
    sampler = asyncio.create_task(_sample_memory(fleet.pids, peak, stop))
    urls = fleet.urls
    verdicts = await turn_verdicts(urls)
    wall, client_cpu, busy = time.monotonic(), time.process_time(), machine_busy_secs()
    runs = await asyncio.gather(
        *(
            _session(urls[i % len(urls)], pin, count, i * STAGGER_SECS, i, deflate, speech)
            for i in range(sessions)
        )
    )
    wall, client_cpu = time.monotonic() - wall, time.process_time() - client_cpu
    busy = machine_busy_secs() - busy
    stop.set()
    await sampler
    used = tree_usage(fleet.pids)
    threads_after = thread_cpu(fleet.pids, used)
    # The embedded TTS streams from inside the server: nothing to compare received audio with.
    tts_secs = 0.0 if providers is None else providers.tts_secs_sent(tts_since)
    summary = _summary(runs, sessions, tts_secs)
    # How the phase's VAD stops were judged: by the turn model, or shed or late under load.
    summary["turn_verdicts"] = verdicts_between(verdicts, await turn_verdicts(urls))
    server_cores = (used.cpu_secs - idle.cpu_secs) / wall
    summary["cpu"] = {
        "server_cores": round(server_cores, 2),
        # Less sensitive to the machine's load than latency: what each call costs the server.
        "server_cpu_secs": round(used.cpu_secs - idle.cpu_secs, 1),
        "cores_per_session": round(server_cores / sessions, 4),
        "bench_process_cores": round(client_cpu / wall, 2),
        "machine_busy_cores": round(busy / wall, 2),
        "other_cores": round(max(0.0, busy / wall - server_cores - client_cpu / wall), 2),
        # The servers' event loops against their other threads (smart-turn) and the MCP tools.
        "threads": (split := thread_split(threads_before, threads_after)),
        # Share of the phase each event loop was ready to run but had no core: a full machine.
        "event_loop_wait_share": round(
            split["event_loop_wait_secs"] / (wall * max(1, len(fleet.pids))), 2
        ),
    }
    summary["memory"] = {
        "server_idle_mib": round(idle.rss_mib, 1),
        "server_peak_mib": round(peak[0], 1),
        "per_session_mib": round((peak[0] - idle.rss_mib) / sessions, 2),
        "server_processes": used.processes,
    }
    summary["wall_secs"] = round(wall, 1)
    return summary


def _summary(runs: Sequence[SessionRun], sessions: int, tts_secs: float) -> dict[str, Any]:
    records = [record for run in runs for record in run.records]
    received = sum(run.audio_secs for run in runs)
    return {
        "sessions": sessions,
        "turns": len(records),
        "failed_turns": sum(1 for record in records if record.error),
        "failed_sessions": sum(1 for run in runs if run.error),
        "session_errors": sorted({run.error for run in runs if run.error})[:5],
        "stages": summarize_stages([record.stages for record in records], STAGES),
        "audio": {
            "tts_sent_secs": round(tts_secs, 1),
            "received_secs": round(received, 1),
            "dropped_pct": round(max(0.0, 1 - received / tts_secs) * 100, 2) if tts_secs else None,
            "gaps": sum(record.audio_gaps for record in records),
            "gap_ms": round(sum(record.audio_gap_ms for record in records), 1),
            "gaps_per_turn": summarize([float(record.audio_gaps) for record in records]),
        },
        "caller": {
            "late_sends": sum(run.late_sends for run in runs),
            "worst_send_lag_ms": max((run.worst_send_lag_ms for run in runs), default=0.0),
        },
    }


def within_target(phase: dict[str, Any], baseline: dict[str, Any]) -> bool:
    """Whether a phase kept p95 within the margin of the single-session p95, with no failures."""
    p95 = phase["stages"]["voice_to_voice_ms"]["p95"]
    base = baseline["stages"]["voice_to_voice_ms"]["p95"]
    if p95 is None or base is None or phase["failed_turns"] or phase["failed_sessions"]:
        return False
    return bool(p95 <= base + TARGET_P95_MARGIN_MS)
