"""Intent recognition for the offline agent model; each domain keeps its intents in its package.

:data:`INTENTS` (derived from the domain descriptors' ranked intent groups) is ordered: the
first match wins among intents whose tool is bound, so specific intents come before general
ones. Every follow-up question is unique, so
:data:`QUESTIONS` maps a question heard back in the conversation to its intent and slot.
"""

import re
from collections.abc import Iterable
from datetime import datetime

from convonet.agents.offline.intents.base import Ask, Heard, Intent
from convonet.agents.offline.intents.general import GENERAL, GENERAL_INTENTS, GOODBYE
from convonet.agents.offline.intents.general import TRANSFER_INTENTS as TRANSFER
from convonet.agents.offline.slots.utterance import NOISE, prepare
from convonet.domains.registry import attribute, derived, domains

# Shared intents rank around the domains' (see IntentGroup.rank): goodbye and transfer first,
# the general ones (greetings, the clock) last.
_SHARED_RANKS: tuple[tuple[int, tuple[Intent, ...]], ...] = (
    (0, (GOODBYE,)),
    (5, TRANSFER),
    (100, GENERAL_INTENTS),
)


@derived
def ranked_intents() -> tuple[tuple[Intent, str | None], ...]:
    """Every intent with its domain (``None``: shared), in priority order."""
    groups: list[tuple[int, tuple[Intent, ...], str | None]] = [
        (rank, intents, None) for rank, intents in _SHARED_RANKS
    ]
    for domain in domains():
        for group in domain.intents:
            groups.append((group.rank, attribute(group.module, group.attr), domain.name))
    ordered = sorted(groups, key=lambda g: g[0])  # stable: a domain's groups keep their order
    return tuple((intent, name) for _rank, intents, name in ordered for intent in intents)


@derived
def all_intents() -> tuple[Intent, ...]:
    """Every intent, in priority order (the first match wins)."""
    return tuple(intent for intent, _domain in ranked_intents())


@derived
def intent_domains() -> dict[str, str]:
    """Intent name → its domain, for the domains' intents."""
    return {intent.name: d for intent, d in ranked_intents() if d is not None}


@derived
def by_name() -> dict[str, Intent]:
    """Intent name → intent."""
    return {intent.name: intent for intent in all_intents()}


@derived
def questions() -> "dict[str, tuple[Intent, Ask]]":
    """A follow-up question's key (:func:`question_key`) → its intent and slot."""
    return _question_index(all_intents())


def __getattr__(name: str) -> object:
    # INTENTS, BY_NAME and QUESTIONS are derived from the domain descriptors on access.
    derived_values = {"INTENTS": all_intents, "BY_NAME": by_name, "QUESTIONS": questions}
    if name in derived_values:
        return derived_values[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _question_index(intents: Iterable[Intent]) -> dict[str, tuple[Intent, Ask]]:
    index: dict[str, tuple[Intent, Ask]] = {}
    for intent in intents:
        for ask in intent.asks:
            key = question_key(ask.question)
            if key in index:
                raise ValueError(f"follow-up question asked by two intents: {ask.question!r}")
            index[key] = (intent, ask)
    return index


def question_key(text: str) -> str:
    """A question's words, lower-case without punctuation, for matching it when heard back."""
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def normalise(text: str) -> str:
    """Strip STT noise tags and punctuation edges, fold whitespace."""
    text = NOISE.sub(" ", text)
    return " ".join(text.replace("\u2019", "'").split()).strip(" .,!?;:-")


_FILLERS = frozenset({"uh", "um", "umm", "hmm", "mm", "mhm", "ah", "er", "erm", "oh", "eh"})


def is_unintelligible(text: str) -> bool:
    """Whether an utterance carries no usable words (silence, noise tags, fillers)."""
    words = re.findall(r"[a-z0-9']+", normalise(text).lower())
    return not any((len(w) > 1 or w.isdigit()) and w not in _FILLERS for w in words)


def candidates(heard: Heard) -> list[Intent]:
    """Every intent whose pattern matches, in priority order."""
    return [intent for intent in all_intents() if intent.pattern.search(heard.words)]


def choose(found: Iterable[Intent], tool_names: frozenset[str]) -> tuple[Intent | None, bool]:
    """Pick the intent to act on among the matching ones.

    Args:
        found: Matching intents, in priority order.
        tool_names: The tools bound to the model.

    Returns:
        ``(intent, usable)``: the first intent whose tool is bound (or that needs none); if a
        domain intent matched first but its tool is not bound, that intent and ``False``
        (a general intent such as "date" does not stand in for it); ``(None, False)`` if
        nothing matched.
    """
    unbound: Intent | None = None
    for intent in found:
        if intent.tool is None or intent.tool in tool_names:
            if unbound is not None and intent.area == GENERAL and intent is not GOODBYE:
                return unbound, False
            return intent, True
        unbound = unbound or intent
    return unbound, False


def classify(text: str, tool_names: frozenset[str] | None = None) -> Intent | None:
    """The intent of ``text``: the first match, or the first usable with ``tool_names``."""
    heard = Heard(prepare(text), datetime.now())  # patterns do not depend on the clock
    found = candidates(heard)
    if tool_names is None:
        return found[0] if found else None
    return choose(found, tool_names)[0]


__all__ = [
    "BY_NAME",
    "INTENTS",
    "QUESTIONS",
    "Ask",
    "Heard",
    "Intent",
    "all_intents",
    "by_name",
    "candidates",
    "choose",
    "classify",
    "intent_domains",
    "is_unintelligible",
    "normalise",
    "question_key",
    "questions",
    "ranked_intents",
]
