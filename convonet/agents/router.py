"""The router node: picks the domain agent that answers this turn."""

import re

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime

from convonet.agents.context import AgentContext
from convonet.agents.domains import HEALTHCARE, MORTGAGE, RESTAURANT
from convonet.agents.state import AgentState

GENERAL = "general"


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")", re.IGNORECASE)


# Words that point to a domain. A domain only takes part when the bot allows it and its
# agent is in the graph; the bot's first domain answers everything else.
DOMAIN_KEYWORDS: dict[str, re.Pattern[str]] = {
    MORTGAGE: _words(
        "mortgage",
        "loan",
        "refinanc",
        "down ?payment",
        "afford",
        "interest rate",
        "pre-?approv",
        "home price",
        "house price",
        "monthly payment",
        "credit score",
        "property value",
        "w-?2",
        "pay ?stubs?",
        "closing cost",
    ),
    HEALTHCARE: _words(
        "doctor",
        "dr\\.?",
        "patient",
        "symptom",
        "pain",
        "fever",
        "clinic",
        "medical",
        "intake",
        "prescription",
        "allerg",
        "sick",
        "headache",
        "cough",
        "nurse",
        "check-?up",
        "medication",
        "physician",
        "date of birth",
        "hurts?",
    ),
    RESTAURANT: _words(
        "table for",
        "reservation",
        "restaurant",
        "dinner",
        "lunch",
        "brunch",
        "book a table",
        "party of",
        "confirmation code",
        "hanok",
        "dine",
        "dining",
        "seats? for",
    ),
}


def _matching(text: str, usable: list[str]) -> str | None:
    for domain in usable:
        pattern = DOMAIN_KEYWORDS.get(domain)
        if pattern is not None and pattern.search(text):
            return domain
    return None


def choose_domain(
    texts: str | list[str], allowed: tuple[str, ...], available: frozenset[str]
) -> str:
    """Pick the domain for a turn.

    Args:
        texts: The caller's words, newest first (a single string is the latest only).
        allowed: Domains the bot may use, in preference order.
        available: Domains that have an agent in the graph.

    Returns:
        The chosen domain: a single usable domain pins the bot; otherwise the first whose
        keywords match the latest words, else the earlier words (so "tomorrow at seven"
        stays with the table booking it answers), else the bot's first usable domain.
    """
    usable = [d for d in allowed if d in available]
    if len(usable) == 1:
        return usable[0]
    for text in [texts] if isinstance(texts, str) else texts:
        if (domain := _matching(text, usable)) is not None:
            return domain
    if usable:
        return usable[0]
    return GENERAL if GENERAL in available else next(iter(sorted(available)), GENERAL)


def make_router(available: frozenset[str]):  # type: ignore[no-untyped-def]
    """Build the router node for a graph whose domain agents are ``available``."""

    async def route(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, str]:
        # async: LangGraph runs sync nodes in a thread pool, a measurable cost per turn
        said = [str(m.text) for m in reversed(state["messages"]) if isinstance(m, HumanMessage)]
        domains = runtime.context.domains if runtime.context else (GENERAL,)
        return {"domain": choose_domain(said[:3], domains, available)}

    return route
