"""Text conversations through the same agent graph as voice calls (``convonet chat``)."""

from dataclasses import dataclass, field

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig

from convonet.agents.session_tools import END_CALL_TOOL
from convonet.agents.state import initial_state
from convonet.runtime import Runtime
from convonet.session import CallSession


@dataclass
class Reply:
    """One answer of the agent."""

    text: str
    tool_calls: list[dict[str, object]] = field(default_factory=list)
    ended: bool = False


class TextConversation:
    """A conversation held in text; keeps the spoken history like a voice call does."""

    def __init__(self, runtime: Runtime, session: CallSession) -> None:
        self._agents = runtime.agents
        self._context = session.agent_context()
        self.session = session
        self.history: list[BaseMessage] = []

    async def say(self, text: str) -> Reply:
        """Send the caller's words and return the agent's reply."""
        self.history.append(HumanMessage(text))
        graph = self._agents.graph(self.session.llm)
        state = await graph.ainvoke(
            initial_state(self.history),
            config=RunnableConfig(configurable={"thread_id": self.session.session_id}),
            context=self._context,
        )
        new = state["messages"][len(self.history) :]
        reply = next(
            (m for m in reversed(new) if isinstance(m, AIMessage) and not m.tool_calls), None
        )
        text_out = reply.text if reply is not None else ""
        self.history.append(AIMessage(text_out))
        calls = [dict(call) for m in new if isinstance(m, AIMessage) for call in m.tool_calls]
        ended = any(isinstance(m, ToolMessage) and m.name == END_CALL_TOOL for m in new)
        return Reply(text=text_out, tool_calls=calls, ended=ended)
