"""Per-call context: who is calling, through what, with which bot and providers."""

import uuid
from dataclasses import dataclass, field
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from convonet.agents.context import AgentContext
from convonet.bots.spec import BotSpec
from convonet.channels import Channel
from convonet.settings import SttProvider, TtsProvider


def new_session_id() -> str:
    """Return a fresh, URL-safe, unguessable session id."""
    return uuid.uuid4().hex


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(slots=True)
class CallSession:
    """The context one pipeline runs with.

    Attributes:
        session_id: Unique id of the session (also the agent's conversation thread).
        bot: The bot answering this call.
        llm: The agent model's provider name (``"offline"``, ...).
        channel: The transport the caller uses.
        stt: Speech-to-text provider.
        tts: Text-to-speech provider.
        user_id: The authenticated caller's id, once authentication exists.
        user_name: The caller's display name, used in the greeting.
        timezone: The caller's IANA timezone (dates and times are spoken and parsed in it).
        metadata: Free-form transport details (Twilio call sid, remote address, ...).
    """

    session_id: str
    bot: BotSpec
    llm: str
    channel: Channel
    stt: SttProvider
    tts: TtsProvider
    user_id: str | None = None
    user_name: str | None = None
    timezone: str = "UTC"
    metadata: dict[str, str] = field(default_factory=dict)

    def agent_context(self) -> AgentContext:
        """The run-time context the agent graph gets for this call."""
        return AgentContext(
            session_id=self.session_id,
            bot_name=self.bot.name,
            persona=self.bot.persona,
            domains=self.bot.domains,
            user_id=self.user_id,
            user_name=self.user_name,
            timezone=_zone(self.timezone),
        )
