"""The tool servers for external MCP clients: every group at ``/mcp`` (streamable HTTP, JWT).

The endpoint carries every tool group on one FastMCP server. A bearer access token (from
``/api/auth/login``) is required; the tools act as the token's user. The database and
Redis handles are the app's own.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.fastmcp import FastMCP

from convonet.auth.tokens import verify_token
from convonet.domains.registry import add_domain_paths, group_modules
from convonet.errors import AuthenticationError
from convonet.runtime import Runtime
from convonet.settings import Settings
from convonet.tools.resources import ToolResources
from convonet.tools.server import build_server

MOUNT_PATH = "/mcp"


class JWTTokenVerifier:
    """Accepts Convonet access tokens of active users; the MCP client id is the user id."""

    def __init__(
        self, settings: Settings, is_active: Callable[[str], Awaitable[bool]] | None = None
    ) -> None:
        self._settings = settings
        self._is_active = is_active

    async def verify_token(self, token: str) -> AccessToken | None:
        """The access the token grants, or ``None`` (the SDK answers 401)."""
        try:
            claims = verify_token(self._settings, token, kind="access")
        except AuthenticationError:
            return None
        if self._is_active is not None and not await self._is_active(claims.user_id):
            return None  # disabled or deleted since the token was issued
        return AccessToken(
            token=token,
            client_id=claims.user_id,
            scopes=list(claims.roles),
            expires_at=claims.exp,
            subject=claims.user_id,
        )


def build_http_server(settings: Settings, runtime: Callable[[], Runtime]) -> FastMCP:
    """The ``/mcp`` server; ``runtime`` returns the app's runtime once it is open."""
    add_domain_paths(settings.domain_paths)

    @asynccontextmanager
    async def resources() -> AsyncIterator[ToolResources]:
        current = runtime()
        yield ToolResources(
            settings=current.settings, db=current.db, store=current.store, trust_meta=False
        )

    base = (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    return build_server(
        "convonet",
        tuple(group_modules()),
        resources,
        stateless_http=True,
        json_response=True,
        streamable_http_path="/",
        token_verifier=JWTTokenVerifier(
            settings, lambda user_id: runtime().active_users.is_active(user_id)
        ),
        auth=AuthSettings(
            issuer_url=base,  # type: ignore[arg-type]
            resource_server_url=f"{base}{MOUNT_PATH}",  # type: ignore[arg-type]
            validate_token_resource=False,  # our verifier checks signature, expiry and type
        ),
    )
