"""General intents (greetings, the clock, goodbye) and the shared call-transfer intents."""

from convonet.agents.offline.intents.base import Heard, Intent, Slots, pattern, present
from convonet.agents.offline.slots.people import department

GENERAL, TRANSFER = "general", "transfer"


def _transfer(heard: Heard) -> Slots:
    reason = " ".join(heard.text.original.split())[:200]
    return {"department": department(heard.words) or "support"} | present(reason=reason)


GOODBYE = Intent(
    "goodbye",
    pattern(
        r"\b(?:good ?bye|bye|see you|see ya|talk to you later|that'?s all|that is all|hang up|"
        r"end (?:the|this) call|nothing else)\b",
        r"^(?:ok(?:ay)?,?\s+)?i(?:'m| am) (?:all )?done$",
    ),
    "end_call",
    lambda _heard: {"reason": "caller said goodbye"},
)

TRANSFER_INTENTS: tuple[Intent, ...] = (
    Intent(
        "get_available_departments",
        pattern(
            r"\b(?:what|which|list|tell me)\b.*\bdepartments?\b",
            r"\bdepartments?\b.*\b(?:available|are there|do you have|can i)\b",
            r"\bwho can i (?:talk|speak) to\b",
        ),
        "get_available_departments",
        area=TRANSFER,
    ),
    Intent(
        "transfer",
        pattern(
            r"\b(?:a human|human being|real person|live person|actual person|representative|"
            r"operator|live agent|human agent|an agent|supervisor)\b",
            r"\b(?:transfer|connect|put|send|forward|route)\s+(?:me\s+)?(?:through\s+)?(?:to|with)\b",
            r"\b(?:talk|speak|chat)\s+(?:to|with)\s+(?:someone|somebody|a|an|the|your)\b",
            r"\b(?:talk|speak)\s+(?:to|with)\s+(?:sales|billing|support)\b",
            r"^(?:agent|human|operator|representative)(?: please)?$",
        ),
        "transfer_to_agent",
        _transfer,
        area=TRANSFER,
    ),
)

GENERAL_INTENTS: tuple[Intent, ...] = (
    Intent(
        "datetime",
        pattern(r"\b(?:what time|time is it|the time|current time|clock)\b.*\b(?:date|day)\b"),
        "get_current_datetime",
        lambda _heard: {"what": "both"},
    ),
    Intent(
        "time",
        pattern(
            r"\b(?:what time|time is it|what'?s the time|the time now|current time|"
            r"tell me the time)\b"
        ),
        "get_current_datetime",
        lambda _heard: {"what": "time"},
    ),
    Intent(
        "date",
        pattern(r"\b(?:date|what day|which day|day is it|day of the week|today'?s date)\b"),
        "get_current_datetime",
        lambda _heard: {"what": "date"},
    ),
    Intent(
        "capabilities",
        pattern(
            r"\b(?:what can you do|what do you do|how can you help|what can you help|"
            r"what are you able|your capabilities|what are your features|who are you|"
            r"what are you)\b",
            r"^help\b",
        ),
    ),
    Intent("thanks", pattern(r"\b(?:thank you|thanks|thank)\b")),
    Intent(
        "greeting",
        pattern(r"^(?:hi|hello|hey|hiya|howdy|good (?:morning|afternoon|evening)|greetings)\b"),
    ),
)
