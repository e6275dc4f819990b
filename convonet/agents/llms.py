"""Chat model providers by name, and the fallback chain that ties them together.

LLM names: ``offline`` (the rule-based model, always available), ``claude``
(langchain-anthropic), ``openai`` (langchain-openai), ``gemini`` (langchain-google-genai) and
``openai-compatible`` (``ChatOpenAI`` pointed at Ollama, vLLM, llama.cpp, ... by base URL). A
cloud provider is available when its key (or, for ``openai-compatible``, its base URL) is set.

:func:`create_chat_model` returns a :class:`~convonet.agents.fallback.FallbackChatModel`
running the requested provider first, then the rest of ``settings.llm_fallback_chain``.
Provider SDK retries are turned off: moving down the chain is faster than retrying a failing
provider while a caller waits.
"""

from collections.abc import Callable
from typing import Any, get_args

from langchain_core.language_models import BaseChatModel

from convonet.agents.fallback import FallbackChatModel, Provider, ProviderListener
from convonet.agents.offline import OfflineAgentModel
from convonet.errors import UnknownLLMError
from convonet.settings import LlmName, Settings

OFFLINE = "offline"
CLAUDE = "claude"
OPENAI = "openai"
GEMINI = "gemini"
OPENAI_COMPATIBLE = "openai-compatible"
KNOWN_LLMS: tuple[str, ...] = get_args(LlmName)

# Sent when an OpenAI-compatible server needs no key (the OpenAI client insists on one).
NO_KEY = "not-needed"
# Claude requires a reply cap; a spoken reply never needs more.
CLAUDE_MAX_TOKENS = 1024


def is_configured(name: str, settings: Settings) -> bool:
    """Whether the LLM called ``name`` can be used with these settings."""
    return {
        OFFLINE: True,
        CLAUDE: settings.anthropic_api_key is not None,
        OPENAI: settings.openai_api_key is not None,
        GEMINI: settings.google_api_key is not None,
        OPENAI_COMPATIBLE: bool(settings.openai_compatible_base_url),
    }.get(name, False)


def available_llms(settings: Settings) -> list[str]:
    """LLM names usable with the current settings (offline always is)."""
    return [name for name in KNOWN_LLMS if is_configured(name, settings)]


def resolve_llm(requested: str | None, bot_default: str | None, settings: Settings) -> str:
    """Pick the LLM for a session: the request, then the bot's, then the settings' default.

    Raises:
        UnknownLLMError: The chosen name is unknown or not configured.
    """
    name = requested or bot_default or settings.default_llm or OFFLINE
    _require_available(name, settings)
    return name


def fallback_chain(name: str, settings: Settings) -> list[str]:
    """The providers tried for a session using ``name``, in order.

    ``name`` comes first, then the configured providers that follow it in
    ``settings.llm_fallback_chain`` (the whole chain when ``name`` is not in it), then
    ``offline`` if the chain did not already end there.

    Raises:
        UnknownLLMError: ``name`` is unknown or not configured.
    """
    _require_available(name, settings)
    chain = list(settings.llm_fallback_chain)
    after = chain[chain.index(name) + 1 :] if name in chain else chain
    result = [name]
    for other in [*after, OFFLINE]:
        if other not in result and is_configured(other, settings):
            result.append(other)
        if other == OFFLINE:
            break
    return result


def create_provider_model(name: str, settings: Settings) -> BaseChatModel:
    """The bare chat model of one provider (no fallback).

    Raises:
        UnknownLLMError: ``name`` is unknown or not configured.
    """
    _require_available(name, settings)
    return _BUILDERS[name](settings)


def create_chat_model(
    name: str, settings: Settings, *, listener: ProviderListener | None = None
) -> FallbackChatModel:
    """The chat model for a session using ``name``, falling back along the chain.

    Args:
        name: The requested LLM.
        settings: Keys, models, base URLs, the chain and the per-request timeout.
        listener: Called with every provider attempt (answers, failures, fallbacks).

    Returns:
        A chat model whose replies record the answering provider (see
        :func:`convonet.agents.fallback.answered_by`).

    Raises:
        UnknownLLMError: ``name`` is unknown or not configured.
    """
    providers = tuple(
        Provider(other, create_provider_model(other, settings))
        for other in fallback_chain(name, settings)
    )
    return FallbackChatModel(
        providers=providers,
        timeout_secs=settings.llm_timeout_secs,
        fallback_on_client_errors=settings.llm_fallback_on_client_errors,
        listener=listener,
    )


def _require_available(name: str, settings: Settings) -> None:
    if name not in KNOWN_LLMS:
        raise UnknownLLMError(f"unknown LLM {name!r}; known: {', '.join(KNOWN_LLMS)}")
    if not is_configured(name, settings):
        available = ", ".join(available_llms(settings))
        raise UnknownLLMError(f"LLM {name!r} is not configured; available: {available}")


# --- provider construction (SDKs imported lazily: nothing heavy at import time) -------------


def _claude(settings: Settings) -> BaseChatModel:
    from langchain_anthropic import ChatAnthropic

    assert settings.anthropic_api_key is not None
    extra: dict[str, Any] = {}
    if settings.anthropic_base_url:  # else the SDK's default endpoint
        extra["base_url"] = settings.anthropic_base_url
    return ChatAnthropic(  # type: ignore[call-arg]
        model=settings.anthropic_model,
        api_key=settings.anthropic_api_key,
        max_tokens=CLAUDE_MAX_TOKENS,
        timeout=settings.llm_timeout_secs,
        max_retries=0,
        **extra,
    )


def _openai(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(  # type: ignore[call-arg]
        model=settings.openai_model,
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout_secs,
        max_retries=0,
    )


def _openai_compatible(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    return ChatOpenAI(  # type: ignore[call-arg]
        model=settings.openai_compatible_model,
        api_key=settings.openai_compatible_api_key or SecretStr(NO_KEY),
        base_url=settings.openai_compatible_base_url,
        timeout=settings.llm_timeout_secs,
        max_retries=0,
        # Local servers speak Chat Completions; not every one has the Responses API.
        use_responses_api=False,
    )


def _gemini(settings: Settings) -> BaseChatModel:
    from langchain_google_genai import ChatGoogleGenerativeAI

    return ChatGoogleGenerativeAI(  # type: ignore[call-arg]
        model=settings.gemini_model,
        google_api_key=settings.google_api_key,
        base_url=settings.gemini_base_url,
        timeout=settings.llm_timeout_secs,
        max_retries=0,
    )


_BUILDERS: dict[str, Callable[[Settings], BaseChatModel]] = {
    OFFLINE: lambda _settings: OfflineAgentModel(),
    CLAUDE: _claude,
    OPENAI: _openai,
    OPENAI_COMPATIBLE: _openai_compatible,
    GEMINI: _gemini,
}
