"""Sessions created by ``/api/connect`` and waiting for their transport to claim them.

A session id in a ``ws_url`` is single use and expires quickly, so a leaked URL is worth
little. (Redis-backed storage and PIN authentication replace this in-memory store later.)
"""

import time
from dataclasses import dataclass

from convonet.errors import SessionNotFoundError
from convonet.session import CallSession


@dataclass(slots=True)
class _Pending:
    session: CallSession
    expires: float


class PendingSessions:
    """An in-process, TTL-bound, single-use map of session id to :class:`CallSession`."""

    def __init__(self, ttl_secs: float) -> None:
        self._ttl = ttl_secs
        self._items: dict[str, _Pending] = {}

    def add(self, session: CallSession) -> None:
        """Store ``session`` until it is claimed or expires."""
        self._purge()
        self._items[session.session_id] = _Pending(session, time.monotonic() + self._ttl)

    def claim(self, session_id: str) -> CallSession:
        """Take the session out of the store.

        Raises:
            SessionNotFoundError: Unknown, already used or expired.
        """
        self._purge()
        pending = self._items.pop(session_id, None)
        if pending is None:
            raise SessionNotFoundError("unknown, used or expired session")
        return pending.session

    def _purge(self) -> None:
        now = time.monotonic()
        for key in [k for k, v in self._items.items() if v.expires <= now]:
            del self._items[key]
