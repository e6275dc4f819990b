"""ASGI middleware: security headers on every answer, and an Origin allow list for websockets.

Headers: ``Content-Security-Policy`` (only our own scripts, styles, images and connections;
``blob:`` for the audio worklets the voice client loads; no framing), ``X-Frame-Options``,
``Referrer-Policy`` (media tokens in URLs never leak to other sites) and
``X-Content-Type-Options``. FastAPI's ``/docs`` pages load their UI from a CDN, so they get
the other headers but no CSP.

Websockets: a browser always sends ``Origin``. An upgrade whose origin is neither this
server's own (its ``Host``), ``PUBLIC_URL``'s nor listed in ``ALLOWED_ORIGINS`` is refused
before it is accepted (uvicorn answers 403), so another site cannot open calls with a
visitor's credentials. Clients that are not browsers (SDKs, Twilio) send no ``Origin``.
"""

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from convonet.settings import Settings

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' blob:",
        "worker-src 'self' blob:",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self' {extra}",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)
DOCS_PATHS = ("/docs", "/redoc")
CLOSE_POLICY = 1008  # websocket close code: policy violation (refused origin)


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _public_sources(settings: Settings) -> list[str]:
    if not settings.public_url:
        return []
    public = _origin_of(settings.public_url)
    return [public, public.replace("https://", "wss://").replace("http://", "ws://")]


def content_security_policy(settings: Settings, *connect: str) -> str:
    """The pages' CSP; ``connect`` adds origins a page may connect to (``wss://pbx:7443``).

    Every page gets the server's own and ``PUBLIC_URL``'s origins; a page that talks to
    another server (the call-center softphone to the SIP server) sets its own header with
    that server added, and the middleware leaves it alone.
    """
    extra = " ".join([*_public_sources(settings), *(_origin_of(url) for url in connect)])
    return CSP.format(extra=extra).replace(" ;", ";")


class SecurityHeadersMiddleware:
    """Add the security headers and enforce the websocket Origin allow list.

    Args:
        app: The wrapped ASGI app.
        settings: ``public_url`` and ``allowed_origins``.
    """

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.origins = {_origin_of(origin) for origin in settings.allowed_origins}
        if settings.public_url:
            self.origins.add(_origin_of(settings.public_url))
        self.csp = content_security_policy(settings)
        self.headers = {
            "x-frame-options": "DENY",
            "referrer-policy": "no-referrer",
            "x-content-type-options": "nosniff",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse foreign websocket origins; add the headers to HTTP answers."""
        if scope["type"] == "websocket" and not self._origin_allowed(scope):
            await send({"type": "websocket.close", "code": CLOSE_POLICY, "reason": "origin"})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_csp = not scope["path"].startswith(DOCS_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                if with_csp:
                    headers.setdefault("content-security-policy", self.csp)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _origin_allowed(self, scope: Scope) -> bool:
        headers = dict(scope["headers"])
        origin = headers.get(b"origin")
        if origin is None:
            return True  # not a browser
        claimed = origin.decode("latin-1").strip().lower()
        host = headers.get(b"host", b"").decode("latin-1").lower()
        own = {f"http://{host}", f"https://{host}"}
        return claimed in own or claimed in self.origins
