"""Builds (and caches) the agent graph for each LLM, with the tools the hub serves."""

from langchain_core.tools import BaseTool

from convonet.agents.fallback import ProviderListener
from convonet.agents.graph import AgentGraph, build_agent_graph
from convonet.agents.llms import create_chat_model
from convonet.agents.router import GENERAL
from convonet.agents.session_tools import session_tools
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
        self._settings = settings
        self._hub = hub
        self._listener = listener
        self._graphs: dict[tuple[str, bool], AgentGraph] = {}

    @property
    def tools_ready(self) -> bool:
        """Whether the MCP tools are loaded (graphs built before that have session tools only)."""
        return self._hub is not None and self._hub.ready.is_set() and self._hub.failed is None

    def domain_tools(self) -> dict[str, list[BaseTool]]:
        """Each domain agent's tools: its MCP tools, the shared ones and the session tools."""
        if self._hub is None or not self.tools_ready:
            return {GENERAL: session_tools()}
        return {
            domain: [*self._hub.tools_for(domain), *session_tools()] for domain in self._hub.domains
        }

    def graph(self, llm: str) -> AgentGraph:
        """The compiled graph driven by the LLM called ``llm``."""
        key = (llm, self.tools_ready)
        if key not in self._graphs:
            model = create_chat_model(llm, self._settings, listener=self._listener)
            self._graphs[key] = build_agent_graph(model, self.domain_tools())
        return self._graphs[key]
