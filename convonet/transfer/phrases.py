"""Spotting a caller who asks for a person, from a final transcript, without an LLM.

Deliberately narrow: the phrases SPEC §2 names ("a human", "a real person", "representative",
"operator", "talk to someone in billing", ...), a department when one is named ("in billing",
"billing department"), and a plain negation in front ("I don't need a human") cancels it.
Anything subtler is left to the agent and its ``transfer_to_agent`` tool.
"""

import re
from dataclasses import dataclass

ASKS = re.compile(
    r"\b(?:"
    r"(?:a|an|some)\s+(?:real\s+|live\s+|actual\s+)?(?:human|person|people)"
    r"|human\s+(?:being|agent)|real\s+(?:person|human|agent)|live\s+(?:person|agent)"
    r"|representative|operator"
    r"|(?:talk|speak|chat)\s+(?:to|with)\s+(?:someone|somebody|a\s+person)"
    r"|(?:connect|transfer|put)\s+me\s+(?:to|through\s+to|with)\s+(?:someone|somebody)"
    r")\b"
)
NEGATED = re.compile(r"\b(?:don't|do\s+not|dont|no\s+need|never)\b[\w\s']{0,25}$")
DEPARTMENT = re.compile(
    r"\b(?:in|from|at|for)\s+(?:the\s+)?(?P<a>[a-z]+)\b(?:\s+(?:department|team))?"
    r"|\b(?:the\s+)?(?P<b>[a-z]+)\s+(?:department|team)\b"
)
NOT_DEPARTMENTS = frozenset(
    {"a", "an", "the", "me", "my", "it", "this", "that", "help", "now", "please", "real", "one"}
)


@dataclass(frozen=True, slots=True)
class TransferAsk:
    """A caller asking for a person.

    Attributes:
        department: The department named (lower case), or ``None`` when none was.
        text: The transcript that asked.
    """

    department: str | None
    text: str


def detect_transfer_ask(text: str) -> TransferAsk | None:
    """The transfer request in ``text``, or ``None`` when it does not ask for a person."""
    spoken = " ".join(text.casefold().replace("\u2019", "'").split())
    match = ASKS.search(spoken)
    if match is None or NEGATED.search(spoken[: match.start()]):
        return None
    return TransferAsk(_department(spoken), text.strip())


def _department(spoken: str) -> str | None:
    for match in DEPARTMENT.finditer(spoken):
        name = match.group("a") or match.group("b")
        if name and name not in NOT_DEPARTMENTS:
            return name
    return None
