"""Running ``convonet bench concurrency``: fixed session counts or a search, and the report."""

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from convonet.bench.concurrency import (
    TARGET_P95_MARGIN_MS,
    TARGET_SESSIONS,
    Providers,
    run_phase,
    start_providers,
    within_target,
)
from convonet.bench.report import machine, pyplot, save_figure, write_json
from convonet.bench.servers import Fleet
from convonet.bench.turns import Speech

COOLDOWN_SECS = 3.0  # between phases, for the servers to wind the last calls down


@dataclass(frozen=True)
class Options:
    """What to run.

    Attributes:
        sessions: Session counts to run (in order), or the first guess of a search.
        search: Find the largest count within target instead of running fixed counts.
        max_sessions: Upper bound of a search.
        step: A search stops once the pass/fail boundary is known to this many sessions.
        turns: Turns per session.
        baseline_turns: Turns of the single-session baseline.
        workers: Server processes.
        stt_latency_ms: Fake STT latency (end of speech to final transcript).
        tts_latency_ms: Fake TTS latency (text to first audio).
        pin: Voice PIN the callers sign in with.
        overrides: Further settings for the servers (environment variables).
        caller_deflate: The callers offer permessage-deflate, as browsers do.
        speech: ``network`` (fake Deepgram STT and TTS) or ``embedded`` (the servers' own
            Whisper and Piper; the fake latencies do not apply).
    """

    sessions: tuple[int, ...]
    search: bool
    max_sessions: int
    step: int
    turns: int
    baseline_turns: int
    workers: int
    stt_latency_ms: float
    tts_latency_ms: float
    pin: str
    overrides: dict[str, str] = field(default_factory=dict)
    caller_deflate: bool = False
    speech: Speech = "network"


async def _phase(
    fleet: Fleet, providers: Providers | None, sessions: int, opts: Options
) -> dict[str, Any]:
    click.echo(f"  {sessions} session(s) x {opts.turns} turns ...")
    await asyncio.sleep(COOLDOWN_SECS)
    return await run_phase(fleet, providers, sessions, opts.turns, opts.pin, opts.caller_deflate)


async def _search(
    fleet: Fleet, providers: Providers | None, baseline: dict[str, Any], opts: Options
) -> list[dict[str, Any]]:
    """Double until a count misses the target, then bisect down to ``step``."""
    phases: list[dict[str, Any]] = []
    passed, failed = 0, opts.max_sessions + 1
    tried: set[int] = set()
    count = max(1, min(opts.sessions[0], opts.max_sessions))
    while count not in tried:
        tried.add(count)
        phase = await _phase(fleet, providers, count, opts)
        phase["within_target"] = within_target(phase, baseline)
        phases.append(phase)
        if phase["within_target"]:
            passed = max(passed, count)
        else:
            failed = min(failed, count)
        if failed - passed <= opts.step:
            break
        over = failed > opts.max_sessions
        count = min(opts.max_sessions, count * 2) if over else (passed + failed) // 2
    return phases


async def run_concurrency(opts: Options) -> dict[str, Any]:
    """Start the fakes and servers, run the baseline and the phases, stop everything."""
    providers = None
    if opts.speech == "network":
        providers = await start_providers(opts.stt_latency_ms, opts.tts_latency_ms)
    speech_settings = {} if providers is None else providers.settings()
    fleet = Fleet(opts.workers, {**opts.overrides, **speech_settings})
    try:
        await asyncio.to_thread(fleet.start)
        click.echo(f"{opts.workers} server process(es) ready; baseline: one session")
        baseline = await run_phase(
            fleet, providers, 1, opts.baseline_turns, opts.pin, opts.caller_deflate
        )
        baseline["within_target"] = True
        if opts.search:
            phases = await _search(fleet, providers, baseline, opts)
        else:
            phases = []
            for count in opts.sessions:
                phase = await _phase(fleet, providers, count, opts)
                phase["within_target"] = within_target(phase, baseline)
                phases.append(phase)
    finally:
        await asyncio.to_thread(fleet.stop)
        if providers is not None:
            await providers.stt.stop()
            await providers.tts.stop()
    passing = [p["sessions"] for p in phases if p["within_target"]]
    largest = max(passing, default=0)
    return {
        "benchmark": "concurrency",
        "machine": machine(),
        "config": {
            "workers": opts.workers,
            "deployment": _deployment(opts),
            "turns_per_session": opts.turns,
            "speech": opts.speech,
            **_speech(opts),
            "agent": "offline",
            "search": opts.search,
            "caller_deflate": opts.caller_deflate,
            "overrides": opts.overrides,
        },
        "baseline": baseline,
        "phases": phases,
        "largest_within_target": largest,
        "target": {
            "sessions": TARGET_SESSIONS,
            "p95_margin_ms": TARGET_P95_MARGIN_MS,
            "met": largest >= TARGET_SESSIONS,
        },
    }


