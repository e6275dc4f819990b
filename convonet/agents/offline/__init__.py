"""The offline agent model: a deterministic, rule-based LangChain chat model."""

from convonet.agents.offline.model import OfflineAgentModel

__all__ = ["OfflineAgentModel"]
