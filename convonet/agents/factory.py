"""Builds (and caches) the agent graph for each LLM, with the tools the hub serves.

The offline model gets one agent per domain (the router picks the domain by intent). A cloud
LLM also gets, for each bot with several domains, one agent holding all of that bot's tools,
so the model itself chooses among them (the router picks the bot's agent).
"""

from langchain_core.messages import HumanMessage
from langchain_core.tools import BaseTool

from convonet.agents.context import AgentContext
from convonet.agents.fallback import ProviderListener
from convonet.agents.graph import AgentGraph, build_agent_graph
from convonet.agents.llms import OFFLINE, create_chat_model
from convonet.agents.router import GENERAL, whole_bot
from convonet.agents.session_tools import session_tools
from convonet.agents.turn import run_agent_turn
from convonet.bots.registry import default_registry
from convonet.domains.registry import add_domain_paths
from convonet.settings import Settings
from convonet.tools.hub import ToolHub


class AgentFactory:
    """Hands out compiled agent graphs; graphs are stateless and shared across sessions.

    The caller's identity travels in the run-time context, not in the graph, so one graph
    per LLM serves every session.
    """

    def __init__(
        self,
        settings: Settings,
        hub: ToolHub | None = None,
        *,
        listener: ProviderListener | None = None,
    ) -> None:
        """Create the factory.

        Args:
            settings: Provider keys, fallback chain and timeouts.
            hub: The MCP tool hub (None: session tools only).
            listener: Told of every LLM provider attempt (metrics); must not block.
        """
        add_domain_paths(settings.domain_paths)
        self._settings = settings
        self._hub = hub
        self._listener = listener
        self._graphs: dict[tuple[str, bool], AgentGraph] = {}

    @property
    def tools_ready(self) -> bool:
        """Whether the MCP tools are loaded (graphs built before that have session tools only)."""
        return self._hub is not None and self._hub.ready.is_set() and self._hub.failed is None

    def domain_tools(self, *, whole_bots: bool = False) -> dict[str, list[BaseTool]]:
        """Each agent's tools: its MCP tools, the shared ones and the session tools.

        Args:
            whole_bots: Also one agent per multi-domain bot, with all of the bot's tools
                (named by :func:`~convonet.agents.router.whole_bot`).
        """
        if self._hub is None or not self.tools_ready:
            return {GENERAL: session_tools()}
        hub = self._hub
        agents = {domain: [*hub.tools_for(domain), *session_tools()] for domain in hub.domains}
        if whole_bots:
            for bot in default_registry():
                usable = tuple(d for d in bot.domains if d in agents)
                if len(usable) > 1:
                    agents[whole_bot(usable)] = _merged([agents[d] for d in usable])
        return agents

    def graph(self, llm: str) -> AgentGraph:
        """The compiled graph driven by the LLM called ``llm``."""
        key = (llm, self.tools_ready)
        if key not in self._graphs:
            model = create_chat_model(llm, self._settings, listener=self._listener)
            tools = self.domain_tools(whole_bots=llm != OFFLINE)
            self._graphs[key] = build_agent_graph(model, tools)
        return self._graphs[key]

    async def warm_up(self) -> None:
        """Run one offline turn (the clock: no tool server, nothing stored).

        LangGraph's first run in a process costs ~80 ms more than the next ones (measured on
        2 cores: 88 ms, then 7-11 ms); without this the first caller's first answer pays it.
        """
        context = AgentContext(session_id="warm-up")
        question = [HumanMessage("What time is it?")]
        await run_agent_turn(self.graph(OFFLINE), context, question, timeout_secs=10.0)


def _merged(toolsets: list[list[BaseTool]]) -> list[BaseTool]:
    """The tools of several agents, each once (shared and session tools are in every set)."""
    return list({tool.name: tool for tools in toolsets for tool in tools}.values())
