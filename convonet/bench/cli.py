"""``convonet bench latency|overhead|concurrency|soak``: the benchmarks' command line.

Everything heavy is imported inside the commands so ``convonet --help`` stays fast.
"""

import asyncio
from pathlib import Path
from typing import Any

import click

OUT_HELP = "Directory for the JSON results and PNG plots."
SET_HELP = "Setting for the started servers, e.g. VAD_STOP_SECS=0.2 (repeatable)."


def _overrides(pairs: tuple[str, ...]) -> dict[str, str]:
    """``KEY=VALUE`` settings for the servers a benchmark starts (as environment variables)."""
    overrides: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--set")
        overrides[key.strip().upper()] = value
    return overrides


def server_settings(overrides: dict[str, str]) -> dict[str, Any]:
    """The turn-taking settings a started server runs with (environment plus overrides)."""
    import os

    from convonet.settings import Settings

    env = {**os.environ, **overrides}
    values: dict[str, Any] = {k.lower(): v for k, v in env.items() if k.lower() in _TURN_SETTINGS}
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    return {name: getattr(settings, name) for name in _TURN_SETTINGS}


_TURN_SETTINGS = (
    "vad_stop_secs",
    "vad_start_secs",
    "vad_confidence",
    "user_speech_timeout_secs",
    "turn_stop",
    "smart_turn_max_silence_secs",
    "smart_turn_calls_per_core",
    "smart_turn_shed_lag_ms",
    "smart_turn_wait_secs",
    "speculative_stt",
    "speculative_stt_quiet_secs",
    "turn_confirm_secs",
    "tts_first_clause",
    "whisper_beam_size",
    "whisper_fit_context",
)


def _pin(pin: str | None) -> str:
    if pin:
        return pin
    from convonet.storage.seed import DEMO_PIN

    return DEMO_PIN


def _latency(
    turns: int,
    url: str | None,
    out: Path,
    pin: str | None,
    sets: tuple[str, ...],
    configs: tuple[str, ...],
) -> None:
    from contextlib import ExitStack

    from convonet.bench.latency import CONFIGS, run_calls
    from convonet.bench.latency_report import report_latency
    from convonet.bench.servers import running_servers

    if url is not None:
        runs, load = asyncio.run(run_calls({"server": url.rstrip("/")}, _pin(pin), turns))
        report_latency(runs, {"server": {"url": url, "started": False}}, load, out)
        return
    overrides = _overrides(sets)
    settings: dict[str, dict[str, Any]] = {}
    with ExitStack() as stack:
        urls, pids = {}, {}
        for name in configs:
            config = {**CONFIGS[name], **overrides}
            fleet = stack.enter_context(running_servers(1, config))
            urls[name], pids[name] = fleet.urls[0], fleet.pids[0]
            settings[name] = {"overrides": config} | server_settings(config)
        click.echo(f"servers ready ({', '.join(configs)}); {turns} turns each, interleaved")
        runs, load = asyncio.run(run_calls(urls, _pin(pin), turns, pids))
    report_latency(runs, settings, load, out)


def _overhead(turns: int, out: Path) -> None:
    from convonet.bench.overhead import report_overhead, run_overhead

    click.echo(f"{turns} turns through each pipeline at real-time pace")
    report_overhead(asyncio.run(run_overhead(turns)), out)


def _concurrency(options: dict[str, Any]) -> None:
    from convonet.bench.concurrency_run import Options, report_concurrency, run_concurrency

    out = options.pop("out")
    overrides = _overrides(options.pop("sets"))
    if redis_url := options.pop("redis_url"):
        overrides["REDIS_URL"] = redis_url
    opts = Options(**options, pin=_pin(None), overrides=overrides)
    if not opts.sessions:
        raise click.BadParameter("give at least one count", param_hint="--sessions")
    report_concurrency(asyncio.run(run_concurrency(opts)), out)


_out_option = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default="bench-results",
    show_default=True,
    help=OUT_HELP,
)
_set_option = click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help=SET_HELP)


@click.group()
def bench() -> None:
    """Benchmarks: voice-to-voice latency, framework overhead, concurrent sessions, soak."""
    from convonet.logging import configure_logging

    configure_logging("WARNING")


