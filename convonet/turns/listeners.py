"""Who is told of turns: the listener interface and the fan-out to several listeners.

A producer (the voice tracker of a call, a text turn) builds one :class:`Turn` and hands it
to its :class:`TurnListeners`; the Agent Monitor's recorder, the Prometheus metrics and
Sentry are listeners. Listeners run synchronously on the event loop and must not block or
await (each queues or updates memory); one failing listener never stops the others.
"""

from collections.abc import Iterable

from loguru import logger

from convonet.turns.record import Turn


class TurnListener:
    """Told of a session's turns; subclasses override what they need (the rest do nothing)."""

    def call_started(self, channel: str, bot: str) -> None:
        """A voice call's pipeline started."""

    def turn_ended(self, turn: Turn) -> None:
        """A turn ended (voice, greeting or text)."""

    def call_ended(self, at: float) -> None:
        """A voice call ended at ``at`` (``time.time()``); no more turns follow."""


class TurnListeners(TurnListener):
    """Hands every event to each of ``listeners``, logging (not raising) their failures."""

    def __init__(self, listeners: Iterable[TurnListener]) -> None:
        self.listeners = list(listeners)

    def _each(self, event: str, *args: object) -> None:
        for listener in self.listeners:
            try:
                getattr(listener, event)(*args)
            except Exception:  # a listener's boundary: the others and the call go on
                logger.exception(f"turn listener {type(listener).__name__}.{event} failed")

    def call_started(self, channel: str, bot: str) -> None:
        """Tell every listener the call started."""
        self._each("call_started", channel, bot)

    def turn_ended(self, turn: Turn) -> None:
        """Tell every listener of ``turn``."""
        self._each("turn_ended", turn)

    def call_ended(self, at: float) -> None:
        """Tell every listener the call ended."""
        self._each("call_ended", at)
