"""Bookkeeping of running pipelines: counts for readiness/metrics, and a clean shutdown."""

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from loguru import logger

from convonet.session import CallSession


class LiveSessions:
    """Runs each session's pipeline as a tracked task; one session's failure stays its own."""

    def __init__(self) -> None:
        self._tasks: dict[str, tuple[CallSession, asyncio.Task[None]]] = {}
        self._handles: dict[str, Any] = {}
        self._on_end: list[Callable[[str], Awaitable[None]]] = []
        self._reserved: dict[str, float] = {}  # admitted, not streaming yet: id -> expiry
        self._holders: dict[str, str] = {}  # held place -> who signed in for it (a user id)
        self._idle = asyncio.Event()
        self._idle.set()

    def on_end(self, listener: Callable[[str], Awaitable[None]]) -> None:
        """Call ``listener(session_id)`` whenever a session's pipeline has ended."""
        self._on_end.append(listener)

    def __len__(self) -> int:
        return len(self._tasks)

    def reserve(self, session_id: str, hold_secs: float, holder: str | None = None) -> None:
        """Hold a place for a session admitted (signed in) but not yet streaming.

        Args:
            session_id: The admitted session.
            hold_secs: How long the place is held if its stream never starts.
            holder: Who signed in (a user id), so their next sign-in can take its place.
        """
        self._reserved[session_id] = time.monotonic() + hold_secs
        if holder is not None:
            self._holders[session_id] = holder

    def release_held_by(self, holder: str) -> None:
        """Forget the places ``holder``'s earlier sign-ins hold (streams not started yet).

        Why: a caller who signs in again (a retry, a reload) abandons the earlier sign-in,
        whose place would otherwise count against everyone until its token expires.
        """
        for session_id, who in list(self._holders.items()):
            if who == holder:
                del self._holders[session_id]
                self._reserved.pop(session_id, None)

    def release_places(self) -> None:
        """Forget every held place (sessions that were admitted but never started)."""
        self._reserved.clear()
        self._holders.clear()

    def occupied(self, excluding: str | None = None) -> int:
        """Running sessions plus unexpired reservations, not counting ``excluding``'s own."""
        now = time.monotonic()
        for session_id, expiry in list(self._reserved.items()):
            if expiry <= now or session_id in self._tasks:
                del self._reserved[session_id]
                self._holders.pop(session_id, None)
        places = set(self._tasks) | set(self._reserved)
        places.discard(excluding or "")
        return len(places)

    def by_channel(self) -> dict[str, int]:
        """Running sessions per transport channel."""
        return dict(Counter(session.channel for session, _ in self._tasks.values()))

    def handles(self) -> list[Any]:
        """The objects registered with the running sessions (their voice pipelines)."""
        return [handle for handle in self._handles.values() if handle is not None]

    async def wait_idle(self, timeout_secs: float) -> bool:
        """Wait until no session runs, at most ``timeout_secs``; whether none runs now."""
        try:
            async with asyncio.timeout(timeout_secs):
                await self._idle.wait()
        except TimeoutError:
            pass
        return not self._tasks

    def handle(self, session_id: str) -> Any:
        """The object registered with a running session (its ``VoicePipeline``), or ``None``."""
        return self._handles.get(session_id)

    async def run(self, session: CallSession, work: Awaitable[None], handle: Any = None) -> None:
        """Run ``work`` (a session's pipeline) to completion, logging any failure.

        This is a session boundary: an unexpected error ends this session only.

        Args:
            session: The call.
            work: The coroutine running its pipeline.
            handle: An object other parts of the app may look up by session id.
        """
        task = asyncio.ensure_future(work)
        self._reserved.pop(session.session_id, None)
        self._tasks[session.session_id] = (session, task)
        self._idle.clear()
        self._handles[session.session_id] = handle
        try:
            await task
        except asyncio.CancelledError:
            task.cancel()
            raise
        except Exception:
            logger.exception(f"session {session.session_id} ({session.channel}) failed")
        finally:
            self._tasks.pop(session.session_id, None)
            self._handles.pop(session.session_id, None)
            if not self._tasks:
                self._idle.set()
            for listener in self._on_end:
                await asyncio.shield(listener(session.session_id))

    async def cancel_all(self) -> None:
        """Cancel every running session (server shutdown)."""
        tasks = [task for _, task in self._tasks.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
