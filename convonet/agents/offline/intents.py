"""Intent recognition for the offline agent model: patterns over the caller's words."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Intent:
    """One thing a caller may want.

    Attributes:
        name: Intent name (``greeting``, ``time``, ...).
        pattern: Regular expression matched against the normalised utterance.
        tool: The tool this intent calls, or ``None`` for a direct reply.
        args: Builds the tool arguments from the utterance.
    """

    name: str
    pattern: re.Pattern[str]
    tool: str | None = None
    args: Callable[[str], dict[str, Any]] = field(default=lambda _text: {})


def _p(expr: str) -> re.Pattern[str]:
    return re.compile(expr, re.IGNORECASE)


# Order matters: the first match wins, so specific intents come before general ones.
INTENTS: tuple[Intent, ...] = (
    Intent(
        "goodbye",
        _p(
            r"\b(good ?bye|bye|see you|that'?s all|that is all|hang up|end (the|this) call|"
            r"nothing else)\b"
        ),
        tool="end_call",
        args=lambda _text: {"reason": "caller said goodbye"},
    ),
    Intent(
        "datetime",
        _p(r"\b(what time|time is it|the time|current time|clock)\b.*\b(date|day)\b"),
        tool="get_current_datetime",
        args=lambda _text: {"what": "both"},
    ),
    Intent(
        "time",
        _p(
            r"\b(what time|time is it|what'?s the time|the time now|current time|"
            r"tell me the time)\b"
        ),
        tool="get_current_datetime",
        args=lambda _text: {"what": "time"},
    ),
    Intent(
        "date",
        _p(r"\b(date|what day|which day|day is it|day of the week|today'?s date)\b"),
        tool="get_current_datetime",
        args=lambda _text: {"what": "date"},
    ),
    Intent(
        "capabilities",
        _p(
            r"\b(what can you do|what do you do|how can you help|what can you help|"
            r"what are you able|your capabilities|what are your features|who are you|"
            r"what are you)\b|^help\b"
        ),
    ),
    Intent("thanks", _p(r"\b(thank you|thanks|thank)\b")),
    Intent(
        "greeting",
        _p(r"^(hi|hello|hey|hiya|howdy|good (morning|afternoon|evening)|greetings)\b"),
    ),
)

# Whisper renders silence and noise as bracketed tags or lone filler.
_NOISE = _p(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*")


def normalise(text: str) -> str:
    """Strip STT noise tags and punctuation edges, fold whitespace."""
    text = _NOISE.sub(" ", text)
    return " ".join(text.replace("\u2019", "'").split()).strip(" .,!?;:-")


_FILLERS = frozenset({"uh", "um", "umm", "hmm", "mm", "mhm", "ah", "er", "erm", "oh", "eh"})


def is_unintelligible(text: str) -> bool:
    """Whether an utterance carries no usable words (silence, noise tags, fillers)."""
    words = re.findall(r"[a-z']+", normalise(text).lower())
    return not any(len(word) > 1 and word not in _FILLERS for word in words)


def classify(text: str) -> Intent | None:
    """Return the first intent matching ``text``, or ``None``."""
    clean = normalise(text)
    for intent in INTENTS:
        if intent.pattern.search(clean):
            return intent
    return None
