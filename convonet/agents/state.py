"""The agent graph's state."""

from collections.abc import Sequence
from typing import Annotated, cast

from langchain_core.messages import AnyMessage, BaseMessage
from langgraph.graph.message import add_messages
from typing_extensions import TypedDict


class AgentState(TypedDict, total=False):
    """State flowing through the agent graph.

    Attributes:
        messages: The conversation; nodes append with LangGraph's ``add_messages`` reducer.
        domain: The domain the router chose for this turn.
        end_session: Set when the agent decided to end the call (the caller said goodbye).
    """

    messages: Annotated[list[AnyMessage], add_messages]
    domain: str
    end_session: bool


def initial_state(messages: Sequence[BaseMessage]) -> AgentState:
    """The graph input for a conversation so far."""
    return AgentState(messages=list(cast(Sequence[AnyMessage], messages)))
