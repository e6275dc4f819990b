"""The router node: picks the domain agent that answers this turn."""

import re

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime

from convonet.agents.context import AgentContext
from convonet.agents.state import AgentState

GENERAL = "general"

# Words that point to a domain. A domain only takes part when the bot allows it and its
# agent is in the graph; the general domain answers everything else.
DOMAIN_KEYWORDS: dict[str, re.Pattern[str]] = {}


def choose_domain(text: str, allowed: tuple[str, ...], available: frozenset[str]) -> str:
    """Pick the domain for an utterance.

    Args:
        text: The caller's latest words.
        allowed: Domains the bot may use, in preference order.
        available: Domains that have an agent in the graph.

    Returns:
        The chosen domain: a single allowed domain pins the bot; otherwise the first whose
        keywords match, falling back to the first allowed, then ``general``.
    """
    usable = [d for d in allowed if d in available]
    if len(usable) == 1:
        return usable[0]
    for domain in usable:
        pattern = DOMAIN_KEYWORDS.get(domain)
        if pattern is not None and pattern.search(text):
            return domain
    if GENERAL in usable:
        return GENERAL
    return usable[0] if usable else GENERAL


def make_router(available: frozenset[str]):  # type: ignore[no-untyped-def]
    """Build the router node for a graph whose domain agents are ``available``."""

    def route(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, str]:
        last_human = next(
            (m for m in reversed(state["messages"]) if isinstance(m, HumanMessage)), None
        )
        text = str(last_human.content) if last_human is not None else ""
        domains = runtime.context.domains if runtime.context else (GENERAL,)
        return {"domain": choose_domain(text, domains, available)}

    return route
