"""Spoken replies from each tool's result shape (docs/tools.md), errors, and capabilities."""

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from convonet.agents.offline import OfflineAgentModel
from convonet.agents.offline.evaluate import ALL_TOOLS
from convonet.agents.offline.phrasing import (
    PHRASERS,
    capabilities,
    error_message,
    fallback,
    missing_tool,
    spoken_capabilities,
    tool_result,
)
from convonet.domains.mortgage import DOMAIN as MORTGAGE
from convonet.domains.registry import domains
from tests.agents.offline.tool_results import CASES, NOW, TODO


@pytest.mark.parametrize(("tool", "args", "result", "reply"), CASES)
def test_each_result_shape_is_phrased(
    tool: str, args: dict[str, Any], result: dict[str, Any], reply: str
) -> None:
    assert tool_result(tool, args, json.dumps(result), error=False, now=NOW) == reply


def test_every_tool_has_a_phraser_and_a_case() -> None:
    assert set(PHRASERS) == ALL_TOOLS
    assert {case[0] for case in CASES} == ALL_TOOLS - {"get_current_datetime", "end_call"}


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (
            "Error: ToolException(\"No todo matches 'milk'.\")\n Please fix your mistakes.",
            "No todo matches 'milk'.",
        ),
        (
            "Error: ToolException('Several todos match milk: buy milk, oat milk.')\n"
            " Please fix your mistakes.",
            "Several todos match milk: buy milk, oat milk.",
        ),
        (
            "Error executing tool 'get_patient' with kwargs {} with error:\n"
            " No patient found\n Please fix the error and try again.",
            "No patient found.",
        ),
        ("Reservation not found", "Reservation not found."),
        ("", "an unknown error."),
    ],
)
def test_tool_errors_are_read_back_honestly(content: str, said: str) -> None:
    assert error_message(content) == said
    assert tool_result("x", {}, content, error=True) == f"Sorry, that didn't work: {said}"


def test_an_error_inside_a_json_result_is_an_error() -> None:
    reply = tool_result("create_todo", {}, json.dumps({"error": "title is required"}), error=False)
    assert reply == "Sorry, that didn't work: title is required."


def test_unknown_and_malformed_results_do_not_invent_details() -> None:
    assert tool_result("unknown_tool", {}, json.dumps({"x": 1}), error=False) == "Done."
    assert tool_result("create_todo", {}, json.dumps({"todo": 5}), error=False) == "Done."
    assert tool_result("create_todo", {}, "plain text result", error=False) == "plain text result"


def test_capabilities_are_listed_by_area_of_the_bound_tools() -> None:
    assert capabilities(["create_todo", "get_todos", "transfer_to_agent"]) == (
        "I can manage your to-do list, and transfer you to a person."
    )
    assert capabilities(["check_availability"]) == (
        "I can check tables and handle restaurant reservations."
    )
    assert capabilities([]) == "Right now I can only chat; no tools are connected."
    everything = capabilities(ALL_TOOLS)
    for area in ("to-do", "teams", "reminders", "calendar", "mortgage", "patients", "restaurant"):
        assert area in everything


def test_the_fallback_names_many_areas_briefly() -> None:
    assert fallback(ALL_TOOLS) == (
        "Sorry, I can't help with that yet. I can help with your to-dos, teams, reminders, "
        "your calendar, mortgages, patient intake and appointments, restaurant reservations, "
        "reaching a person, the date and time, and ending the call."
    )
    assert fallback(["get_current_datetime"]) == (
        "Sorry, I can't help with that yet. I can tell you the date and time."
    )


def test_an_unbound_tool_is_declined_by_area() -> None:
    assert missing_tool("create_reservation") == (
        "Sorry, I can't check tables and handle restaurant reservations on this line."
    )
    assert "can't" in missing_tool(None)


@pytest.mark.parametrize(
    ("utterance", "bound", "expected"),
    [
        ("book a table for 4 tomorrow at 7pm under Smith", ["create_todo"], "restaurant"),
        ("remind me to call mom tomorrow at 9", ["get_current_datetime"], "reminders"),
        ("change the due date of buy milk to friday", ["get_current_datetime"], "to-do list"),
    ],
)
def test_the_model_declines_requests_for_tools_it_does_not_have(
    utterance: str, bound: list[str], expected: str
) -> None:
    model = OfflineAgentModel(now=lambda: NOW).with_tools(bound)
    reply = model.decide([HumanMessage(utterance)])
    assert not reply.tool_calls
    assert "can't" in str(reply.content) and expected in str(reply.content)


@pytest.mark.parametrize(
    ("bound", "tool"),
    [
        (["book_appointment", "create_calendar_event"], "book_appointment"),
        (["create_calendar_event"], "create_calendar_event"),
    ],
)
def test_the_bound_tools_settle_an_ambiguous_request(bound: list[str], tool: str) -> None:
    model = OfflineAgentModel(now=lambda: NOW).with_tools(bound)
    reply = model.decide([HumanMessage("schedule an appointment tomorrow at 3 for a checkup")])
    assert reply.tool_calls[0]["name"] == tool


def test_the_model_phrases_a_tool_result_relative_to_the_callers_day() -> None:
    model = OfflineAgentModel(now=lambda: NOW).with_tools(ALL_TOOLS)
    call = model.decide([HumanMessage("remind me to call mom tomorrow at 9")])
    assert isinstance(call, AIMessage) and call.tool_calls
    args = call.tool_calls[0]["args"]
    result = ToolMessage(
        json.dumps({"reminder": {"id": 1, **args}}), tool_call_id=call.tool_calls[0]["id"]
    )
    reply = model.decide([HumanMessage("remind me to call mom tomorrow at 9"), call, result])
    assert reply.content == "Reminder set for tomorrow at 9 AM: call mom."


def test_tool_times_with_an_offset_are_said_in_the_callers_timezone() -> None:
    eastern = datetime(2026, 5, 4, 10, 0, tzinfo=timezone(timedelta(hours=-4)))
    # A bare due date is stored as the end of that day, and may come back in UTC.
    due = {"todo": TODO | {"due_date": "2026-05-09T03:59:00+00:00"}}
    assert tool_result("create_todo", {}, json.dumps(due), error=False, now=eastern) == (
        "Added buy milk to your to-do list, due Friday."
    )
    reminder = {"reminder": {"title": "call mom", "remind_at": "2026-05-05T13:00:00+00:00"}}
    assert tool_result("create_reminder", {}, json.dumps(reminder), error=False, now=eastern) == (
        "Reminder set for tomorrow at 9 AM: call mom."
    )


def test_what_can_you_do_is_one_short_spoken_sentence() -> None:
    said = spoken_capabilities(ALL_TOOLS)
    assert len(said.split()) <= 20 and said.count(".") == 1, said
    for domain in domains():
        assert domain.summary in said
    assert said.endswith("or get you a person.")
    reply = OfflineAgentModel().with_tools(ALL_TOOLS).invoke([HumanMessage("what can you do?")])
    assert reply.content == said


MORTGAGE_TOOLS = sorted(MORTGAGE.tools)


def test_a_short_capability_list_is_said_in_full() -> None:
    tools = ["create_todo", "get_todos", "transfer_to_agent"]
    assert spoken_capabilities(tools) == capabilities(tools)
    mortgage_bot = [*MORTGAGE_TOOLS, "transfer_to_agent", "get_current_datetime", "end_call"]
    assert spoken_capabilities(mortgage_bot) == ("I can help with mortgages, or get you a person.")
