"""The listeners every turn goes to: the Agent Monitor, Prometheus and (when on) Sentry."""

from convonet.monitor.recorder import TurnRecorder
from convonet.observability.metrics import AppMetrics
from convonet.observability.sentry_turns import CallTrace, SentryTurnEvents
from convonet.session import CallSession
from convonet.turns.listeners import TurnListener, TurnListeners


def turn_listeners(
    recorder: TurnRecorder,
    metrics: AppMetrics,
    *,
    sentry: bool,
    call: CallSession | None = None,
) -> TurnListeners:
    """The listeners of a voice call's turns (``call``) or of text turns.

    Args:
        recorder: The Agent Monitor's recorder.
        metrics: The app's Prometheus metrics.
        sentry: Whether Sentry reporting is on.
        call: The voice call (its Sentry transaction opens now, in the caller's context);
            ``None`` for text turns.
    """
    listeners: list[TurnListener] = [recorder, metrics]
    if sentry:
        listeners.append(CallTrace(call) if call is not None else SentryTurnEvents())
    return TurnListeners(listeners)
