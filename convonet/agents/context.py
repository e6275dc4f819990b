"""Run-time context handed to every node and tool of the agent graph."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class AgentContext:
    """Who the agent is talking to and with which bot.

    Attributes:
        session_id: The call's session id.
        bot_name: The bot answering.
        persona: The bot's system prompt.
        domains: Domains the bot may route to.
        user_id: The caller's user id, when authenticated.
        user_name: The caller's display name.
        timezone: The caller's timezone, for dates and times.
        clock: Returns the current time (naive means the caller's local time).
    """

    session_id: str
    bot_name: str = "assistant"
    persona: str = ""
    domains: tuple[str, ...] = ("general",)
    user_id: str | None = None
    user_name: str | None = None
    timezone: tzinfo = field(default_factory=lambda: ZoneInfo("UTC"))
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        """The current time in the caller's timezone (from ``clock``; tests pin it)."""
        current = self.clock()
        if current.tzinfo is None:
            return current.replace(tzinfo=self.timezone)
        return current.astimezone(self.timezone)
