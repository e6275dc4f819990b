"""Conversion of pipecat's LLM context messages into LangChain messages."""

from collections.abc import Iterable
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        # OpenAI-style content parts; only text parts are spoken conversation.
        return " ".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def to_langchain(messages: Iterable[Any]) -> list[BaseMessage]:
    """Convert pipecat context messages (OpenAI-style dicts) to LangChain messages.

    Tool-call bookkeeping and provider-specific messages are skipped: the graph gets the
    spoken conversation, which is what pipecat's context keeps after an interruption.

    Args:
        messages: ``LLMContext.get_messages()``.

    Returns:
        The conversation as LangChain messages, empty turns dropped.
    """
    converted: list[BaseMessage] = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        role, text = message.get("role"), _text(message.get("content")).strip()
        if not text:
            continue
        if role == "user":
            converted.append(HumanMessage(text))
        elif role == "assistant":
            converted.append(AIMessage(text))
        elif role in ("system", "developer"):
            converted.append(SystemMessage(text))
    return converted
