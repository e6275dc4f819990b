"""Absolute URLs for clients: from the ``PUBLIC_URL`` setting or the request's own host.

``X-Forwarded-Host`` names another host only when that host is listed in
``FORWARDED_HOSTS``: the URLs built here carry connection tokens, so a header must not be
able to send them elsewhere. The scheme comes from the connection, which uvicorn's
``ProxyHeadersMiddleware`` sets from ``X-Forwarded-Proto`` for ``FORWARDED_ALLOW_IPS`` only.
"""

from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from convonet.settings import Settings


def public_base(connection: HTTPConnection, settings: Settings) -> str:
    """The externally reachable ``scheme://host[:port]`` of this server."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    scheme, host = connection.url.scheme, connection.headers.get("host")
    forwarded = connection.headers.get("x-forwarded-host", "").strip().lower()
    if forwarded and forwarded in {name.lower() for name in settings.forwarded_hosts}:
        # A listed proxy host: the scheme it reports is the one the client used.
        proto = connection.headers.get("x-forwarded-proto", "").strip().lower()
        scheme = proto if proto in {"http", "https", "ws", "wss"} else scheme
        host = forwarded
    return f"{scheme}://{host or connection.url.netloc}"


def websocket_url(connection: HTTPConnection, settings: Settings, path: str) -> str:
    """Absolute ``ws://`` or ``wss://`` URL of ``path`` on this server."""
    base = urlsplit(public_base(connection, settings))
    scheme = {"https": "wss", "http": "ws", "wss": "wss", "ws": "ws"}.get(base.scheme, "ws")
    # Keep a path prefix of PUBLIC_URL (a proxy mounting us under /voice, say).
    return f"{scheme}://{base.netloc}{base.path.rstrip('/')}{path}"
