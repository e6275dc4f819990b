"""Builds (and caches) the agent graph for each LLM."""

from convonet.agents.graph import AgentGraph, build_agent_graph
from convonet.agents.llms import create_chat_model
from convonet.agents.router import GENERAL
from convonet.agents.session_tools import session_tools
from convonet.settings import Settings


class AgentFactory:
    """Hands out compiled agent graphs; graphs are stateless and shared across sessions."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._graphs: dict[str, AgentGraph] = {}

    def graph(self, llm: str) -> AgentGraph:
        """The compiled graph driven by the LLM called ``llm``."""
        if llm not in self._graphs:
            model = create_chat_model(llm, self._settings)
            self._graphs[llm] = build_agent_graph(model, {GENERAL: session_tools()})
        return self._graphs[llm]