def _speech(opts: Options) -> dict[str, str]:
    if opts.speech == "embedded":
        return {"stt": "embedded Whisper, in the server", "tts": "embedded Piper, in the server"}
    return {
        "stt": f"fake Deepgram, {opts.stt_latency_ms:g} ms to the final transcript",
        "tts": f"fake Deepgram, {opts.tts_latency_ms:g} ms to first audio",
    }


def _deployment(opts: Options) -> str:
    redis = opts.overrides.get("REDIS_URL")
    store = f"shared Redis {redis}" if redis else "its own embedded Redis"
    return (
        f"{opts.workers} separate convonet serve process(es), each with {store} and its own "
        "SQLite file; sessions spread over them round-robin"
    )


def _row(phase: dict[str, Any]) -> str:
    v2v = phase["stages"]["voice_to_voice_ms"]
    cells = [_fmt(v2v["p50"]), _fmt(v2v["p95"]), _fmt(v2v["max"])]
    audio, cpu, per_session = phase["audio"], phase["cpu"], phase["memory"]["per_session_mib"]
    failed = f"{phase['failed_turns']}/{phase['turns']}+{phase['failed_sessions']}s"
    dropped = "-" if audio["dropped_pct"] is None else f"{audio['dropped_pct']:.1f}"
    waited = f"{100 * cpu.get('event_loop_wait_share', 0.0):.0f}%"
    return (
        f"  {phase['sessions']:>8}  {cells[0]:>7}  {cells[1]:>7}  {cells[2]:>7}  {failed:>9}  "
        f"{cpu['server_cores']:>6.2f}  {cpu['other_cores']:>5.2f}  {waited:>8}  {per_session:>7.1f}"
        f"  {dropped:>7}  {audio['gaps']:>4}  {_by_model(phase):>9}"
        f"  {'yes' if phase['within_target'] else 'NO':>6}"
    )


def _by_model(phase: dict[str, Any]) -> str:
    """The VAD stops of a phase the turn model judged, of all ("-" without smart-turn)."""
    verdicts = phase.get("turn_verdicts") or {}
    total = sum(verdicts.values())
    return f"{verdicts.get('model', 0)}/{total}" if total else "-"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def print_concurrency(result: dict[str, Any]) -> None:
    """One row per phase: voice-to-voice, failures, CPU, memory, audio."""
    click.echo(
        "\nconcurrency (voice-to-voice in ms; cores averaged over the phase; loop wait: share "
        "of the phase the event loops were ready but had no core; model: VAD stops the turn "
        "model judged, of all)"
    )
    click.echo(
        "  sessions      p50      p95      max     failed   server  other  loopwait  MiB/ses"
        "  dropped  gaps      model  target"
    )
    for phase in (result["baseline"], *result["phases"]):
        click.echo(_row(phase))
    base = result["baseline"]["stages"]["voice_to_voice_ms"]["p95"]
    click.echo(
        f"  target: p95 within {TARGET_P95_MARGIN_MS:.0f} ms of one session's ({_fmt(base)} ms) "
        f"at {TARGET_SESSIONS} sessions; largest passing: {result['largest_within_target']}; "
        f"{'met' if result['target']['met'] else 'NOT met'}"
    )


def plot_concurrency(result: dict[str, Any], out: Path) -> Path:
    """Voice-to-voice p50/p95 and server CPU against the number of sessions."""
    plt = pyplot()
    phases = sorted((result["baseline"], *result["phases"]), key=lambda p: p["sessions"])
    counts = [p["sessions"] for p in phases]
    figure, axes = plt.subplots(figsize=(6.5, 3.4))
    for key, marker in (("p50", "o-"), ("p95", "s-")):
        values = [p["stages"]["voice_to_voice_ms"][key] for p in phases]
        axes.plot(counts, values, marker, markersize=4, label=f"voice-to-voice {key}")
    base = result["baseline"]["stages"]["voice_to_voice_ms"]["p95"]
    if base is not None:
        limit = base + TARGET_P95_MARGIN_MS
        axes.axhline(limit, color="#c0392b", linestyle="--", linewidth=1, label="p95 limit")
    axes.set_xlabel("simultaneous sessions")
    axes.set_ylabel("ms")
    cpu = axes.twinx()
    cpu.plot(counts, [p["cpu"]["server_cores"] for p in phases], "^:", color="#7f7f7f")
    cpu.set_ylabel("server CPU cores (triangles)")
    axes.legend(fontsize=7, loc="upper left")
    workers = result["config"]["workers"]
    speech = result["config"].get("speech", "network")
    axes.set_title(
        f"convonet bench concurrency ({workers} server process(es), {speech} speech)", fontsize=10
    )
    return save_figure(figure, out, "concurrency")


def report_concurrency(result: dict[str, Any], out: Path) -> dict[str, Any]:
    """Print the table, write ``concurrency.json`` and ``concurrency.png``."""
    print_concurrency(result)
    result["png"] = str(plot_concurrency(result, out))
    result["json"] = str(write_json(out, "concurrency", result))
    click.echo(f"  wrote {result['json']} and {result['png']}")
    return result
