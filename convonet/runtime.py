"""The per-process runtime: what the lifespan creates and every request/session shares."""

from dataclasses import dataclass, field

from convonet.agents.factory import AgentFactory
from convonet.agents.llms import resolve_llm
from convonet.bots.registry import BotRegistry, default_registry
from convonet.live_sessions import LiveSessions
from convonet.services.models import EmbeddedModels
from convonet.services.speech import check_stt, check_tts
from convonet.session import CallSession, Channel, new_session_id
from convonet.session_store import PendingSessions
from convonet.settings import Settings


@dataclass
class Runtime:
    """Shared services of one server process (or one CLI run).

    Attributes:
        settings: Validated settings.
        models: The embedded Whisper/Piper models.
        bots: The bot registry.
        agents: Agent graph factory.
        pending: Sessions created by ``/api/connect`` and not yet claimed by a transport.
        live: Sessions whose pipeline is running.
    """

    settings: Settings
    models: EmbeddedModels
    bots: BotRegistry
    agents: AgentFactory
    pending: PendingSessions
    live: LiveSessions = field(default_factory=LiveSessions)

    @classmethod
    def create(cls, settings: Settings) -> "Runtime":
        """Build a runtime; models are loaded separately with ``await models.load()``."""
        return cls(
            settings=settings,
            models=EmbeddedModels(settings),
            bots=default_registry(),
            agents=AgentFactory(settings),
            pending=PendingSessions(ttl_secs=settings.session_token_ttl_secs),
        )

    def new_session(
        self,
        channel: Channel,
        *,
        bot: str | None = None,
        llm: str | None = None,
        stt: str | None = None,
        tts: str | None = None,
        user_name: str | None = None,
    ) -> CallSession:
        """Validate a caller's choices and create their session.

        Raises:
            UnknownBotError: ``bot`` is not registered.
            UnknownLLMError: ``llm`` is unknown or not configured.
            UnknownProviderError: ``stt``/``tts`` is unknown or not configured.
        """
        spec = self.bots.get(bot or self.settings.default_bot)
        return CallSession(
            session_id=new_session_id(),
            bot=spec,
            llm=resolve_llm(llm, spec.llm, self.settings),
            channel=channel,
            stt=check_stt(stt or self.settings.default_stt, self.settings),
            tts=check_tts(tts or self.settings.default_tts, self.settings),
            user_name=user_name,
        )
