"""The :class:`Domain` descriptor: everything that makes one domain, as data.

A domain is a package ``convonet/domains/<name>/`` whose ``__init__`` exposes ``DOMAIN``. The
descriptor names its parts by module path (imported only when needed, so reading descriptors
stays cheap: the CLI lists domains without loading SQLAlchemy, MCP or LangGraph).
"""

from dataclasses import dataclass

from convonet.bots.spec import BotSpec


@dataclass(frozen=True, slots=True)
class Capability:
    """One thing the assistant can do, and the tools that make it possible.

    Attributes:
        phrase: What the assistant says it can do ("manage your to-do list").
        brief: A short name of the area ("your to-dos"), for listing many areas.
        tools: The tools; the capability is offered when any of them is bound.
    """

    phrase: str
    brief: str
    tools: frozenset[str]


@dataclass(frozen=True, slots=True)
class IntentGroup:
    """Offline-model intents of a domain, and where they rank among every domain's intents.

    Attributes:
        module: Module path holding the intents.
        attr: Name of the tuple of :class:`~convonet.agents.offline.intents.base.Intent`.
        rank: Position in the global order (lower first: the first matching intent wins, so
            specific intents rank before broad ones; shared intents take 0-9 and 100+).
    """

    module: str
    attr: str = "INTENTS"
    rank: int = 50


@dataclass(frozen=True, slots=True)
class Domain:
    """A domain: its tables, MCP tools, offline intents and phrasing, routing words, seed, bot.

    Attributes:
        name: The domain's name (also the agent's name and the router's answer).
        order: Position among domains (the assistant bot's preference order).
        summary: The few words that name the domain in a spoken list ("your calendar").
        tool_groups: Tool group name → module defining its ``@tool`` functions; each group is
            one stdio MCP server.
        capabilities: What the tools allow, for the offline model's replies.
        keywords: Regex alternatives of words that point to this domain (the offline router
            falls back to them when no intent matches).
        intents: The offline model's intents.
        phrasing: Module whose ``PHRASERS`` word the tools' results, or ``None``.
        models: Module that defines the domain's SQLAlchemy tables, or ``None``.
        seed: Module whose ``async seed(seeder, people)`` adds demo data, or ``None``.
        routes: Module whose ``router`` (a FastAPI ``APIRouter``) the web app serves, or
            ``None``.
        bot: The domain's own bot, if it has one.
    """

    name: str
    order: int
    summary: str
    tool_groups: dict[str, str]
    capabilities: tuple[Capability, ...] = ()
    keywords: tuple[str, ...] = ()
    intents: tuple[IntentGroup, ...] = ()
    phrasing: str | None = None
    models: str | None = None
    seed: str | None = None
    routes: str | None = None
    bot: BotSpec | None = None

    @property
    def tools(self) -> frozenset[str]:
        """The names of the domain's tools (from its capabilities)."""
        return frozenset(t for capability in self.capabilities for t in capability.tools)
