"""Aggregates over turn records: stage percentiles, tool outcomes, a time series.

Pure functions over :class:`~convonet.turns.record.Turn` lists, so the API only fetches and filters.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from convonet.turns.record import Turn
from convonet.turns.stages import STAGES

SERIES_STAGES = ("voice_to_voice_ms", "stt_ms", "agent_ms", "tts_ms", "llm_first_token_ms")
SERIES_POINTS = 12


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) with linear interpolation between closest ranks.

    Raises:
        ValueError: ``values`` is empty or ``q`` is outside 0..100.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    value = ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    return round(value, 1)


def summary(values: Sequence[float]) -> dict[str, float | int]:
    """``{"p50", "p95", "max", "count"}`` of ``values`` (non-empty)."""
    return {
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": round(max(values), 1),
        "count": len(values),
    }


def stage_summaries(turns: Iterable[Turn]) -> dict[str, dict[str, float | int]]:
    """Percentiles of every stage that any of ``turns`` measured, in pipeline order."""
    values: dict[str, list[float]] = defaultdict(list)
    for turn in turns:
        for stage, ms in turn.stages.items():
            values[stage].append(ms)
    ordered = [stage for stage in STAGES if stage in values]
    ordered += sorted(stage for stage in values if stage not in STAGES)
    return {stage: summary(values[stage]) for stage in ordered}


def tool_summaries(turns: Iterable[Turn]) -> dict[str, dict[str, float | int]]:
    """Per tool name: ``{"count", "errors", "timeouts", "p50_ms", "p95_ms"}``."""
    elapsed: dict[str, list[float]] = defaultdict(list)
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    for turn in turns:
        for call in turn.tool_calls:
            elapsed[call.name].append(call.elapsed_ms)
            outcomes[call.name][call.outcome] += 1
    return {
        name: {
            "count": len(elapsed[name]),
            "errors": outcomes[name]["error"],
            "timeouts": outcomes[name]["timeout"],
            "p50_ms": percentile(elapsed[name], 50),
            "p95_ms": percentile(elapsed[name], 95),
        }
        for name in sorted(elapsed)
    }


def series(
    turns: Sequence[Turn], start: float, end: float, points: int = SERIES_POINTS
) -> dict[str, Any]:
    """Stage percentiles per time bucket, for the "percentiles over time" chart.

    Args:
        turns: The records (any order).
        start: Start of the window (``time.time()`` seconds).
        end: End of the window.
        points: How many equal buckets to split the window into.

    Returns:
        ``{"bucket_s", "points": [{"t", "turns", "stages": {stage: {"p50", "p95"}}}]}``;
        buckets without turns have ``turns`` 0 and no stages.
    """
    width = max((end - start) / points, 1e-9)
    buckets: list[list[Turn]] = [[] for _ in range(points)]
    for turn in turns:
        slot = min(points - 1, max(0, int((turn.at - start) / width)))
        buckets[slot].append(turn)
    out = []
    for slot, members in enumerate(buckets):
        stages: dict[str, dict[str, float]] = {}
        for stage in SERIES_STAGES:
            values = [turn.stages[stage] for turn in members if stage in turn.stages]
            if values:
                stages[stage] = {"p50": percentile(values, 50), "p95": percentile(values, 95)}
        out.append({"t": round(start + slot * width, 3), "turns": len(members), "stages": stages})
    return {"bucket_s": round(width, 3), "points": out}


def overview(turns: Sequence[Turn]) -> dict[str, Any]:
    """Counts over ``turns``: sessions, turns (greetings apart), outcomes, providers."""
    answered = [turn for turn in turns if turn.kind != "greeting"]
    return {
        "sessions": len({turn.session_id for turn in turns}),
        "turns": len(answered),
        "greetings": len(turns) - len(answered),
        "by_kind": dict(Counter(turn.kind for turn in turns)),
        "interrupted": sum(turn.interrupted for turn in answered),
        "errors": sum(turn.error is not None for turn in answered),
        "timeouts": sum(turn.outcome == "timeout" for turn in answered),
        "transfers": sum(turn.transfer is not None for turn in answered),
        "llm_used": dict(Counter(turn.llm_used for turn in answered if turn.llm_used)),
        "tool_calls": sum(len(turn.tool_calls) for turn in answered),
    }
