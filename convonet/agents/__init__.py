"""LangGraph agents: the router, the domain agents and the offline agent model."""
