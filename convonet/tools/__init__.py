"""MCP tool servers (official ``mcp`` SDK), one per tool group, backed by the database.

See ``docs/tools.md`` for the contract. The agent reaches them over stdio through
``langchain-mcp-adapters`` (:mod:`convonet.tools.hub`); external MCP clients reach the same
tools at ``/mcp`` (streamable HTTP, JWT).
"""
