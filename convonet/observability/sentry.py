"""Sentry: error reporting, and a transaction per call with a span per stage of every turn.

Nothing happens unless ``SENTRY_DSN`` is set: :func:`init_sentry` (called by ``create_app``)
starts the SDK with the FastAPI/Starlette and Loguru integrations, so unhandled request
errors and ``logger.exception``/``logger.error`` records become Sentry events.

A voice call gets a :class:`CallTrace`: one transaction (op ``call``, named
``<channel>/<bot>``, in the trace of the connection's request when there is one) on a scope
of its own, forked from the request's isolation scope so concurrent calls never share user or
tags (the connection's isolation scope gets the same user and tags, so errors logged by the
call's tasks name the call too). Per turn it holds a ``turn`` span with the stage spans under
it: ``stt``, ``turn.detection``, ``agent`` (with ``agent.first_token``), ``tts`` and
``bot.speaking``. Spans are recorded with explicit timestamps when a turn ends, so nothing
stays open across asyncio tasks. The transaction's measurements are the medians over the
call's turns: ``voice_to_voice_ms``, ``agent_ms`` (agent start → first spoken token),
``stt_ms``, ``tts_first_audio_ms``, ``turn_ms``, plus ``greeting_ms`` and ``turns``.
Agent timeouts, agent failures and thread resets are sent as events of their own.

Privacy: user context is the user id only; no names, PINs, transcripts or agent text are
sent; request bodies and query strings are never attached. Health checks and ``/metrics``
scrapes are never traced.
"""

import statistics
import warnings
from collections.abc import Callable
from typing import Any

import sentry_sdk
from loguru import logger
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.loguru import LoguruIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration
from sentry_sdk.tracing import Span, Transaction

from convonet import __version__
from convonet.observability.turns import TurnTiming, agent_outcome
from convonet.session import CallSession
from convonet.settings import Settings
from convonet.tools.records import ToolCallRecord

UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# Measurement name → the TurnTiming stage whose per-call median it reports.
MEASUREMENTS = {
    "voice_to_voice_ms": "voice_to_voice",
    "agent_ms": "agent",
    "stt_ms": "stt",
    "tts_first_audio_ms": "tts_first_audio",
    "turn_ms": "turn",
}
# Span op → (start moment, end moment) of TurnTiming; children of the turn span.
STAGE_SPANS: tuple[tuple[str, str, str, str], ...] = (
    ("stt", "speech to text", "vad_stopped_at", "transcript_at"),
    ("turn.detection", "end of turn detection", "transcript_at", "agent_started_at"),
    ("agent", "agent turn", "agent_started_at", "agent_ended_at"),
    ("tts", "text to speech, first audio", "first_token_at", "first_audio_at"),
    ("bot.speaking", "bot speaking", "bot_started_at", "ended_at"),
)


def init_sentry(settings: Settings) -> bool:
    """Start the Sentry SDK if ``SENTRY_DSN`` is set.

    Args:
        settings: The app's settings.

    Returns:
        Whether Sentry was started.
    """
    if settings.sentry_dsn is None:
        return False
    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=settings.sentry_environment or settings.environment,
        release=f"convonet@{__version__}",
        traces_sampler=_sampler(settings.sentry_traces_sample_rate),
        send_default_pii=False,
        max_request_body_size="never",
        trace_propagation_targets=[],  # no tracing headers to LLM or speech providers
        auto_enabling_integrations=False,
        integrations=[StarletteIntegration(), FastApiIntegration(), LoguruIntegration()],
        before_send=_scrub,
        before_send_transaction=_scrub,
    )
    logger.info("Sentry reporting is on")
    return True


def _sampler(rate: float) -> Callable[[dict[str, Any]], float]:
    """Sample calls and requests at ``rate``; never health checks and metric scrapes."""

    def sample(context: dict[str, Any]) -> float:
        path = (context.get("asgi_scope") or {}).get("path")
        if path in UNTRACED_PATHS:
            return 0.0
        parent = context.get("parent_sampled")
        return rate if parent is None else float(parent)

    return sample


def shutdown_sentry(timeout_secs: float = 2.0) -> None:
    """Send what is queued and stop the SDK (app shutdown)."""
    client = sentry_sdk.get_client()
    if client.is_active():
        client.close(timeout=timeout_secs)


def sentry_active(settings: Settings) -> bool:
    """Whether this app reports to Sentry (its DSN is set and the SDK is running)."""
    return settings.sentry_dsn is not None and sentry_sdk.get_client().is_active()


