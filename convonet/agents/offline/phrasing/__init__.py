"""How the offline agent model words its replies: capabilities, questions, tool results."""

import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from convonet.agents.offline.phrasing import productivity, services
from convonet.agents.offline.phrasing.productivity import Phraser, Result

DIDNT_CATCH = "Sorry, I didn't catch that. Could you say it again?"
NOT_UNDERSTOOD = "Sorry, I didn't get that."
DROPPED = "Okay, I've dropped that. Is there anything else I can do?"

# What the assistant can do, by area, and the tools that make it possible.
CAPABILITIES: tuple[tuple[str, frozenset[str]], ...] = (
    ("manage your to-do list", frozenset(
        {"create_todo", "get_todos", "complete_todo", "update_todo", "delete_todo"})),
    ("manage your teams and team tasks", frozenset(
        {"create_team", "get_teams", "get_team_members", "create_team_todo", "add_team_member",
         "remove_team_member", "change_member_role", "search_users"})),
    ("set and check reminders", frozenset(
        {"create_reminder", "get_reminders", "update_reminder", "delete_reminder"})),
    ("manage your calendar", frozenset(
        {"create_calendar_event", "get_calendar_events", "update_calendar_event",
         "delete_calendar_event", "sync_google_calendar_events", "test_google_calendar"})),
    ("help with mortgage applications, payments and affordability", frozenset(
        {"start_mortgage_application", "get_mortgage_application",
         "update_mortgage_application", "calculate_mortgage_payment", "estimate_affordability",
         "list_required_documents"})),
    ("register patients, take intake details and book appointments", frozenset(
        {"register_patient", "get_patient", "record_intake", "book_appointment",
         "get_appointments"})),
    ("check tables and handle restaurant reservations", frozenset(
        {"check_availability", "create_reservation", "get_reservation", "update_reservation",
         "cancel_reservation"})),
    ("transfer you to a person", frozenset({"transfer_to_agent", "get_available_departments"})),
    ("tell you the date and time", frozenset({"get_current_datetime"})),
    ("end the call when you are done", frozenset({"end_call"})),
)  # fmt: skip
TOOL_AREAS: dict[str, str] = {tool: area for area, tools in CAPABILITIES for tool in tools}
# Short names of the areas, for a brief reminder of what is possible.
BRIEF: dict[str, str] = dict(
    zip(
        (phrase for phrase, _tools in CAPABILITIES),
        (
            "your to-dos", "teams", "reminders", "your calendar", "mortgages",
            "patient intake and appointments", "restaurant reservations",
            "reaching a person", "the date and time", "ending the call",
        ),
        strict=True,
    )
)  # fmt: skip
_BRIEF_FROM = 4  # areas from which the brief form is used


def capabilities(tool_names: Iterable[str], *, brief: bool = False) -> str:
    """Describe, honestly, what the bound tools allow, area by area.

    Args:
        tool_names: The bound tools.
        brief: Name the areas only ("I can help with your to-dos, reminders, ...") when
            there are many of them.
    """
    names = set(tool_names)
    phrases = [phrase for phrase, tools in CAPABILITIES if tools & names]
    if brief and len(phrases) >= _BRIEF_FROM:
        areas = [BRIEF[p] for p in phrases]
        return f"I can help with {', '.join(areas[:-1])}, and {areas[-1]}."
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
    return f"Sorry, I can't help with that yet. {capabilities(tool_names, brief=True)}"


def missing_tool(tool: str | None) -> str:
    """The reply when an intent's tool is not available to this bot."""
    area = TOOL_AREAS.get(tool or "")
    if area is None:
        return "Sorry, I can't do that here: it is not available on this line."
    return f"Sorry, I can't {area} on this line."


PHRASERS: dict[str, Phraser] = {
    "get_current_datetime": lambda result, _args, _now: _datetime(result),
    "end_call": lambda _result, _args, _now: "Goodbye, and thanks for calling. Have a great day!",
    **productivity.PHRASERS,
    **services.PHRASERS,
}


def _datetime(result: Result) -> str:
    what = result.get("what", "both")
    if what == "time":
        return f"It's {result['time_spoken']}."
    if what == "date":
        return f"Today is {result['date_spoken']}."
    return f"It's {result['time_spoken']} on {result['date_spoken']}."


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
    phraser = PHRASERS.get(tool)
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
    "tool_result",
]
