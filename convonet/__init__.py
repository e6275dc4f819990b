"""Convonet: a real-time voice AI assistant platform on Pipecat, LangGraph and MCP."""

__version__ = "0.1.0"
