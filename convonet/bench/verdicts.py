"""How the servers' turn ends were judged during a phase, read from their ``/metrics``.

Each server counts every VAD stop of a smart-turn call in
``convonet_turn_verdicts_total{verdict}``: judged by the ``model``, or by the words because
the process was busy (``shed``) or the model answered too late (``late``)
(:mod:`convonet.services.turn_shedding`). A phase's share judged by the model says how much
of the turn model's CPU, and of its ear for pauses, the load left the callers.
"""

from collections.abc import Sequence

import httpx
from prometheus_client.parser import text_string_to_metric_families

VERDICTS = ("model", "shed", "late")
FAMILY = "convonet_turn_verdicts"


def verdict_counts(exposition: str) -> dict[str, float]:
    """The verdict counters in one ``/metrics`` text (0 for a verdict never counted)."""
    counts = dict.fromkeys(VERDICTS, 0.0)
    for family in text_string_to_metric_families(exposition):
        if family.name != FAMILY:
            continue
        for sample in family.samples:
            if sample.name == f"{FAMILY}_total":
                verdict = sample.labels.get("verdict", "")
                counts[verdict] = counts.get(verdict, 0.0) + sample.value
    return counts


async def turn_verdicts(urls: Sequence[str]) -> dict[str, float]:
    """The verdict counters of every server at ``urls``, summed."""
    totals = dict.fromkeys(VERDICTS, 0.0)
    async with httpx.AsyncClient(timeout=10.0) as http:
        for url in urls:
            response = await http.get(f"{url}/metrics")
            response.raise_for_status()
            for verdict, count in verdict_counts(response.text).items():
                totals[verdict] = totals.get(verdict, 0.0) + count
    return totals


def verdicts_between(before: dict[str, float], after: dict[str, float]) -> dict[str, int]:
    """The verdicts counted between two readings."""
    return {verdict: round(after.get(verdict, 0.0) - before.get(verdict, 0.0)) for verdict in after}
