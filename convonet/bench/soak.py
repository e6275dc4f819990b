"""``convonet bench soak``: calls coming and going for a long time; is the server flat?

Waves of simultaneous ``/ws`` calls (network-style STT/TTS fakes, real Silero VAD, real-time
audio) run one after another against one ``convonet serve`` process. Each call waits for the
greeting, speaks a turn or two and hangs up, at its own moment (some mid-answer). After every
wave, once the server reports no live session, its resident memory and open file descriptors
are sampled. After the warm-up waves, the later half's peak RSS and fd count must stay within
:data:`FLAT_PCT` of the earlier half's; the server's log must hold no pipecat "dangling tasks"
warning.
"""

import asyncio
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import click
import httpx

from convonet.bench.client import Caller
from convonet.bench.concurrency import start_providers
from convonet.bench.report import machine, pyplot, save_figure, write_json
from convonet.bench.servers import Fleet, rss_mib
from convonet.bench.speech import turns
from convonet.bench.turns import SPEECH, open_call, speak_turn, wait_until_quiet

FLAT_PCT = 5.0
# A server holds ~18 fds, so 5 % is less than one: a connection pool that opens two more
# sockets under load once (seen in a CI run: 18 → 20, then flat) read as 11 % growth. A leak
# grows without bound and still shows after this allowance.
FD_SLACK = 2
DANGLING = "dangling tasks detected"


@dataclass(frozen=True)
class Sample:
    """The server after one wave, with no call live."""

    wave: int
    elapsed_secs: float
    rss_mib: float
    open_fds: int
    calls: int


@dataclass
class SoakRun:
    """Samples and failures of a soak."""

    samples: list[Sample] = field(default_factory=list)
    calls: int = 0
    failed_calls: int = 0
    errors: list[str] = field(default_factory=list)


def open_fds(pid: int) -> int:
    """Open file descriptors of ``pid`` (Linux ``/proc``)."""
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


async def _call(url: str, pin: str, rng: random.Random) -> None:
    ws_url = await open_call(url, pin, **SPEECH["network"])
    async with Caller(ws_url) as caller:
        await wait_until_quiet(caller, timeout=30)
        for turn in turns(rng.randint(1, 2)):
            await asyncio.sleep(rng.uniform(0.2, 0.8))
            record = await speak_turn(caller, turn, timeout=20)
            if record.error:
                raise RuntimeError(record.error)
            if rng.random() < 0.3:
                return  # hang up while the bot is still answering
            await wait_until_quiet(caller, timeout=20)


async def _wait_idle(url: str, timeout: float = 30.0) -> None:
    """Wait until the server's ``/metrics`` shows no active session."""
    async with httpx.AsyncClient(base_url=url) as http:
        async with asyncio.timeout(timeout):
            while True:
                text = (await http.get("/metrics")).text
                if _active_sessions(text) == 0:
                    return
                await asyncio.sleep(0.2)


def _active_sessions(metrics: str) -> float:
    total = 0.0
    for line in metrics.splitlines():
        if line.startswith("convonet_active_sessions"):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def run_soak(
    fleet: Fleet, duration_secs: float, concurrency: int, pin: str, min_waves: int = 0
) -> SoakRun:
    """Waves of ``concurrency`` calls, each followed by a sample of the idle server.

    Waves start until ``duration_secs`` have passed and at least ``min_waves`` ran.
    """
    url, pid = fleet.urls[0], fleet.pids[0]
    run, rng, started, wave = SoakRun(), random.Random(0), time.monotonic(), 0
    while time.monotonic() - started < duration_secs or wave < min_waves:
        wave += 1
        results = await asyncio.gather(
            *(
                _staggered(url, pin, random.Random(rng.random()), i * 0.15)
                for i in range(concurrency)
            ),
            return_exceptions=True,
        )
        run.calls += len(results)
        for result in results:
            if isinstance(result, BaseException):
                run.failed_calls += 1
                run.errors.append(f"{type(result).__name__}: {result}"[:200])
        await _wait_idle(url)
        await asyncio.sleep(0.5)  # let the pipelines' last cleanup run
        run.samples.append(
            Sample(
                wave=wave,
                elapsed_secs=round(time.monotonic() - started, 1),
                rss_mib=round(rss_mib(pid), 1),
                open_fds=open_fds(pid),
                calls=run.calls,
            )
        )
    return run


async def _staggered(url: str, pin: str, rng: random.Random, delay: float) -> None:
    await asyncio.sleep(delay)
    await _call(url, pin, rng)


