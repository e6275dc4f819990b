"""Who a tool call acts for: the caller's user (and session), never an LLM argument.

Over stdio the agent's process puts the scope in the request's ``_meta``; over ``/mcp`` the
user comes from the verified JWT. Tools call :func:`current_scope` and never trust arguments
for identity.
"""

from dataclasses import dataclass
from typing import Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.fastmcp import Context
from mcp.server.fastmcp.exceptions import ToolError

META_KEY = "convonet"


@dataclass(frozen=True, slots=True)
class ToolScope:
    """The identity a tool call acts as.

    Attributes:
        user_id: The caller's user id.
        session_id: The call's session id, when the call comes from a voice/text session.
    """

    user_id: str
    session_id: str | None = None

    def as_meta(self) -> dict[str, Any]:
        """The ``_meta`` payload carrying this scope over stdio."""
        return {META_KEY: {"user_id": self.user_id, "session_id": self.session_id}}


def _from_meta(ctx: Context[Any, Any, Any]) -> ToolScope | None:
    meta = ctx.request_context.meta
    payload = getattr(meta, META_KEY, None) if meta is not None else None
    if payload is None and meta is not None:
        payload = (meta.model_extra or {}).get(META_KEY)
    if not isinstance(payload, dict) or payload.get("user_id") is None:
        return None
    user_id = str(payload["user_id"])
    session_id = payload.get("session_id")
    return ToolScope(user_id=user_id, session_id=str(session_id) if session_id else None)


def current_scope(ctx: Context[Any, Any, Any], *, trust_meta: bool) -> ToolScope:
    """Resolve the identity of the current tool call.

    Args:
        ctx: The FastMCP request context.
        trust_meta: Whether ``_meta`` may name the user (true only for our own stdio
            servers, whose only client is the agent process).

    Returns:
        The scope the call acts as.

    Raises:
        ToolError: The call carries no identity.
    """
    token = get_access_token()
    if token is not None:
        # Our JWT verifier stores the user id as the token's client id.
        return ToolScope(user_id=str(token.client_id))
    if trust_meta and (scope := _from_meta(ctx)) is not None:
        return scope
    raise ToolError("this tool needs a signed-in user; no identity came with the call")
