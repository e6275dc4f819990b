"""The printed table, ``latency.json`` and ``latency.png`` of ``convonet bench latency``."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
import numpy as np

from convonet.bench.latency import (
    TARGET_P50_MS,
    TARGET_P95_MS,
    CallRun,
    Load,
    latency_result,
)
from convonet.bench.report import print_table, pyplot, save_figure, write_json

_COLORS = ("#9aa7b5", "#4f8fd6", "#7fbf7f", "#f2b36b")


def plot_latency(result: Mapping[str, Any], out: Path) -> Path:
    """Voice-to-voice per utterance, one bar per configuration; pauses marked."""
    plt = pyplot()
    configs = result["configs"]
    names = list(configs)
    texts = [r["text"] for r in next(iter(configs.values()))["records"]]
    figure, axes = plt.subplots(figsize=(8, 0.42 * len(texts) + 1.6))
    height = 0.8 / max(1, len(names))
    for index, name in enumerate(names):
        config = configs[name]
        values = [r["stages"].get("voice_to_voice_ms") or 0.0 for r in config["records"]]
        cut = [bool(r["false_ends"]) or r["user_turns"] > 1 for r in config["records"]]
        v2v = config["stages"]["voice_to_voice_ms"]
        rate = config["false_end_of_turn"]["rate"]
        label = (
            f"{name}: p50 {v2v['p50']} / p95 {v2v['p95']} ms, "
            f"cut {_percent(rate)}, WER {_percent(config['wer'])}"
        )
        rows = np.arange(len(values)) + index * height
        bars = axes.barh(rows, values, height=height, color=_COLORS[index % 4], label=label)
        for bar, was_cut in zip(bars, cut, strict=True):
            if was_cut:
                bar.set_hatch("//")
    for limit, style in ((TARGET_P50_MS, "--"), (TARGET_P95_MS, ":")):
        axes.axvline(limit, color="#c0392b", linestyle=style, linewidth=1)
    records = next(iter(configs.values()))["records"]
    labels = [
        f"{t[:30]}" + (f" [{r['pause_secs']:.2f}s pause]" if r["pause_secs"] else "")
        for t, r in zip(texts, records, strict=True)
    ]
    axes.set_yticks(np.arange(len(texts)) + height * (len(names) - 1) / 2, labels)
    axes.invert_yaxis()
    axes.set_xlabel("ms from the end of the caller's speech to the first bot audio")
    load = result.get("load") or {}
    axes.set_title(
        f"convonet bench latency (embedded; configs interleaved)\nmachine busy "
        f"{load.get('machine_busy_cores', '?')} of {result['machine']['cores']} cores, "
        f"{load.get('other_cores', '?')} by others; hatched: turn cut at a pause",
        fontsize=8,
    )
    axes.legend(fontsize=7, loc="lower right")
    axes.tick_params(labelsize=7)
    return save_figure(figure, out, "latency")


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def report_latency(
    runs: Mapping[str, CallRun],
    settings: Mapping[str, Mapping[str, Any]],
    load: Load | None,
    out: Path,
) -> dict[str, Any]:
    """Print the tables, write ``latency.json`` and ``latency.png``; return the result."""
    result = latency_result(runs, settings, load)
    for name, config in result["configs"].items():
        print_table(
            f"{name}: latency over {config['turns']} turns (ms after end of speech)",
            config["stages"],
        )
        feot = config["false_end_of_turn"]
        click.echo(
            f"  turns cut at a mid-sentence pause: {feot['cut_turns']}/{feot['paused_turns']}"
            f" (plain turns cut: {feot['cut_plain_turns']}); WER {_percent(config['wer'])}"
            f" (paused {_percent(config['wer_paused'])}, plain {_percent(config['wer_plain'])})"
        )
        for record in config["records"]:
            if record["error"]:
                click.echo(f"  failed turn {record['text']!r}: {record['error']}")
        verdict = "met" if config["target"]["met"] else "NOT met"
        click.echo(
            f"  target p50 <= {TARGET_P50_MS:.0f} ms and p95 <= {TARGET_P95_MS:.0f} ms: {verdict}"
        )
    if ratios := result.get("new_over_old"):
        click.echo(f"\nnew / old: {ratios}")
    if load:
        click.echo(f"load during the run: {load.as_dict()}")
    result["png"] = str(plot_latency(result, out))
    result["json"] = str(write_json(out, "latency", result))
    click.echo(f"  wrote {result['json']} and {result['png']}")
    return result
