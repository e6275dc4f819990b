"""Percentiles, the printed table, the JSON file and the PNG plots of a benchmark run."""

import json
import os
import platform
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import numpy as np

from convonet import __version__

Summary = dict[str, float | int | None]


def summarize(values: Sequence[float]) -> Summary:
    """p50/p95/max/mean/count of ``values`` (None for each figure when there are none)."""
    if not values:
        return {"p50": None, "p95": None, "max": None, "mean": None, "count": 0}
    array = np.asarray(values, dtype=float)
    return {
        "p50": round(float(np.percentile(array, 50)), 1),
        "p95": round(float(np.percentile(array, 95)), 1),
        "max": round(float(array.max()), 1),
        "mean": round(float(array.mean()), 1),
        "count": len(values),
    }


def summarize_stages(
    rows: Sequence[Mapping[str, float | None]], names: Sequence[str]
) -> dict[str, Summary]:
    """Per-stage summaries over turn records (a stage missing from a turn is skipped)."""
    return {
        name: summarize([float(v) for row in rows if (v := row.get(name)) is not None])
        for name in names
    }


def machine() -> dict[str, Any]:
    """The machine a run came from: cores, CPU model, RAM, Python and Convonet versions."""
    models = [line for line in _read("/proc/cpuinfo").splitlines() if line.startswith("model name")]
    model = models[0].split(":", 1)[1].strip() if models else platform.processor()
    totals = [line for line in _read("/proc/meminfo").splitlines() if line.startswith("MemTotal:")]
    ram_gib = round(int(totals[0].split()[1]) / 1024 / 1024, 1) if totals else None
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "ram_gib": ram_gib,
        "python": platform.python_version(),
        "convonet": __version__,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def print_table(title: str, rows: Mapping[str, Summary], unit: str = "ms") -> None:
    """Print one summary per row: p50, p95, max, count."""
    click.echo(f"\n{title}")
    width = max([len(name) for name in rows] + [10])
    click.echo(f"  {'stage':<{width}}  {'p50':>8}  {'p95':>8}  {'max':>8}  {'n':>4}")
    for name, summary in rows.items():
        cells = [_cell(summary.get(key)) for key in ("p50", "p95", "max")]
        click.echo(
            f"  {name:<{width}}  {cells[0]:>8}  {cells[1]:>8}  {cells[2]:>8}  "
            f"{summary.get('count', 0):>4}  {unit}"
        )


def _cell(value: float | int | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def write_json(out: Path, name: str, result: Mapping[str, Any]) -> Path:
    """Write ``result`` to ``out/name.json`` and return the path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return path


def pyplot() -> Any:
    """Matplotlib's pyplot on the file-only Agg backend (imported on first use).

    Raises:
        click.ClickException: Matplotlib is not installed (``pip install convonet[bench]``).
    """
    try:
        import matplotlib
    except ImportError as error:
        raise click.ClickException(
            "plots need matplotlib: pip install 'convonet[bench]'"
        ) from error
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure: Any, out: Path, name: str) -> Path:
    """Save a small PNG as ``out/name.png`` and close the figure."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    pyplot().close(figure)
    return path