def _scrub(event: Any, _hint: Any) -> Any:
    """Drop query strings (single-use tokens), cookies and bodies from request data."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("query_string", "cookies", "data"):
            request.pop(key, None)
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
    return event


def _tool_summary(calls: list[ToolCallRecord]) -> list[dict[str, Any]]:
    return [{"name": c.name, "outcome": c.outcome, "elapsed_ms": c.elapsed_ms} for c in calls]


def report_agent_problems(
    scope: sentry_sdk.Scope,
    *,
    error: str | None,
    thread_reset: bool,
    tool_calls: list[ToolCallRecord],
    llm: str | None,
    thread_id: str | None = None,
) -> None:
    """Send events for an agent timeout or failure and for a thread reset.

    Args:
        scope: The scope carrying the call's user and session context.
        error: The agent turn's error, if any.
        thread_reset: Whether the thread was reset (after a timeout).
        tool_calls: The turn's tool calls (names, outcomes and timings are sent).
        llm: The LLM used.
        thread_id: The thread the turn ran on.
    """
    agent = {"llm": llm, "thread_id": thread_id, "error": error, "tools": _tool_summary(tool_calls)}
    outcome = agent_outcome(error, thread_reset)
    if outcome == "timeout":
        _capture(scope, "Agent turn timed out", "warning", "agent_timeout", agent)
    elif outcome == "error":
        _capture(scope, "Agent turn failed", "error", "agent_error", agent)
    if thread_reset:
        _capture(scope, "Agent thread reset", "warning", "thread_reset", agent)


def _capture(
    scope: sentry_sdk.Scope, message: str, level: str, kind: str, agent: dict[str, Any]
) -> None:
    event: dict[str, Any] = {
        "message": message,
        "level": level,
        "tags": {"event_kind": kind},
        "contexts": {"agent": agent},
        "fingerprint": ["convonet", kind],
    }
    scope.capture_event(event)  # type: ignore[arg-type]


class CallTrace:
    """The Sentry transaction of one voice call."""

    def __init__(self, session: CallSession, started_at: float) -> None:
        """Open the call's scope and transaction (nothing is sent until :meth:`finish`).

        Args:
            session: The call.
            started_at: Wall-clock start of the call.
        """
        self._session = session
        self.scope = sentry_sdk.get_isolation_scope().fork()
        self._annotate(self.scope)
        parent = sentry_sdk.get_current_span()  # the /ws request's transaction, if any
        link: dict[str, Any] = {}
        if parent is not None:
            link = {"trace_id": parent.trace_id, "parent_span_id": parent.span_id}
            # Inside a request the isolation scope is the connection's own: errors logged
            # by the pipeline's tasks (which run in its context) then name the call too.
            self._annotate(sentry_sdk.get_isolation_scope())
        self.transaction: Transaction | Span = self.scope.start_transaction(
            op="call",
            name=f"{session.channel}/{session.bot.name}",
            source="custom",
            start_timestamp=started_at,
            **link,
        )
        self._stages: dict[str, list[float]] = {name: [] for name in MEASUREMENTS.values()}
        self._greeting_ms: float | None = None
        self._turns = 0

    def _annotate(self, scope: sentry_sdk.Scope) -> None:
        scope.set_user({"id": self._session.user_id} if self._session.user_id else None)
        for key, value in self.tags.items():
            scope.set_tag(key, value)
        scope.set_context("session", {"session_id": self._session.session_id, **self.tags})

    @property
    def tags(self) -> dict[str, str]:
        """Tags of every event of the call (no personal data)."""
        s = self._session
        return {"channel": s.channel, "bot": s.bot.name, "llm": s.llm, "stt": s.stt, "tts": s.tts}

    def greeting(self, connected_at: float, spoken_at: float) -> None:
        """Record the greeting: a ``greeting`` span and the ``greeting_ms`` measurement."""
        span = self.transaction.start_child(
            op="greeting", name="greeting", start_timestamp=connected_at
        )
        span.finish(self.scope, spoken_at)
        self._greeting_ms = (spoken_at - connected_at) * 1000

    def turn(self, timing: TurnTiming) -> None:
        """Add a finished turn's spans; report its timeout, failure or thread reset."""
        start = timing.started_at
        if start is None:
            return
        self._turns += 1
        moments = [getattr(timing, end) for *_, end in STAGE_SPANS] + [timing.agent_ended_at]
        end = timing.ended_at or max((m for m in moments if m is not None), default=start)
        span = self.transaction.start_child(
            op="turn", name=f"turn {timing.index}", start_timestamp=start
        )
        span.set_data("outcome", timing.outcome)
        span.set_data("interrupted", timing.interrupted)
        for stage, seconds in timing.stages().items():
            span.set_data(f"{stage}_ms", round(seconds * 1000, 1))
            if stage in self._stages:
                self._stages[stage].append(seconds * 1000)
        self._stage_spans(span, timing)
        span.finish(self.scope, max(end, start))
        if timing.agent_done:
            report_agent_problems(
                self.scope,
                error=timing.error,
                thread_reset=timing.thread_reset,
                tool_calls=timing.tool_calls,
                llm=timing.llm,
            )

    def _stage_spans(self, turn_span: Span, timing: TurnTiming) -> None:
        for op, name, start_name, end_name in STAGE_SPANS:
            start, end = getattr(timing, start_name), getattr(timing, end_name)
            if start is None or end is None or end < start:
                continue
            span = turn_span.start_child(op=op, name=name, start_timestamp=start)
            if op == "agent":
                self._describe_agent(span, timing)
            span.finish(self.scope, end)

    def _describe_agent(self, span: Span, timing: TurnTiming) -> None:
        span.set_data("llm", timing.llm)
        span.set_data("tool_calls", _tool_summary(timing.tool_calls))
        outcome = agent_outcome(timing.error, timing.thread_reset)
        if outcome != "ok":
            span.set_status("deadline_exceeded" if outcome == "timeout" else "internal_error")
        if (first := timing.span("agent")) is not None:
            child = span.start_child(
                op="agent.first_token", name="first spoken token", start_timestamp=first[0]
            )
            child.finish(self.scope, first[1])

    def finish(self, ended_at: float) -> None:
        """Set the measurements and send the transaction (queued; the SDK sends it)."""
        values = {
            name: statistics.median(self._stages[stage])
            for name, stage in MEASUREMENTS.items()
            if self._stages[stage]
        }
        if self._greeting_ms is not None:
            values["greeting_ms"] = self._greeting_ms
        with warnings.catch_warnings():
            # set_measurement is deprecated in favour of span data, which Sentry does not
            # aggregate as measurements yet; both are written.
            warnings.simplefilter("ignore", DeprecationWarning)
            for name, value in values.items():
                self.transaction.set_measurement(name, round(value, 1), "millisecond")
            self.transaction.set_measurement("turns", self._turns)
        for name, value in values.items():
            self.transaction.set_data(name, round(value, 1))
        self.transaction.finish(self.scope, ended_at)
