"""How the offline agent model words its replies, from intents and tool results."""

import json
from collections.abc import Callable, Iterable
from typing import Any

DIDNT_CATCH = "Sorry, I didn't catch that. Could you say it again?"

# What each tool lets the assistant do, for "what can you do".
CAPABILITIES: dict[str, str] = {
    "get_current_datetime": "tell you the date and time",
    "end_call": "end the call when you are done",
}


def capabilities(tool_names: Iterable[str]) -> str:
    """Describe, honestly, what the bound tools allow."""
    names = set(tool_names)
    phrases = [phrase for name, phrase in CAPABILITIES.items() if name in names]
    if not phrases:
        return "Right now I can only chat; no tools are connected."
    if len(phrases) == 1:
        return f"I can {phrases[0]}."
    return f"I can {', '.join(phrases[:-1])}, and {phrases[-1]}."


def direct_reply(intent: str, tool_names: Iterable[str]) -> str:
    """The reply to an intent that needs no tool."""
    if intent == "greeting":
        return "Hello! How can I help you today?"
    if intent == "thanks":
        return "You're welcome. Is there anything else I can do?"
    if intent == "capabilities":
        return capabilities(tool_names)
    return fallback(tool_names)


def fallback(tool_names: Iterable[str]) -> str:
    """The reply when the model does not understand the request."""
    return f"Sorry, I can't help with that yet. {capabilities(tool_names)}"


def missing_tool(intent: str) -> str:
    """The reply when an intent's tool is not available to this bot."""
    return f"Sorry, I can't do that here: the {intent} feature is not available on this line."


def _datetime(result: dict[str, Any], _args: dict[str, Any]) -> str:
    what = result.get("what", "both")
    if what == "time":
        return f"It's {result['time_spoken']}."
    if what == "date":
        return f"Today is {result['date_spoken']}."
    return f"It's {result['time_spoken']} on {result['date_spoken']}."


def _end_call(_result: dict[str, Any], _args: dict[str, Any]) -> str:
    return "Goodbye, and thanks for calling. Have a great day!"


PHRASERS: dict[str, Callable[[dict[str, Any], dict[str, Any]], str]] = {
    "get_current_datetime": _datetime,
    "end_call": _end_call,
}


def tool_result(tool: str, args: dict[str, Any], content: str, *, error: bool) -> str:
    """Word a reply from a tool's result.

    Args:
        tool: The tool that ran.
        args: The arguments it ran with.
        content: Its result (JSON text, or an error message).
        error: Whether the tool reported an error.

    Returns:
        A short spoken reply.
    """
    if error:
        return f"Sorry, that didn't work: {content.strip()[:200]}"
    try:
        result = json.loads(content)
    except json.JSONDecodeError:
        return content.strip()[:300] or "Done."
    phraser = PHRASERS.get(tool)
    if phraser is None or not isinstance(result, dict):
        return "Done."
    return phraser(result, args)
