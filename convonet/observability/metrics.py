"""Prometheus metrics of one app instance, served at ``GET /metrics``.

Every app (every :class:`~convonet.runtime.Runtime`) owns an :class:`AppMetrics` with its own
``CollectorRegistry``, so several app instances in one process never collide. Recording is
in-memory and synchronous (no I/O): it is a :class:`~convonet.turns.listeners.TurnListener`
of every voice and text turn, and the LLM fallback chain's provider listener.

Metric names and labels:

* ``convonet_stage_latency_seconds{stage, channel}`` (histogram): per-turn stage durations
  of voice and text turns; ``stage`` is a name of :data:`convonet.turns.stages.STAGE_TABLE`
  without its ``_ms`` suffix (``voice_to_voice``, ``stt``, ``agent``, ...).
* ``convonet_greeting_latency_seconds{channel}`` (histogram): caller connected → the bot
  starts speaking the greeting.
* ``convonet_turns_total{channel, bot, llm, outcome}``: voice and text turns; outcome is
  ``Turn.outcome``: ``ok``, ``error``, ``timeout``, ``interrupted`` or ``abandoned`` (the call
  ended mid-answer).
* ``convonet_interruptions_total{channel, bot}``: the caller spoke over the bot (greetings too).
* ``convonet_tool_calls_total{tool, outcome}``: tool calls; outcome ``ok``/``error``/``timeout``.
* ``convonet_tool_call_duration_seconds{tool}`` (histogram).
* ``convonet_llm_requests_total{provider, outcome}``: provider attempts; outcome ``answered``
  or the failure kind (``timeout``, ``connection``, ``rate_limit``, ``server``, ...).
* ``convonet_llm_fallbacks_total{from, to}``: a provider failed and the next one was tried.
* ``convonet_llm_first_chunk_seconds{provider}`` (histogram): request → answer/first chunk.
* ``convonet_calls_total{channel, bot}``: voice calls whose pipeline started.
* ``convonet_active_sessions{channel}`` (gauge, read at scrape time): running pipelines.
* ``convonet_monitor_records_dropped_total`` and ``convonet_monitor_records_buffered``
  (read at scrape time): Agent Monitor records lost to a full buffer during a Redis outage,
  and those waiting in memory to be written.
* ``convonet_speech_fallbacks_total{kind, from, to}``: a call's cloud STT/TTS died and its
  fallback took over.
* ``convonet_turn_verdicts_total{verdict}``: how each VAD stop of a smart-turn call was
  judged: by the ``model``, or without it because the process was busy (``shed``: more
  calls than ``SMART_TURN_CALLS_PER_CORE`` allows, or its loop running late) or the model
  answered too late (``late``); in the last two the caller's words ended the turn
  (:mod:`convonet.services.turn_shedding`).
* ``convonet_event_loop_lag_seconds`` (gauge, read at scrape time): how late this process's
  event loop runs, on average (:class:`~convonet.lifecycle.loop_lag.LoopLag`).
"""

from collections.abc import Callable, Iterable
from typing import get_args

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from convonet.agents.fallback import ProviderEvent
from convonet.channels import Channel
from convonet.turns.listeners import TurnListener
from convonet.turns.record import Turn
from convonet.turns.stages import STAGES

CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0)
LONG_BUCKETS = (*LATENCY_BUCKETS, 10.0, 20.0, 30.0, 60.0)
TOOL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0)


class _ActiveSessions(Collector):
    """``convonet_active_sessions{channel}``, read from the live sessions at scrape time."""

    def __init__(self, by_channel: Callable[[], dict[str, int]]) -> None:
        self._by_channel = by_channel

    def collect(self) -> Iterable[Metric]:
        gauge = GaugeMetricFamily(
            "convonet_active_sessions", "Sessions whose pipeline runs now", labels=["channel"]
        )
        counts = self._by_channel()
        for channel in sorted({*get_args(Channel), *counts}):
            gauge.add_metric([channel], counts.get(channel, 0))
        yield gauge


class _MonitorBuffer(Collector):
    """The Agent Monitor buffer's dropped and waiting records, read at scrape time."""

    def __init__(self, dropped: Callable[[], int], buffered: Callable[[], int]) -> None:
        self._dropped, self._buffered = dropped, buffered

    def collect(self) -> Iterable[Metric]:
        yield CounterMetricFamily(
            "convonet_monitor_records_dropped",
            "Agent Monitor records lost because the buffer was full (Redis down too long)",
            value=self._dropped(),
        )
        yield GaugeMetricFamily(
            "convonet_monitor_records_buffered",
            "Agent Monitor records waiting in memory to be written to Redis",
            value=self._buffered(),
        )


class _LoopLag(Collector):
    """``convonet_event_loop_lag_seconds``, read from the loop's gauge at scrape time."""

    def __init__(self, lag_secs: Callable[[], float]) -> None:
        self._lag_secs = lag_secs

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            "convonet_event_loop_lag_seconds",
            "How late this process's event loop runs what is due (moving average)",
            value=self._lag_secs(),
        )


