"""Absolute URLs for clients: from the ``PUBLIC_URL`` setting or the request's own host."""

from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from convonet.settings import Settings


def public_base(connection: HTTPConnection, settings: Settings) -> str:
    """The externally reachable ``scheme://host[:port]`` of this server."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    # Behind a proxy, X-Forwarded-* tell the scheme and host the client actually used.
    scheme = connection.headers.get("x-forwarded-proto", connection.url.scheme)
    host = connection.headers.get("x-forwarded-host", connection.headers.get("host"))
    return f"{scheme}://{host or connection.url.netloc}"


def websocket_url(connection: HTTPConnection, settings: Settings, path: str) -> str:
    """Absolute ``ws://`` or ``wss://`` URL of ``path`` on this server."""
    base = urlsplit(public_base(connection, settings))
    scheme = {"https": "wss", "http": "ws", "wss": "wss", "ws": "ws"}.get(base.scheme, "ws")
    # Keep a path prefix of PUBLIC_URL (a proxy mounting us under /voice, say).
    return f"{scheme}://{base.netloc}{base.path.rstrip('/')}{path}"
