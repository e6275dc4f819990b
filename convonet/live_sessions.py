"""Bookkeeping of running pipelines: counts for readiness/metrics, and a clean shutdown."""

import asyncio
from collections import Counter
from collections.abc import Awaitable

from loguru import logger

from convonet.session import CallSession


class LiveSessions:
    """Runs each session's pipeline as a tracked task; one session's failure stays its own."""

    def __init__(self) -> None:
        self._tasks: dict[str, tuple[CallSession, asyncio.Task[None]]] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    def by_channel(self) -> dict[str, int]:
        """Running sessions per transport channel."""
        return dict(Counter(session.channel for session, _ in self._tasks.values()))

    async def run(self, session: CallSession, work: Awaitable[None]) -> None:
        """Run ``work`` (a session's pipeline) to completion, logging any failure.

        This is a session boundary: an unexpected error ends this session only.
        """
        task = asyncio.ensure_future(work)
        self._tasks[session.session_id] = (session, task)
        try:
            await task
        except asyncio.CancelledError:
            task.cancel()
            raise
        except Exception:
            logger.exception(f"session {session.session_id} ({session.channel}) failed")
        finally:
            self._tasks.pop(session.session_id, None)

    async def cancel_all(self) -> None:
        """Cancel every running session (server shutdown)."""
        tasks = [task for _, task in self._tasks.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