def _growth_pct(values: list[float], slack: float = 0.0) -> float:
    """Growth of the later half over the earlier half, in percent, by peaks and by floors.

    The RSS saw-tooths by ~30 MiB as Python's cyclic garbage collector frees finished
    pipelines in batches, so two single samples (or, in a short run, two peaks) can differ by
    more than a leak would show. A leak lifts every later sample, the peaks and the floors
    alike; one unlucky batch lifts only the peaks. So the smaller of the two growths counts.
    ``slack`` is an absolute allowance taken off the later values.
    """
    half = max(1, len(values) // 2)
    earlier, later = values[:half], values[half:] or values[-1:]
    by_peak = (max(later) - slack) / max(earlier) * 100 - 100
    by_floor = (min(later) - slack) / min(earlier) * 100 - 100
    return min(by_peak, by_floor)


def verdict(run: SoakRun, warmup: int, log: str) -> dict[str, Any]:
    """Growth of RSS and fds after ``warmup`` waves, and the dangling-task warnings."""
    after = run.samples[warmup:] or run.samples[-1:]
    rss = [s.rss_mib for s in after]
    fds = [float(s.open_fds) for s in after]
    rss_growth, fd_growth = _growth_pct(rss), _growth_pct(fds, slack=FD_SLACK)
    dangling = log.count(DANGLING)
    return {
        "warmup_waves": warmup,
        "reference": asdict(after[0]),
        "rss_growth_pct": round(rss_growth, 2),
        "fd_growth_pct": round(fd_growth, 2),
        "rss_span_mib": round(max(rss) - min(rss), 1),
        "dangling_task_warnings": dangling,
        "flat": rss_growth <= FLAT_PCT and fd_growth <= FLAT_PCT and dangling == 0,
    }


async def soak(
    duration_secs: float,
    concurrency: int,
    warmup: int,
    pin: str,
    overrides: dict[str, str],
    min_waves: int = 0,
) -> dict[str, Any]:
    """Start the speech fakes and one server, soak it, stop everything; the result."""
    providers = await start_providers(stt_latency_ms=150, tts_latency_ms=150)
    fleet = Fleet(1, {**overrides, **providers.settings()})
    try:
        await asyncio.to_thread(fleet.start)
        run = await run_soak(fleet, duration_secs, concurrency, pin, min_waves)
        log = fleet.servers[0].log.read_text(errors="replace")
    finally:
        await asyncio.to_thread(fleet.stop)
        await providers.stt.stop()
        await providers.tts.stop()
    return {
        "benchmark": "soak",
        "machine": machine(),
        "config": {
            "duration_secs": duration_secs,
            "calls_per_wave": concurrency,
            "stt": "fake Deepgram, 150 ms",
            "tts": "fake Deepgram, 150 ms",
            "agent": "offline",
            "overrides": overrides,
        },
        "calls": run.calls,
        "failed_calls": run.failed_calls,
        "errors": sorted(set(run.errors))[:5],
        "samples": [asdict(sample) for sample in run.samples],
        "verdict": verdict(run, warmup, log),
    }


def report_soak(result: dict[str, Any], out: Path) -> dict[str, Any]:
    """Print the verdict, write ``soak.json`` and ``soak.png`` (RSS and fds per wave)."""
    v = result["verdict"]
    click.echo(
        f"\nsoak: {result['calls']} calls ({result['failed_calls']} failed) in "
        f"{len(result['samples'])} waves; after {v['warmup_waves']} warm-up waves RSS grew "
        f"{v['rss_growth_pct']:+.1f}%, fds {v['fd_growth_pct']:+.1f}%, "
        f"dangling-task warnings {v['dangling_task_warnings']}: "
        f"{'flat' if v['flat'] else 'NOT flat'} (limit {FLAT_PCT:g}%)"
    )
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7, 3.5))
    minutes = [s["elapsed_secs"] / 60 for s in result["samples"]]
    axes.plot(minutes, [s["rss_mib"] for s in result["samples"]], "o-", markersize=3)
    axes.set_xlabel("minutes")
    axes.set_ylabel("server RSS MiB (circles)")
    fds = axes.twinx()
    fds.plot(minutes, [s["open_fds"] for s in result["samples"]], "^:", color="#7f7f7f")
    fds.set_ylabel("open fds (triangles)")
    axes.set_title("convonet bench soak (one server process, idle after each wave)", fontsize=10)
    result["png"] = str(save_figure(figure, out, "soak"))
    result["json"] = str(write_json(out, "soak", result))
    click.echo(f"  wrote {result['json']} and {result['png']}")
    return result
