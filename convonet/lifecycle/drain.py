"""Drain on SIGTERM: refuse new calls at once, let live calls finish, then exit.

A rolling deploy or a scale-in sends SIGTERM. Killing the process would cut every live
call, so instead :class:`Drain` turns ``/readyz`` false (the load balancer stops sending
new callers), admission refuses new sessions with :class:`~convonet.errors.ServerDrainingError`
(503 + ``Retry-After``, WebSocket close 4503, a spoken apology on the phone), and the calls
already running carry on. Calls still running after ``DRAIN_GRACE_SECS`` hear a short goodbye
and end. The uvicorn server (:mod:`convonet.lifecycle.serving`) starts the drain on SIGTERM
and exits once :meth:`Drain.run` returns.
"""

import time

from loguru import logger

from convonet.lifecycle.live_sessions import LiveSessions

GOODBYE_SPOKEN = "Sorry, this line has to close now for maintenance. Please call again. Goodbye."
# How long calls ended by the drain may take to speak the goodbye and close.
GOODBYE_SECS = 10.0


class Drain:
    """One process's shutdown state; ``draining`` is read by readiness and admission."""

    def __init__(self) -> None:
        self.draining = False
        self.started_at: float | None = None

    def begin(self) -> None:
        """Refuse new sessions from now on (idempotent)."""
        if not self.draining:
            self.draining, self.started_at = True, time.monotonic()
            logger.warning("draining: new calls are refused, live calls carry on")

    async def run(self, live: LiveSessions, grace_secs: float) -> int:
        """Drain: wait for live calls to end, at most ``grace_secs``, then end the rest.

        Args:
            live: The process's running sessions.
            grace_secs: How long live calls may carry on.

        Returns:
            How many calls were ended by the drain (0 when all ended by themselves).
        """
        self.begin()
        logger.warning(f"draining: waiting up to {grace_secs:.0f} s for {len(live)} live call(s)")
        if await live.wait_idle(grace_secs):
            logger.info("drained: every call ended by itself")
            return 0
        remaining = live.handles()
        logger.warning(f"drain grace over: ending {len(remaining)} call(s) with a goodbye")
        for voice in remaining:
            await voice.end_with(GOODBYE_SPOKEN)
        if not await live.wait_idle(GOODBYE_SECS):
            logger.warning(f"{len(live)} call(s) did not end after the goodbye; cancelling")
            await live.cancel_all()
        return len(remaining)
