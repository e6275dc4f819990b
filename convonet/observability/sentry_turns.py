"""Sentry listeners of turns: a transaction per call, and events for failed agent turns.

A voice call gets a :class:`CallTrace`: one transaction (op ``call``, named
``<channel>/<bot>``, in the trace of the connection's request when there is one) on a scope
of its own, forked from the request's isolation scope so concurrent calls never share user or
tags (the connection's isolation scope gets the same user and tags, so errors logged by the
call's tasks name the call too). Per turn it holds a ``turn`` span whose children are the
turn's stages (:data:`TURN_SPANS`, op = the stage name without ``_ms``), plus a ``greeting``
span. Spans are recorded with explicit timestamps when a turn ends, so nothing stays open
across asyncio tasks. The transaction's measurements are the medians over the call's turns
of every stage of the stage table, under the stage's name (``voice_to_voice_ms``,
``agent_ms``, ...), plus ``turns``.

Text turns have no transaction: :class:`SentryTurnEvents` only reports their failures. For
both, an agent timeout is an ``agent_timeout`` event and another failure an ``agent_error``
event (user id, session and the tool calls' names, outcomes and times; never text).
"""

import statistics
import time
import warnings
from collections import defaultdict
from typing import Any

import sentry_sdk
from sentry_sdk.tracing import Span, Transaction

from convonet.session import CallSession
from convonet.turns.listeners import TurnListener
from convonet.turns.record import Turn
from convonet.turns.stages import STAGES, WATERFALL_STAGES

# The stages shown as child spans of a turn, in the order they start.
TURN_SPANS = (*WATERFALL_STAGES[:3], "agent_ms", *WATERFALL_STAGES[3:], "speaking_ms")


def _tool_summary(turn: Turn) -> list[dict[str, Any]]:
    return [
        {"name": c.name, "outcome": c.outcome, "elapsed_ms": c.elapsed_ms} for c in turn.tool_calls
    ]


def report_turn_problems(scope: sentry_sdk.Scope, turn: Turn) -> None:
    """Send an event for an agent turn that timed out or failed (nothing otherwise)."""
    outcome = turn.outcome
    if outcome not in ("timeout", "error"):
        return
    kind, message, level = (
        ("agent_timeout", "Agent turn timed out", "warning")
        if outcome == "timeout"
        else ("agent_error", "Agent turn failed", "error")
    )
    agent = {"llm": turn.llm_used or turn.llm, "error": turn.error, "tools": _tool_summary(turn)}
    event: dict[str, Any] = {
        "message": message,
        "level": level,
        "tags": {"event_kind": kind},
        "contexts": {"agent": agent},
        "fingerprint": ["convonet", kind],
    }
    scope.capture_event(event)  # type: ignore[arg-type]


class SentryTurnEvents(TurnListener):
    """Reports failed text turns (they have no call transaction)."""

    def turn_ended(self, turn: Turn) -> None:
        """Send an event if the turn's agent timed out or failed."""
        if turn.outcome not in ("timeout", "error"):
            return
        with sentry_sdk.new_scope() as scope:
            scope.set_user({"id": turn.user_id} if turn.user_id else None)
            scope.set_context(
                "session",
                {"session_id": turn.session_id, "channel": turn.channel, "bot": turn.bot},
            )
            report_turn_problems(scope, turn)


class CallTrace(TurnListener):
    """The Sentry transaction of one voice call."""

    def __init__(self, session: CallSession, started_at: float | None = None) -> None:
        """Open the call's scope and transaction (nothing is sent until the call ends).

        Args:
            session: The call.
            started_at: Wall-clock start of the call (now if omitted).
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
            start_timestamp=started_at or time.time(),
            **link,
        )
        self._stages: dict[str, list[float]] = defaultdict(list)
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

    def turn_ended(self, turn: Turn) -> None:
        """Add a finished turn's spans; report its timeout or failure."""
        for name, ms in turn.stages.items():
            self._stages[name].append(ms)
        times = turn.times
        if turn.kind == "greeting":
            if times.connected_at is not None and times.bot_started_at is not None:
                span = self.transaction.start_child(
                    op="greeting", name="greeting", start_timestamp=times.connected_at
                )
                span.finish(self.scope, times.bot_started_at)
            return
        self._turns += 1
        start = turn.at
        span = self.transaction.start_child(
            op="turn", name=f"turn {turn.index}", start_timestamp=start
        )
        span.set_data("outcome", turn.outcome)
        span.set_data("interrupted", turn.interrupted)
        for name, ms in turn.stages.items():
            span.set_data(name, ms)
        self._stage_spans(span, turn)
        # Tools may run on after the bot stopped speaking: the turn span covers its stages.
        end = max(m for m in (start, times.turn_end_at, times.agent_end_at) if m is not None)
        span.finish(self.scope, end)
        report_turn_problems(self.scope, turn)

    def _stage_spans(self, turn_span: Span, turn: Turn) -> None:
        moments = turn.times.model_dump()
        for name in TURN_SPANS:
            stage = STAGES[name]
            start = next((moments[m] for m in stage.starts if moments[m] is not None), None)
            end = moments[stage.end] if stage.end else None
            if start is None or end is None or end < start:
                continue
            span = turn_span.start_child(op=stage.metric, name=stage.label, start_timestamp=start)
            if name == "agent_ms":
                span.set_data("llm", turn.llm_used)
                span.set_data("tool_calls", _tool_summary(turn))
                if turn.outcome in ("timeout", "error"):
                    status = "deadline_exceeded" if turn.outcome == "timeout" else "internal_error"
                    span.set_status(status)
            span.finish(self.scope, end)

    def call_ended(self, at: float) -> None:
        """Set the measurements and send the transaction (queued; the SDK sends it)."""
        values = {name: statistics.median(ms) for name, ms in self._stages.items() if ms}
        with warnings.catch_warnings():
            # set_measurement is deprecated in favour of span data, which Sentry does not
            # aggregate as measurements yet; both are written.
            warnings.simplefilter("ignore", DeprecationWarning)
            for name, value in values.items():
                self.transaction.set_measurement(name, round(value, 1), "millisecond")
            self.transaction.set_measurement("turns", self._turns)
        for name, value in values.items():
            self.transaction.set_data(name, round(value, 1))
        self.transaction.finish(self.scope, at)
