"""Chat model providers by name."""

from langchain_core.language_models import BaseChatModel

from convonet.agents.offline import OfflineAgentModel
from convonet.errors import UnknownLLMError
from convonet.settings import Settings

OFFLINE = "offline"
KNOWN_LLMS: tuple[str, ...] = (OFFLINE,)


def available_llms(settings: Settings) -> list[str]:
    """LLM names usable with the current settings (offline always is)."""
    return [OFFLINE]


def resolve_llm(requested: str | None, bot_default: str | None, settings: Settings) -> str:
    """Pick the LLM for a session: the request, then the bot's, then the settings' default.

    Raises:
        UnknownLLMError: The chosen name is unknown or not configured.
    """
    name = requested or bot_default or settings.default_llm or OFFLINE
    if name not in available_llms(settings):
        known = ", ".join(available_llms(settings))
        raise UnknownLLMError(f"unknown or unconfigured LLM {name!r}; available: {known}")
    return name


def create_chat_model(name: str, settings: Settings) -> BaseChatModel:
    """Instantiate the chat model called ``name``.

    Raises:
        UnknownLLMError: The name is unknown.
    """
    if name == OFFLINE:
        return OfflineAgentModel()
    raise UnknownLLMError(f"unknown LLM {name!r}")
