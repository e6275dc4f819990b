"""Every Redis key name the application uses (nothing else formats keys).

* ``session:{session_id}``: a session record (JSON), with the session TTL.
* ``wstoken:{token}``: the session id a WebSocket connection token admits; single use.
* ``claim:{kind}:{id}``: marks a one-time use (a phone stream of a session).
* ``authfail:{scope}:{key}``: failed sign-ins as a sorted set of timestamps (sliding window).
* ``rate:{scope}:{key}``: requests counted against a rate limit (sliding window).
* ``history:{session_id}``: a text session's spoken conversation (JSON list).
* ``transfer:{session_id}``: a caller's hand-off to a human department.
* ``callcenter:customer:{extension}:{call_sid}``: a transferred caller's context for the agent.
* Call center: ``callcenter:agent:{agent_id}`` (an agent's live state), ``callcenter:wrapup``
  (agents in wrap-up, scored by when it ends), ``callcenter:ticket:{sha256}`` (a single-use
  live-feed ticket) and the pub/sub channel ``callcenter:events``.
* Agent Monitor: ``timing:{session_id}`` (a session's turns), ``timings:stream`` (every
  session's turns, a capped stream) and the pub/sub channel ``timings:live``.
* Mortgage dashboard: the pub/sub channel ``mortgage:events`` (every application change).
"""

import hashlib
import re

from convonet.errors import InvalidInputError

SCOPE_PATTERN = re.compile(r"[a-z0-9_]{1,32}")
MAX_KEY_PART = 128


def _hashed_if_long(value: str) -> str:
    if len(value) <= MAX_KEY_PART:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


class Keys:
    """Builders of every key name."""

    @staticmethod
    def session(session_id: str) -> str:
        """``session:{session_id}``."""
        return f"session:{session_id}"

    @staticmethod
    def ws_token(token: str) -> str:
        """``wstoken:{token}``."""
        return f"wstoken:{token}"

    @staticmethod
    def auth_failures(scope: str, key: str) -> str:
        """``authfail:{scope}:{key}``; keys longer than 128 characters are hashed.

        Raises:
            InvalidInputError: ``scope`` is not a short lower-case word or ``key`` is empty.
        """
        if SCOPE_PATTERN.fullmatch(scope) is None or not key:
            raise InvalidInputError(f"bad failure-counter scope/key: {scope[:40]!r}")
        return f"authfail:{scope}:{_hashed_if_long(key)}"

    @staticmethod
    def rate(scope: str, key: str) -> str:
        """``rate:{scope}:{key}``; keys longer than 128 characters are hashed.

        Raises:
            InvalidInputError: ``scope`` is not a short lower-case word or ``key`` is empty.
        """
        if SCOPE_PATTERN.fullmatch(scope) is None or not key:
            raise InvalidInputError(f"bad rate-limit scope/key: {scope[:40]!r}")
        return f"rate:{scope}:{_hashed_if_long(key)}"

    @staticmethod
    def session_access(digest: str) -> str:
        """``sessaccess:{sha256}``: the session a text-access token opens (its hash only)."""
        return f"sessaccess:{digest}"

    @staticmethod
    def session_access_of(session_id: str) -> str:
        """``sessaccess:of:{session_id}``: the token hash of a session, to revoke it."""
        return f"sessaccess:of:{session_id}"

    @staticmethod
    def refresh_used(token_id: str) -> str:
        """``refresh:used:{jti}``: a refresh token already exchanged (single use)."""
        return f"refresh:used:{token_id}"

    @staticmethod
    def refresh_revoked(family: str) -> str:
        """``refresh:revoked:{family}``: a sign-in family revoked after a token's reuse."""
        return f"refresh:revoked:{family}"

    @staticmethod
    def transfer(session_id: str) -> str:
        """``transfer:{session_id}``: a pending call transfer."""
        return f"transfer:{session_id}"

    @staticmethod
    def callcenter_customer(extension: str, call_sid: str) -> str:
        """``callcenter:customer:{extension}:{call_sid}``: caller context for an agent."""
        return f"callcenter:customer:{extension}:{call_sid}"

    @staticmethod
    def history(session_id: str) -> str:
        """``history:{session_id}``: a text session's spoken conversation (JSON list)."""
        return f"history:{session_id}"

    @staticmethod
    def claim(kind: str, item_id: str) -> str:
        """``claim:{kind}:{id}``: marks a one-time use (a phone stream of a session)."""
        return f"claim:{kind}:{_hashed_if_long(item_id)}"

    @staticmethod
    def timings(session_id: str) -> str:
        """``timing:{session_id}``: a session's turn records (JSON list, oldest first)."""
        return f"timing:{session_id}"

    @staticmethod
    def timing_stream() -> str:
        """``timings:stream``: every session's turn records, a capped stream."""
        return "timings:stream"

    @staticmethod
    def timing_channel() -> str:
        """``timings:live``: the pub/sub channel each turn record is published on."""
        return "timings:live"

    @staticmethod
    def mortgage_channel() -> str:
        """``mortgage:events``: the pub/sub channel each mortgage application change is on."""
        return "mortgage:events"

    @staticmethod
    def callcenter_agent(agent_id: str) -> str:
        """``callcenter:agent:{agent_id}``: an agent's live state (JSON)."""
        return f"callcenter:agent:{agent_id}"

    @staticmethod
    def callcenter_wrap_up() -> str:
        """``callcenter:wrapup``: agent ids in wrap-up, scored by when it ends (epoch seconds)."""
        return "callcenter:wrapup"

    @staticmethod
    def callcenter_ticket(digest: str) -> str:
        """``callcenter:ticket:{sha256}``: a single-use live-feed ticket (its hash only)."""
        return f"callcenter:ticket:{digest}"

    @staticmethod
    def callcenter_channel() -> str:
        """``callcenter:events``: the pub/sub channel of every agent state change."""
        return "callcenter:events"
