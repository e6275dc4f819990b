"""How uvicorn runs the app: the options the CLI (and the test server) pass to it.

Forwarded headers are handled inside the app (uvicorn's ``ProxyHeadersMiddleware`` with
``FORWARDED_ALLOW_IPS``, see :func:`convonet.server.create_app`), so uvicorn's own copy is
switched off: it would otherwise trust ``X-Forwarded-For`` from 127.0.0.1 by default.
"""

from typing import Any

from convonet.settings import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``/``uvicorn.Config`` besides host and port."""
    return {
        "ws_max_size": settings.max_ws_message_bytes,
        "ws_per_message_deflate": settings.ws_compression,
        "proxy_headers": False,
        "server_header": False,
    }