@bench.command()
@click.option("--turns", default=11, show_default=True, help="Spoken turns per configuration.")
@click.option("--url", default=None, help="A running server (default: start one per config).")
@_out_option
@click.option("--pin", default=None, help="Voice PIN (default: the demo user's).")
@_set_option
@click.option(
    "--configs",
    default="old,new",
    show_default=True,
    help="Configurations to compare, interleaved in one run (old, new).",
)
def latency(
    turns: int, url: str | None, out: Path, pin: str | None, sets: tuple[str, ...], configs: str
) -> None:
    """Spoken turns through /ws on the embedded defaults: voice-to-voice, cut turns, WER."""
    from convonet.bench.latency import CONFIGS

    names = tuple(name.strip() for name in configs.split(",") if name.strip())
    unknown = [name for name in names if name not in CONFIGS]
    if unknown or not names:
        raise click.BadParameter(f"known: {', '.join(CONFIGS)}", param_hint="--configs")
    _latency(turns, url, out, pin, sets, names)


@bench.command()
@click.option("--turns", default=50, show_default=True, help="Turns through each pipeline.")
@_out_option
def overhead(turns: int, out: Path) -> None:
    """Our pipeline vs bare pipecat, instant services: milliseconds added per turn."""
    _overhead(turns, out)


@bench.command()
@click.option(
    "--sessions",
    multiple=True,
    type=click.IntRange(min=1),
    default=(50,),
    show_default=True,
    help="Simultaneous sessions (repeat for several runs; with --search, the first guess).",
)
@click.option("--search", is_flag=True, help="Find the largest count within target.")
@click.option("--max-sessions", default=120, show_default=True, help="Search upper bound.")
@click.option("--step", default=5, show_default=True, help="Search resolution (sessions).")
@click.option("--turns", default=4, show_default=True, help="Turns per session.")
@click.option("--baseline-turns", default=10, show_default=True, help="Single-session turns.")
@click.option("--workers", default=1, show_default=True, help="Server processes.")
@click.option("--stt-latency-ms", default=150.0, show_default=True, help="Fake STT latency.")
@click.option("--tts-latency-ms", default=150.0, show_default=True, help="Fake TTS latency.")
@click.option(
    "--speech",
    type=click.Choice(["network", "embedded"]),
    default="network",
    show_default=True,
    help="Fake Deepgram STT/TTS, or the servers' own Whisper and Piper (the quick start's).",
)
@click.option(
    "--caller-deflate",
    is_flag=True,
    help="Callers offer permessage-deflate, as browsers do (WS_COMPRESSION decides).",
)
@_set_option
@click.option(
    "--redis-url",
    default=None,
    help="Redis for every server, e.g. redis://127.0.0.1:6379/13 (default: embedded each).",
)
@_out_option
def concurrency(**options: Any) -> None:
    """Simultaneous /ws calls with real VAD and real-time audio: p95 vs one call."""
    options["sessions"] = tuple(options["sessions"])
    _concurrency(options)


@bench.command()
@click.option("--minutes", default=30.0, show_default=True, help="How long calls keep coming.")
@click.option("--calls", default=8, show_default=True, help="Simultaneous calls per wave.")
@click.option("--warmup", default=3, show_default=True, help="Waves before the reference.")
@_set_option
@_out_option
def soak(minutes: float, calls: int, warmup: int, sets: tuple[str, ...], out: Path) -> None:
    """Waves of calls for a long time: server RSS and open fds flat, no dangling tasks."""
    from convonet.bench.soak import report_soak
    from convonet.bench.soak import soak as run

    click.echo(f"soak: waves of {calls} calls for {minutes:g} min against one server")
    result = asyncio.run(run(minutes * 60, calls, warmup, _pin(None), _overrides(sets)))
    report_soak(result, out)
    if not result["verdict"]["flat"]:
        raise SystemExit(1)


@bench.command()
@click.option("--sessions", default=50, show_default=True, help="Simultaneous calls.")
@click.option("--secs", default=20.0, show_default=True, help="Seconds of audio per call.")
@_out_option
def vad(sessions: int, secs: float, out: Path) -> None:
    """VAD CPU per call: pipecat's per-call Silero vs the batched analyzer, real-time audio."""
    from convonet.bench.vad import report_vad, run_vad

    report_vad(asyncio.run(run_vad(sessions, secs)), out)


@bench.command(name="cpu-split")
@click.argument("raw", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def cpu_split(raw: Path) -> None:
    """Split a server's py-spy profile (``py-spy record -f raw``) by component."""
    from convonet.bench.cpu_split import split_file

    for name, share in split_file(raw).items():
        click.echo(f"  {share:5.1f}%  {name}")


def register(main: click.Group) -> None:
    """Add ``bench`` and its benchmarks to the ``convonet`` command."""
    main.add_command(bench)
