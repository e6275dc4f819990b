"""The domains' tool tests use the tool fixtures (both databases, the embedded Redis)."""

from tests.tools.conftest import store, tool_deps

__all__ = ["store", "tool_deps"]
