"""Deciding the next move from the spoken conversation, follow-up questions included.

The graph only sees what was *spoken* (caller and assistant text; earlier tool calls are not
kept), so a pending request is re-derived from the words: every follow-up question is unique
(:data:`~convonet.agents.offline.intents.QUESTIONS`), so the assistant's last question names
the pending intent and slot; walking back over consecutive questions of that intent finds the
caller's original request; replaying the request and each answer rebuilds the slots.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from convonet.agents.offline import phrasing
from convonet.agents.offline.intents import (
    Ask,
    Heard,
    Intent,
    candidates,
    choose,
    is_unintelligible,
    question_key,
    questions,
)
from convonet.agents.offline.intents.base import Slots

Role = Literal["human", "ai"]
Spoken = tuple[Role, str]

_CANCEL = re.compile(
    r"^(?:no|nope|nah|never ?mind|forget (?:it|that|about it)|cancel(?: that| it)?|stop|"
    r"don't bother|no thanks?|no thank you|scratch that|leave it)(?: please| then| thanks)?$"
)
_QUESTION_LIKE = re.compile(
    r"^(?:what|when|where|who|which|how|why|can you|could you|do you|is there|are there|do i)\b"
)
_CONTROL_TOOLS = frozenset({"end_call", "transfer_to_agent"})
_MIN_PREFIX_WORDS = 4
# Words that trail off: a comma, a conjunction, an article, a preposition or a filler last.
# The request read so far may be whole ("Add milk,"), but the caller is likely still
# speaking. A wrong guess costs only the confirm window's wait.
_TRAILS_OFF = re.compile(
    r"(?:,|\b(?:and|or|but|so|then|because|the|a|an|my|your|to|with|for|of|in|at|from|"
    r"about|into|um+|uh+|er+|like))\W*$",
    re.IGNORECASE,
)
# A greeting alone ("Hello."): answered, but callers usually go on with their request.
_OPENER_ONLY = re.compile(
    r"^(?:hi|hello|hey|hiya|howdy|good (?:morning|afternoon|evening)|greetings)(?: there)?"
    r"[\s.!?]*$",
    re.IGNORECASE,
)


def may_go_on(text: str) -> bool:
    """Whether the caller is likely still speaking after ``text`` (see the patterns above)."""
    text = text.strip()
    return bool(_TRAILS_OFF.search(text) or _OPENER_ONLY.match(text))


@dataclass(frozen=True, slots=True)
class Decision:
    """The next move: a spoken reply, or a tool call.

    Attributes:
        reply: What to say (when no tool is called).
        tool: The tool to call.
        args: Its arguments.
        understood: Whether the caller's words made a whole request (False when the reply
            asks for more or did not understand: they may not have finished speaking).
    """

    reply: str = ""
    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    understood: bool = True


@dataclass(frozen=True, slots=True)
class Pending:
    """A request waiting for answers.

    Attributes:
        intent: What the caller asked for.
        request: The caller's original words.
        answers: Each later reply, with the question it answers (oldest first).
    """

    intent: Intent
    request: str
    answers: tuple[tuple[str, Ask], ...]


def asked(text: str) -> tuple[Intent, Ask] | None:
    """The follow-up question in an assistant message, if any (also when cut off by barge-in)."""
    key = question_key(text)
    if not key:
        return None
    found = [(len(q), entry) for q, entry in questions().items() if q in key]
    if found:
        return max(found, key=lambda item: item[0])[1]
    partial = []
    for question, entry in questions().items():
        words = question.split()
        for size in range(len(words) - 1, _MIN_PREFIX_WORDS - 1, -1):
            if key.endswith(" ".join(words[:size])):
                partial.append(entry)
                break
    return partial[0] if len(partial) == 1 else None


def pending(spoken: Sequence[Spoken]) -> Pending | None:
    """The request the caller's last words answer, if the assistant just asked for a slot."""
    if len(spoken) < 3 or spoken[-1][0] != "human":
        return None
    answers: list[tuple[str, Ask]] = []
    intent: Intent | None = None
    i = len(spoken) - 1
    while i >= 1 and spoken[i][0] == "human" and spoken[i - 1][0] == "ai":
        entry = asked(spoken[i - 1][1])
        if entry is None or (intent is not None and entry[0] is not intent):
            break
        intent = entry[0]
        answers.insert(0, (spoken[i][1], entry[1]))
        i -= 2
    if intent is None or i < 0 or spoken[i][0] != "human":
        return None
    return Pending(intent, spoken[i][1], tuple(answers))


