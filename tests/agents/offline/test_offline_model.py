"""The offline agent model: intents, tool calls and phrasing."""

import json

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from convonet.agents.offline import OfflineAgentModel
from convonet.agents.offline.intents import classify, is_unintelligible
from convonet.agents.session_tools import session_tools

MODEL = OfflineAgentModel().bind_tools(session_tools())


@pytest.mark.parametrize(
    ("utterance", "intent"),
    [
        ("Hello there", "greeting"),
        ("hey", "greeting"),
        ("Good morning!", "greeting"),
        ("What can you do?", "capabilities"),
        ("How can you help me", "capabilities"),
        ("What time is it?", "time"),
        ("Could you tell me the time", "time"),
        ("What's the date today?", "date"),
        ("What day is it?", "date"),
        ("Goodbye.", "goodbye"),
        ("OK bye", "goodbye"),
        ("That's all, thanks", "goodbye"),
        ("Thank you so much", "thanks"),
        ("Please order me a pizza", None),
    ],
)
def test_classify(utterance: str, intent: str | None) -> None:
    found = classify(utterance)
    assert (found.name if found else None) == intent


@pytest.mark.parametrize(
    "noise", ["", " ", "[BLANK_AUDIO]", "(music)", "uh", "Um, uh...", "...", "*cough*", "a"]
)
def test_noise_is_unintelligible(noise: str) -> None:
    assert is_unintelligible(noise)


@pytest.mark.parametrize("words", ["no", "ok", "Uh, what time is it?"])
def test_short_real_words_are_intelligible(words: str) -> None:
    assert not is_unintelligible(words)


def test_time_question_calls_the_clock_tool() -> None:
    reply = MODEL.invoke([HumanMessage("what time is it")])
    assert isinstance(reply, AIMessage)
    assert reply.tool_calls[0]["name"] == "get_current_datetime"
    assert reply.tool_calls[0]["args"] == {"what": "time"}


def test_tool_result_is_phrased() -> None:
    call = MODEL.invoke([HumanMessage("what's the date")])
    assert isinstance(call, AIMessage)
    result = ToolMessage(
        json.dumps(
            {"what": "date", "date_spoken": "Monday, May 4, 2026", "time_spoken": "9:00 AM"}
        ),
        tool_call_id=call.tool_calls[0]["id"],
        name="get_current_datetime",
    )
    reply = MODEL.invoke([HumanMessage("what's the date"), call, result])
    assert reply.content == "Today is Monday, May 4, 2026."


def test_tool_error_is_reported_honestly() -> None:
    call = MODEL.invoke([HumanMessage("what time is it")])
    assert isinstance(call, AIMessage)
    result = ToolMessage("clock unavailable", tool_call_id=call.tool_calls[0]["id"], status="error")
    reply = MODEL.invoke([HumanMessage("what time is it"), call, result])
    assert "didn't work" in str(reply.content) and "clock unavailable" in str(reply.content)


def test_without_tools_it_says_it_cannot() -> None:
    reply = OfflineAgentModel().invoke([HumanMessage("what time is it")])
    assert not isinstance(reply, AIMessage) or not reply.tool_calls
    assert "can't" in str(reply.content)


def test_capabilities_list_only_bound_tools() -> None:
    reply = MODEL.invoke([HumanMessage("what can you do")])
    assert reply.content == "I can tell you the date and time, and end the call when you are done."


def test_is_deterministic() -> None:
    first = MODEL.invoke([HumanMessage("please book a flight")])
    second = MODEL.invoke([HumanMessage("please book a flight")])
    assert first.content == second.content
    assert "can't help" in str(first.content)


async def test_streams_word_by_word() -> None:
    chunks = [c async for c in MODEL.astream([HumanMessage("hello")])]
    assert sum(1 for c in chunks if c.content) == 7
    assert "".join(str(c.content) for c in chunks) == "Hello! How can I help you today?"
