"""Accuracy of the offline agent model on a table of utterances.

A :class:`Case` is one or more caller turns (all but the last answered by the model's own
follow-up questions) with the tool and arguments expected after the last turn. Dates are
resolved against a pinned ``now``, so the table is deterministic.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from convonet.agents.offline.model import OfflineAgentModel
from convonet.agents.offline.phrasing import all_capabilities
from convonet.agents.router import choose_domain, pending_domain
from convonet.domains.registry import derived, domains


@derived
def all_tools() -> frozenset[str]:
    """Every tool the assistant can offer (docs/tools.md and the session tools)."""
    return frozenset(t for c in all_capabilities() for t in c.tools)


def __getattr__(name: str) -> object:
    # ALL_TOOLS is derived from the domain descriptors on access.
    if name == "ALL_TOOLS":
        return all_tools()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Arguments that carry free context rather than meaning (not compared).
IGNORED_ARGS: dict[str, frozenset[str]] = {"transfer_to_agent": frozenset({"reason"})}


@dataclass(frozen=True, slots=True)
class Case:
    """One row of the table.

    Attributes:
        turns: What the caller says, turn by turn.
        tool: The tool expected after the last turn (``None``: a spoken reply).
        args: The arguments expected (all of them, except :data:`IGNORED_ARGS`).
    """

    turns: tuple[str, ...]
    tool: str | None
    args: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def say(cls, *turns: str, tool: str | None = None, **args: Any) -> "Case":
        """A case, written compactly: ``Case.say("hi", "there", tool="x", a=1)``."""
        return cls(tuple(turns), tool, args)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the model did on one case."""

    case: Case
    tool: str | None
    args: dict[str, Any]
    reply: str
    turns: int

    @property
    def correct(self) -> bool:
        """Whether the tool and the arguments that matter are exactly as expected.

        A tool called before the caller's last turn is wrong, even if it is the right tool.
        """
        if self.tool != self.case.tool or self.turns != len(self.case.turns):
            return False
        ignored = IGNORED_ARGS.get(self.tool or "", frozenset())
        got = {k: v for k, v in self.args.items() if k not in ignored}
        return got == {k: v for k, v in self.case.args.items() if k not in ignored}


@dataclass(frozen=True, slots=True)
class Report:
    """Accuracy over a table."""

    outcomes: tuple[Outcome, ...]

    @property
    def total(self) -> int:
        """Number of cases."""
        return len(self.outcomes)

    @property
    def correct(self) -> int:
        """Number of cases with the exact tool and arguments."""
        return sum(1 for o in self.outcomes if o.correct)

    @property
    def accuracy(self) -> float:
        """Share of exact cases (0-1)."""
        return self.correct / self.total if self.total else 0.0

    def failures(self) -> list[Outcome]:
        """The cases the model got wrong."""
        return [o for o in self.outcomes if not o.correct]

    def summary(self) -> str:
        """A short report: accuracy, then each failure."""
        lines = [f"offline model accuracy: {self.correct}/{self.total} = {self.accuracy:.1%}"]
        for failure in self.failures():
            got = failure.tool or f"reply {failure.reply!r}"
            lines.append(
                f"  {' | '.join(failure.case.turns)!r}: expected {failure.case.tool} "
                f"{failure.case.args}, got {got} {failure.args}"
            )
        return "\n".join(lines)


Pick = Callable[[Sequence[BaseMessage]], OfflineAgentModel]


def routed(now: datetime, bot_domains: tuple[str, ...]) -> Pick:
    """The model each turn meets in the offline graph of a bot routing to ``bot_domains``.

    The router picks one domain from the caller's words; that domain's tools and the shared
    ones are bound, as in the graph's domain agents.
    """
    base = OfflineAgentModel(now=lambda: now)
    every = {d.name: d.tools for d in domains()}
    shared = all_tools().difference(*every.values())
    available = frozenset(bot_domains)

    def pick(messages: Sequence[BaseMessage]) -> OfflineAgentModel:
        said = [str(m.content) for m in reversed(messages) if isinstance(m, HumanMessage)]
        domain = choose_domain(said[:3], bot_domains, available, pending=pending_domain(messages))
        return base.with_tools(every[domain] | shared)

    return pick


def run_case(model: OfflineAgentModel | Pick, case: Case) -> Outcome:
    """Play a case's turns through ``model`` (its questions become the assistant's turns).

    ``model`` may be a function choosing the model for each turn (see :func:`routed`).
    """
    messages: list[BaseMessage] = []
    reply = AIMessage(content="")
    for turn in case.turns:
        messages.append(HumanMessage(turn))
        current = model if isinstance(model, OfflineAgentModel) else model(messages)
        reply = current.decide(messages)
        if reply.tool_calls:
            break
        messages.append(AIMessage(content=reply.content))
    turns = sum(1 for m in messages if isinstance(m, HumanMessage))
    if reply.tool_calls:
        call = reply.tool_calls[0]
        return Outcome(case, call["name"], dict(call["args"]), "", turns)
    return Outcome(case, None, {}, str(reply.content), turns)


def evaluate(
    cases: Iterable[Case],
    *,
    now: datetime,
    tools: Sequence[str] | frozenset[str] | None = None,
    bot_domains: tuple[str, ...] | None = None,
) -> Report:
    """Run every case through a model pinned to ``now``.

    Args:
        cases: The table.
        now: The caller's local time the dates are resolved against.
        tools: The tools bound to the model (all of them by default).
        bot_domains: Route each turn as the offline graph of a bot with these domains does
            (the router picks a domain; its tools are bound) instead of binding ``tools``.

    Returns:
        The outcomes and accuracy.
    """
    model: OfflineAgentModel | Pick
    if bot_domains is not None:
        model = routed(now, bot_domains)
    else:
        model = OfflineAgentModel(now=lambda: now).with_tools(
            all_tools() if tools is None else tools
        )
    return Report(tuple(run_case(model, case) for case in cases))