class AppMetrics(TurnListener):
    """The metrics of one app instance, in their own registry; a listener of every turn."""

    def __init__(self, sessions_by_channel: Callable[[], dict[str, int]] | None = None) -> None:
        """Create the registry and its instruments.

        Args:
            sessions_by_channel: Returns running sessions per channel (read at scrape time);
                no ``convonet_active_sessions`` gauge without it.
        """
        self.registry = CollectorRegistry(auto_describe=True)
        if sessions_by_channel is not None:
            self.registry.register(_ActiveSessions(sessions_by_channel))
        reg = self.registry
        self.stage_latency = Histogram(
            "convonet_stage_latency_seconds",
            "Duration of each stage of a voice turn",
            ["stage", "channel"],
            buckets=LONG_BUCKETS,
            registry=reg,
        )
        self.greeting_latency = Histogram(
            "convonet_greeting_latency_seconds",
            "Caller connected to the bot speaking its greeting",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        self.turns = Counter(
            "convonet_turns", "Agent turns", ["channel", "bot", "llm", "outcome"], registry=reg
        )
        self.interruptions = Counter(
            "convonet_interruptions",
            "The caller spoke over the bot",
            ["channel", "bot"],
            registry=reg,
        )
        self.tool_calls = Counter(
            "convonet_tool_calls", "Tool calls by outcome", ["tool", "outcome"], registry=reg
        )
        self.tool_duration = Histogram(
            "convonet_tool_call_duration_seconds",
            "Wall time of tool calls",
            ["tool"],
            buckets=TOOL_BUCKETS,
            registry=reg,
        )
        self.llm_requests = Counter(
            "convonet_llm_requests",
            "LLM provider attempts by outcome",
            ["provider", "outcome"],
            registry=reg,
        )
        self.llm_fallbacks = Counter(
            "convonet_llm_fallbacks",
            "A provider failed and the next was tried",
            ["from", "to"],
            registry=reg,
        )
        self.llm_first_chunk = Histogram(
            "convonet_llm_first_chunk_seconds",
            "LLM request to its answer (first chunk when streaming)",
            ["provider"],
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        self.calls = Counter(
            "convonet_calls",
            "Voice calls whose pipeline started",
            ["channel", "bot"],
            registry=reg,
        )
        self.auth_lockouts = Counter(
            "convonet_auth_lockouts",
            "Sign-in attempts refused by a lockout or spent budget (scope: ip, user, phone, "
            "called, pin_only)",
            ["scope"],
            registry=reg,
        )

        self.speech_fallbacks = Counter(
            "convonet_speech_fallbacks",
            "A call's STT or TTS died and its fallback took over",
            ["kind", "from", "to"],
            registry=reg,
        )

        self.turn_verdicts = Counter(
            "convonet_turn_verdicts",
            "VAD stops judged by the turn model, or shed or given up as late under load",
            ["verdict"],
            registry=reg,
        )

    def watch_loop_lag(self, lag_secs: Callable[[], float]) -> None:
        """Export the event loop's average lateness (a callable read at scrape time)."""
        self.registry.register(_LoopLag(lag_secs))

    def turn_verdict(self, verdict: str) -> None:
        """Count how a VAD stop was judged (``model``, ``shed`` or ``late``)."""
        self.turn_verdicts.labels(verdict).inc()

    def watch_monitor(self, dropped: Callable[[], int], buffered: Callable[[], int]) -> None:
        """Export the Agent Monitor buffer's counts (callables read at scrape time)."""
        self.registry.register(_MonitorBuffer(dropped, buffered))

    # --- recording (synchronous, in-memory) -----------------------------------------------

    def call_started(self, channel: str, bot: str) -> None:
        """Count a voice call."""
        self.calls.labels(channel, bot).inc()

    def turn_ended(self, turn: Turn) -> None:
        """Record a finished turn: its stages, outcome, barge-in and tool calls."""
        if turn.interrupted:
            self.interruptions.labels(turn.channel, turn.bot).inc()
        if turn.kind == "greeting":
            if (greeting_ms := turn.stages.get("greeting_ms")) is not None:
                self.greeting_latency.labels(turn.channel).observe(greeting_ms / 1000)
            return
        for name, ms in turn.stages.items():
            self.stage_latency.labels(STAGES[name].metric, turn.channel).observe(ms / 1000)
        llm = turn.llm_used or turn.llm or ""
        self.turns.labels(turn.channel, turn.bot, llm, turn.outcome).inc()
        for call in turn.tool_calls:
            self.tool_calls.labels(call.name, call.outcome).inc()
            self.tool_duration.labels(call.name).observe(call.elapsed_ms / 1000)

    def provider_event(self, event: ProviderEvent) -> None:
        """Record one LLM provider attempt (the fallback chain's listener)."""
        outcome = "answered" if event.answered else (event.failure or "other")
        self.llm_requests.labels(event.provider, outcome).inc()
        if event.answered:
            self.llm_first_chunk.labels(event.provider).observe(event.elapsed_ms / 1000)
        if event.next_provider is not None:
            self.llm_fallbacks.labels(event.provider, event.next_provider).inc()

    # --- exposition -------------------------------------------------------------------------

    def render(self) -> bytes:
        """The registry in the Prometheus text exposition format."""
        return generate_latest(self.registry)
