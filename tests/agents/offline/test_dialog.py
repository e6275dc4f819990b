"""Follow-up questions: a missing slot is asked for, and the answer completes the request."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool

from convonet.agents.context import AgentContext
from convonet.agents.graph import build_agent_graph
from convonet.agents.offline import OfflineAgentModel, dialog
from convonet.agents.offline.dialog import asked
from convonet.agents.offline.evaluate import ALL_TOOLS
from convonet.agents.offline.intents import INTENTS, QUESTIONS
from convonet.agents.offline.model import clock_line
from convonet.agents.offline.phrasing import DIDNT_CATCH, DROPPED, NOT_UNDERSTOOD
from convonet.agents.speculation import USER_TURN_COMPLETE_KEY

NOW = datetime(2026, 5, 4, 10, 0)
MODEL = OfflineAgentModel(now=lambda: NOW).with_tools(ALL_TOOLS)


def converse(*turns: str, model: OfflineAgentModel = MODEL) -> tuple[list[str], AIMessage]:
    """Say each turn; return the model's replies before the last turn, and its last message."""
    messages: list[BaseMessage] = []
    replies: list[str] = []
    reply = AIMessage(content="")
    for turn in turns:
        messages.append(HumanMessage(turn))
        reply = model.decide(messages)
        if reply.tool_calls:
            break
        replies.append(str(reply.content))
        messages.append(AIMessage(content=reply.content))
    return replies, reply


def test_every_question_is_unique_and_leads_back_to_its_intent() -> None:
    asks = [(intent, ask) for intent in INTENTS for ask in intent.asks]
    assert len(asks) == len(QUESTIONS) >= 40
    for intent, ask in asks:
        assert asked(ask.question) == (intent, ask)
        assert ask.question.endswith("?") and len(ask.question.split()) <= 14


def test_question_heard_inside_a_longer_reply_or_cut_off() -> None:
    found = asked("Sorry, I didn't get that. What time would you like the reservation?")
    assert found is not None and found[0].name == "create_reservation"
    cut = asked("For what date and time should I")  # barge-in cut the question short
    assert cut is not None and (cut[0].name, cut[1].key) == ("create_reminder", "when")
    assert asked("What time") is None
    assert asked("You have 3 open to-dos: buy milk, eggs, and bread.") is None


def test_missing_slots_are_asked_one_at_a_time() -> None:
    replies, call = converse(
        "set a reminder", "renew the car insurance", "next Monday at 8 in the morning"
    )
    assert replies == [
        "What should I remind you about?",
        "For what date and time should I set the reminder?",
    ]
    assert call.tool_calls[0]["name"] == "create_reminder"
    assert call.tool_calls[0]["args"] == {
        "title": "renew the car insurance",
        "remind_at": "2026-05-11T08:00",
    }


def test_a_day_without_a_time_asks_only_for_the_time() -> None:
    replies, call = converse("remind me to call mom tomorrow", "at 9")
    assert replies == ["At what time should I remind you?"]
    assert call.tool_calls[0]["args"]["remind_at"] == "2026-05-05T09:00"


def test_restaurant_booking_collects_every_slot() -> None:
    replies, call = converse("I want to book a table", "this Saturday", "7", "four", "Garcia")
    assert replies == [
        "For what day would you like the reservation?",
        "What time would you like the reservation?",
        "How many people will be dining?",
        "What name should I put the reservation under?",
    ]
    assert call.tool_calls[0]["args"] == {
        "date": "2026-05-09",
        "time": "19:00",
        "party_size": 4,
        "name": "Garcia",
    }


def test_an_answer_that_does_not_fit_is_asked_again() -> None:
    replies, call = converse("book a table for 2 on Friday under Lee", "hmm, not sure", "8:30")
    question = "What time would you like the reservation?"
    assert replies == [question, f"{NOT_UNDERSTOOD} {question}"]
    assert call.tool_calls[0]["args"]["time"] == "20:30"


def test_noise_repeats_the_question_and_keeps_the_request() -> None:
    replies, call = converse("remind me to stretch", "[BLANK_AUDIO]", "in 30 minutes")
    assert replies[1] == f"{DIDNT_CATCH} For what date and time should I set the reminder?"
    assert call.tool_calls[0]["args"] == {"title": "stretch", "remind_at": "2026-05-04T10:30"}


def test_cancelling_drops_the_request() -> None:
    replies, reply = converse("book a table for 4", "never mind", "hello")
    assert replies[1] == DROPPED
    assert reply.content == "Hello! How can I help you today?"


@pytest.mark.parametrize(
    ("switch", "tool"),
    [
        ("what time is it", "get_current_datetime"),
        ("actually, transfer me to a human", "transfer_to_agent"),
        ("goodbye", "end_call"),
        ("what's on my to-do list", "get_todos"),
    ],
)
def test_a_new_request_replaces_the_pending_one(switch: str, tool: str) -> None:
    _, call = converse("remind me to call mom", switch)
    assert call.tool_calls[0]["name"] == tool