def _slots(
    intent: Intent, request: str, answers: Sequence[tuple[str, Ask]], now: datetime
) -> Slots:
    slots = intent.read(Heard.of(request, now))
    for text, ask in answers:
        heard = Heard.of(text, now)
        slots |= intent.read(heard)
        slots |= ask.answer(heard)
    return slots


def complete(
    intent: Intent, request: str, answers: Sequence[tuple[str, Ask]], now: datetime
) -> Decision:
    """Call the intent's tool if every required slot is known, else ask for the next one."""
    slots = _slots(intent, request, answers, now)
    missing = intent.missing(slots)
    if missing is None:
        assert intent.tool is not None
        return Decision(tool=intent.tool, args=intent.build(slots, now))
    if answers and answers[-1][1] is missing:
        return Decision(reply=f"{phrasing.NOT_UNDERSTOOD} {missing.question}", understood=False)
    return Decision(reply=missing.question, understood=False)


def _switches(waiting: Pending, chosen: Intent | None, heard: Heard, now: datetime) -> bool:
    """Whether the caller's reply starts something new instead of answering."""
    if chosen is None or chosen is waiting.intent or chosen.tool is None:
        return False
    ask = waiting.answers[-1][1]
    slots = _slots(waiting.intent, waiting.request, waiting.answers, now)
    if ask.is_missing(slots):
        return True
    return chosen.tool in _CONTROL_TOOLS or _QUESTION_LIKE.match(heard.words) is not None


def decide(spoken: Sequence[Spoken], tool_names: frozenset[str], now: datetime) -> Decision:
    """The next move after the caller's last words.

    A move on words that trail off, or on a greeting alone, is never judged a whole
    request, so the caller gets the turn's full confirm window to go on.

    Args:
        spoken: The conversation as spoken, oldest first; the last entry is the caller's.
        tool_names: The tools the model may call.
        now: The caller's wall-clock time.

    Returns:
        A reply or a tool call.
    """
    text = spoken[-1][1] if spoken and spoken[-1][0] == "human" else ""
    decision = _decide(text, spoken, tool_names, now)
    if decision.understood and may_go_on(text):
        return replace(decision, understood=False)
    return decision


def _decide(
    text: str, spoken: Sequence[Spoken], tool_names: frozenset[str], now: datetime
) -> Decision:
    waiting = pending(spoken)
    if waiting is not None and waiting.intent.tool not in tool_names:
        waiting = None
    if is_unintelligible(text):
        question = f" {waiting.answers[-1][1].question}" if waiting else ""
        return Decision(reply=phrasing.DIDNT_CATCH + question, understood=False)
    heard = Heard.of(text, now)
    chosen, usable = choose(candidates(heard), tool_names)
    if waiting is not None:
        if _CANCEL.match(heard.words.strip(" .,!?")):
            return Decision(reply=phrasing.DROPPED)
        if not _switches(waiting, chosen if usable else None, heard, now):
            return complete(waiting.intent, waiting.request, waiting.answers, now)
    if chosen is None:
        return Decision(reply=phrasing.fallback(tool_names), understood=False)
    if not usable:
        return Decision(reply=phrasing.missing_tool(chosen.tool))
    if chosen.tool is None:
        return Decision(reply=phrasing.direct_reply(chosen.name, tool_names))
    return complete(chosen, text, (), now)
