"""ASGI middleware: request body size limit (413) and JSON checks (422) before any work.

Bodies are read up front (they are small by design: PIN sign-ins, text turns, SDP offers,
Twilio forms), so a too-large body is refused before the route runs, whether it declares a
``Content-Length`` or streams chunks. JSON bodies are then parsed once and checked with
:func:`~convonet.security.json_guard.check_json`; the route gets the same bytes replayed.
"""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from convonet.security.errors import SafeJSONResponse
from convonet.security.json_guard import JsonProblem, check_json


class _TooLarge(Exception):
    pass


class BodyGuardMiddleware:
    """Refuse oversized request bodies and malformed JSON before the app sees them.

    Args:
        app: The wrapped ASGI app.
        max_bytes: Largest accepted body.
        max_json_depth: Deepest accepted JSON nesting.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_json_depth: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check an HTTP request's body, then pass it on (other scopes pass untouched)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send, 413, self._too_large())
            return
        try:
            body = await self._read(receive)
        except _TooLarge:
            await self._refuse(scope, receive, send, 413, self._too_large())
            return
        if body and b"json" in headers.get(b"content-type", b""):
            problem = self._json_problem(body)
            if problem is not None:
                await self._refuse(scope, receive, send, 422, problem)
                return
        await self.app(scope, _replay(body, receive), send)

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_bytes} bytes"

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)  # the client went away; the app will notice
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _json_problem(self, body: bytes) -> str | None:
        try:
            value = json.loads(body)
        except RecursionError:
            return f"the JSON body is nested too deep (more than {self.max_json_depth} levels)"
        except ValueError:
            return None  # not JSON at all: the route's own validation answers (422)
        try:
            check_json(value, self.max_json_depth)
        except JsonProblem as problem:
            return str(problem)
        return None

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, why: str) -> None:
        await SafeJSONResponse({"detail": why}, status_code=status)(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # later: the disconnect

    return replay