def test_a_free_text_answer_is_not_mistaken_for_a_new_request() -> None:
    # "mortgage payment" would start a payment estimate on its own.
    _, call = converse("add something to my to-do list", "call the bank about my mortgage payment")
    assert call.tool_calls[0]["name"] == "create_todo"
    assert call.tool_calls[0]["args"] == {"title": "call the bank about my mortgage payment"}


def test_restating_the_request_updates_it() -> None:
    _, call = converse("remind me to call mom", "remind me to call dad tomorrow at 9")
    assert call.tool_calls[0]["args"] == {"title": "call dad", "remind_at": "2026-05-05T09:00"}


def test_a_pending_request_for_a_tool_that_is_not_bound_is_ignored() -> None:
    history: list[BaseMessage] = [
        HumanMessage("remind me to call mom"),
        AIMessage("For what date and time should I set the reminder?"),
        HumanMessage("tomorrow at 9"),
    ]
    clock_only = OfflineAgentModel(now=lambda: NOW).with_tools(["get_current_datetime"])
    reply = clock_only.decide(history)
    assert not reply.tool_calls and "can't help" in str(reply.content)


def test_the_callers_local_time_comes_from_a_system_message() -> None:
    eastern = datetime(2026, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=-4)))
    messages: list[BaseMessage] = [
        SystemMessage(f"You are a helpful assistant.\n{clock_line(eastern)}"),
        HumanMessage("remind me in 2 hours to stretch"),
    ]
    reply = MODEL.decide(messages)
    assert reply.tool_calls[0]["args"]["remind_at"] == "2026-01-01T10:00"


def test_the_clock_defaults_to_utc_and_can_be_pinned() -> None:
    default = OfflineAgentModel().now()
    assert default.tzinfo is not None and abs(default - datetime.now(UTC)) < timedelta(seconds=5)
    assert MODEL.local_now([]) == NOW


@tool("create_reminder")
def fake_create_reminder(title: str, remind_at: str, description: str = "") -> str:
    """Create a reminder (a stand-in for the MCP tool, same name and arguments)."""
    return json.dumps({"reminder": {"id": 1, "title": title, "remind_at": remind_at}})


async def test_follow_up_through_the_agent_graph() -> None:
    graph = build_agent_graph(
        OfflineAgentModel(now=lambda: NOW), {"general": [fake_create_reminder]}
    )
    context = AgentContext(session_id="s", clock=lambda: NOW)
    history: list[BaseMessage] = [HumanMessage("remind me to call mom")]
    state = await graph.ainvoke({"messages": history}, context=context)
    question = state["messages"][-1]
    assert question.content == "For what date and time should I set the reminder?"
    # The next turn sees only what was spoken, as in a call.
    history += [AIMessage(question.content), HumanMessage("tomorrow at nine")]
    state = await graph.ainvoke({"messages": history}, context=context)
    call = state["messages"][len(history)]
    assert call.tool_calls[0]["args"] == {"title": "call mom", "remind_at": "2026-05-05T09:00"}
    assert state["messages"][-1].content == "Reminder set for tomorrow at 9 AM: call mom."


def _verdict(text: str) -> bool | None:
    return MODEL.decide([HumanMessage(text)]).response_metadata.get(USER_TURN_COMPLETE_KEY)


def test_a_tool_call_carries_no_verdict() -> None:
    # A held call that changes something waits out the whole confirm window.
    reply = MODEL.decide([HumanMessage("Add buy milk to my to-do list.")])
    assert reply.tool_calls and reply.tool_calls[0]["name"] == "create_todo"
    assert USER_TURN_COMPLETE_KEY not in reply.response_metadata


@pytest.mark.parametrize("text", ["Add milk,", "Add milk and", "Add eggs to my", "What is the, um"])
def test_words_that_trail_off_are_not_a_whole_request(text: str) -> None:
    assert not dialog.decide([("human", text)], ALL_TOOLS, NOW).understood


@pytest.mark.parametrize("text", ["Hello.", "Hi there!", "Good morning"])
def test_a_greeting_alone_is_not_a_whole_request(text: str) -> None:
    assert _verdict(text) is False


@pytest.mark.parametrize("text", ["Thanks, that is helpful.", "Hello, how are you?"])
def test_finished_words_are_a_whole_request(text: str) -> None:
    assert _verdict(text) is True


@pytest.mark.parametrize(
    ("text", "whole"), [("What time is it", True), ("What time is it in", False)]
)
def test_the_reply_after_a_tool_judges_the_callers_words(text: str, whole: bool) -> None:
    asked = MODEL.decide([HumanMessage(text)])
    result = ToolMessage(
        json.dumps({"iso": "2026-05-04T10:00:00"}),
        name="get_current_datetime",
        tool_call_id=asked.tool_calls[0]["id"],
    )
    reply = MODEL.decide([HumanMessage(text), asked, result])
    assert reply.response_metadata[USER_TURN_COMPLETE_KEY] is whole
