"""The benchmark reads how the servers' VAD stops were judged from their ``/metrics`` text."""

from convonet.bench.verdicts import verdict_counts, verdicts_between
from convonet.observability.metrics import AppMetrics


def test_the_counts_come_from_the_apps_own_exposition() -> None:
    metrics = AppMetrics()
    before = verdict_counts(metrics.render().decode())
    assert before == {"model": 0, "shed": 0, "late": 0}

    for verdict in ("model", "model", "shed", "late", "shed", "shed"):
        metrics.turn_verdict(verdict)
    after = verdict_counts(metrics.render().decode())

    assert after == {"model": 2, "shed": 3, "late": 1}
    assert verdicts_between(before, after) == {"model": 2, "shed": 3, "late": 1}


def test_other_metrics_are_not_counted() -> None:
    text = (
        "# TYPE convonet_turns_total counter\n"
        'convonet_turns_total{outcome="ok"} 7.0\n'
        "# TYPE convonet_turn_verdicts_total counter\n"
        'convonet_turn_verdicts_total{verdict="shed"} 4.0\n'
        'convonet_turn_verdicts_created{verdict="shed"} 1.7e9\n'
    )
    assert verdict_counts(text) == {"model": 0, "shed": 4, "late": 0}
