"""The router node: picks the agent that answers this turn.

Two kinds of graph use it (see :class:`~convonet.agents.factory.AgentFactory`):

- A cloud LLM's graph has one agent per bot holding all of the bot's tools (its name joins
  the bot's domains, :func:`whole_bot`): the model itself chooses among every tool, so the
  router only picks the bot's agent.
- The offline model's graph has one agent per domain, so the router chooses the domain: by
  the strongest intent heard (the offline model's own intents, in their priority order),
  else the domain of the follow-up question the caller is answering, else by the domains'
  keywords (the domain with most hits), in the latest words first.
"""

import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langgraph.runtime import Runtime

from convonet.agents.context import AgentContext
from convonet.agents.offline.dialog import asked
from convonet.agents.offline.intents import Heard, candidates, intent_domains
from convonet.agents.offline.slots.utterance import prepare
from convonet.agents.state import AgentState
from convonet.domains.registry import derived, domains

GENERAL = "general"
_JOIN = "+"


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")", re.IGNORECASE)


@derived
def domain_keywords() -> dict[str, re.Pattern[str]]:
    """Domain → the pattern of words that point to it (domains without words are left out)."""
    return {d.name: _words(*d.keywords) for d in domains() if d.keywords}


def __getattr__(name: str) -> object:
    # DOMAIN_KEYWORDS is derived from the domain descriptors on access.
    if name == "DOMAIN_KEYWORDS":
        return domain_keywords()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def whole_bot(domains_: tuple[str, ...]) -> str:
    """The name of the agent holding all the tools of a bot routing to ``domains_``."""
    return _JOIN.join(domains_)


def by_intent(text: str, usable: list[str]) -> str | None:
    """The domain of the strongest (highest-priority) usable intent heard in ``text``."""
    owners = intent_domains()
    heard = Heard(prepare(text), datetime.now())  # intent patterns do not depend on the clock
    for intent in candidates(heard):
        domain = owners.get(intent.name)
        if domain in usable:
            return domain
    return None


def by_keywords(text: str, usable: list[str]) -> str | None:
    """The usable domain with the most keyword hits in ``text`` (the earliest on a tie)."""
    patterns = domain_keywords()
    hits = {d: len(patterns[d].findall(text)) for d in usable if d in patterns}
    best = max(hits.values(), default=0)
    return next((d for d in usable if hits.get(d) == best), None) if best else None


def pending_domain(messages: Sequence[BaseMessage]) -> str | None:
    """The domain of the follow-up question the caller's last words answer, if any."""
    if len(messages) < 2 or not isinstance(messages[-1], HumanMessage):
        return None
    question = messages[-2]
    entry = asked(str(question.text)) if isinstance(question, AIMessage) else None
    return intent_domains().get(entry[0].name) if entry else None


def choose_domain(
    texts: str | list[str],
    allowed: tuple[str, ...],
    available: frozenset[str],
    *,
    pending: str | None = None,
) -> str:
    """Pick the agent for a turn.

    Args:
        texts: The caller's words, newest first (a single string is the latest only).
        allowed: Domains the bot may use, in preference order.
        available: Agents in the graph.
        pending: The domain of the question the caller answers (:func:`pending_domain`).

    Returns:
        The bot's whole-bot agent when the graph has one; else a single usable domain pins
        the bot; otherwise the domain of the strongest intent in the latest words, else of
        the pending question ("four people" answers the table booking), else of the most
        keywords in the latest words; then the same in the earlier words (so "tomorrow at
        seven" stays with the booking it answers), else the bot's first usable domain.
    """
    usable = [d for d in allowed if d in available]
    if len(usable) > 1 and whole_bot(tuple(usable)) in available:
        return whole_bot(tuple(usable))
    if len(usable) == 1:
        return usable[0]
    said = [texts] if isinstance(texts, str) else texts
    latest = said[0] if said else ""
    if (domain := by_intent(latest, usable)) is not None:
        return domain
    if pending in usable:
        return pending
    for text in said:
        if (domain := by_intent(text, usable) or by_keywords(text, usable)) is not None:
            return domain
    if usable:
        return usable[0]
    return GENERAL if GENERAL in available else next(iter(sorted(available)), GENERAL)


def make_router(
    available: frozenset[str],
) -> Callable[[AgentState, Runtime[AgentContext]], Awaitable[dict[str, str]]]:
    """Build the router node for a graph whose agents are ``available``."""

    async def route(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, str]:
        # async: LangGraph runs sync nodes in a thread pool, a measurable cost per turn
        said = [str(m.text) for m in reversed(state["messages"]) if isinstance(m, HumanMessage)]
        domains_ = runtime.context.domains if runtime.context else (GENERAL,)
        pending = pending_domain(state["messages"])
        return {"domain": choose_domain(said[:3], domains_, available, pending=pending)}

    return route
