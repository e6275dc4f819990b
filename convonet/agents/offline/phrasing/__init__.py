"""How the offline agent model words its replies: capabilities, questions, tool results."""

import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from convonet.agents.offline.phrasing import shared
from convonet.agents.offline.phrasing.base import Phraser
from convonet.domains.registry import attribute, derived, domains
from convonet.domains.spec import Capability

DIDNT_CATCH = "Sorry, I didn't catch that. Could you say it again?"
NOT_UNDERSTOOD = "Sorry, I didn't get that."
DROPPED = "Okay, I've dropped that. Is there anything else I can do?"

# What the shared tools allow (the domains' capabilities come from their descriptors).
_SHARED_CAPABILITIES: tuple[Capability, ...] = (
    Capability(
        "transfer you to a person",
        "reaching a person",
        frozenset({"transfer_to_agent", "get_available_departments"}),
    ),
    Capability(
        "tell you the date and time", "the date and time", frozenset({"get_current_datetime"})
    ),
    Capability("end the call when you are done", "ending the call", frozenset({"end_call"})),
)
_BRIEF_FROM = 4  # areas from which the brief form is used
_SPOKEN_WORDS = 20  # a capability answer longer than this is summarised by domain


@derived
def all_capabilities() -> tuple[Capability, ...]:
    """What the assistant can do, area by area: the domains' (in order), then the shared."""
    return (*(c for d in domains() for c in d.capabilities), *_SHARED_CAPABILITIES)


@derived
def tool_areas() -> dict[str, str]:
    """Tool → the phrase of its capability."""
    return {tool: c.phrase for c in all_capabilities() for tool in c.tools}


@derived
def phrasers() -> dict[str, Phraser]:
    """Tool → the function that words its result (shared and every domain's)."""
    found: dict[str, Phraser] = dict(shared.PHRASERS)
    for domain in domains():
        if domain.phrasing:
            found.update(attribute(domain.phrasing, "PHRASERS"))
    return found


def __getattr__(name: str) -> object:
    # CAPABILITIES, TOOL_AREAS, BRIEF and PHRASERS are derived on access.
    if name == "CAPABILITIES":
        return tuple((c.phrase, c.tools) for c in all_capabilities())
    if name == "TOOL_AREAS":
        return tool_areas()
    if name == "BRIEF":
        return {c.phrase: c.brief for c in all_capabilities()}
    if name == "PHRASERS":
        return phrasers()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def capabilities(tool_names: Iterable[str], *, brief: bool = False) -> str:
    """Describe, honestly, what the bound tools allow, area by area.

    Args:
        tool_names: The bound tools.
        brief: Name the areas only ("I can help with your to-dos, reminders, ...") when
            there are many of them.
    """
    names = set(tool_names)
    offered = [c for c in all_capabilities() if c.tools & names]
    phrases = [c.phrase for c in offered]
    if brief and len(phrases) >= _BRIEF_FROM:
        areas = [c.brief for c in offered]
        return f"I can help with {', '.join(areas[:-1])}, and {areas[-1]}."
    if not phrases:
        return "Right now I can only chat; no tools are connected."
    if len(phrases) == 1:
        return f"I can {phrases[0]}."
    return f"I can {', '.join(phrases[:-1])}, and {phrases[-1]}."


def spoken_capabilities(tool_names: Iterable[str]) -> str:
    """The answer to "what can you do": one short sentence, fit to be spoken.

    The full list (:func:`capabilities`) when it is short; otherwise the bound domains'
    summaries ("your to-dos, reminders and calendar, mortgages, ..."), plus a person to
    reach when transfer is bound.
    """
    names = set(tool_names)
    full = capabilities(names)
    if len(full.split()) <= _SPOKEN_WORDS:
        return full
    areas = [d.summary for d in domains() if d.tools & names]
    if not areas:
        return full
    listed = areas[0] if len(areas) == 1 else f"{', '.join(areas[:-1])} and {areas[-1]}"
    person = ", or get you a person" if "transfer_to_agent" in names else ""
    return f"I can help with {listed}{person}."


def direct_reply(intent: str, tool_names: Iterable[str]) -> str:
    """The reply to an intent that needs no tool."""
    if intent == "greeting":
        return "Hello! How can I help you today?"
    if intent == "thanks":
        return "You're welcome. Is there anything else I can do?"
    if intent == "capabilities":
        return spoken_capabilities(tool_names)
    return fallback(tool_names)


def fallback(tool_names: Iterable[str]) -> str:
    """The reply when the model does not understand the request."""
    return f"Sorry, I can't help with that yet. {capabilities(tool_names, brief=True)}"


def missing_tool(tool: str | None) -> str:
    """The reply when an intent's tool is not available to this bot."""
    area = tool_areas().get(tool or "")
    if area is None:
        return "Sorry, I can't do that here: it is not available on this line."
    return f"Sorry, I can't {area} on this line."


_WRAPPED = re.compile(r"^\w*(?:Error|Exception)\((['\"])(.*)\1\)$", re.DOTALL)


def error_message(content: str) -> str:
    """The readable part of a tool error (LangGraph wraps it as ``Error: ToolException(...)``)."""
    text = content.strip()
    text = re.sub(r"\s*Please fix (?:your mistakes|the error and try again)\.?\s*$", "", text)
    text = re.sub(
        r"^Error executing tool '[^']*' with kwargs .*? with error:\s*", "", text, flags=re.S
    )
    text = re.sub(r"^Error:\s*", "", text).strip()
    wrapped = _WRAPPED.match(text)
    if wrapped:
        text = wrapped.group(2).replace("\\'", "'")
    text = " ".join(text.split())[:200] or "an unknown error"
    return text if text[-1] in ".!?" else f"{text}."


def tool_result(
    tool: str, args: dict[str, Any], content: str, *, error: bool, now: datetime | None = None
) -> str:
    """Word a reply from a tool's result.

    Args:
        tool: The tool that ran.
        args: The arguments it ran with.
        content: Its result (JSON text, or an error message).
        error: Whether the tool reported an error.
        now: The caller's current time, to say "tomorrow" rather than a date.

    Returns:
        A short spoken reply.
    """
    if error:
        return f"Sorry, that didn't work: {error_message(content)}"
    try:
        result = json.loads(content)
    except json.JSONDecodeError:
        return content.strip()[:300] or "Done."
    if isinstance(result, dict) and isinstance(result.get("error"), str):
        return f"Sorry, that didn't work: {error_message(result['error'])}"
    phraser = phrasers().get(tool)
    if phraser is None or not isinstance(result, dict):
        return "Done."
    try:
        return phraser(result, args, now)
    except (KeyError, TypeError, ValueError, AttributeError):
        return "Done."


__all__ = [
    "CAPABILITIES",
    "DIDNT_CATCH",
    "DROPPED",
    "NOT_UNDERSTOOD",
    "PHRASERS",
    "capabilities",
    "direct_reply",
    "error_message",
    "fallback",
    "missing_tool",
    "spoken_capabilities",
    "tool_result",
]
