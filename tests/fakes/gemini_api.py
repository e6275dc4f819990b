"""Fake Gemini Developer API: ``generateContent`` and ``streamGenerateContent``.

Serves ``POST /{version}/models/{model}:generateContent`` (one ``GenerateContentResponse``)
and ``POST /{version}/models/{model}:streamGenerateContent?alt=sse`` (one
``GenerateContentResponse`` per SSE ``data:`` frame: a text part per word, then each tool
call as a whole ``functionCall`` part, as Gemini streams them; the last frame carries
``finishReason`` and ``usageMetadata``), the way the google-genai client used by
langchain-google-genai calls them. Authenticates with the ``x-goog-api-key`` header. Errors use
``{"error": {"code", "message", "status"}}``.

Point ``gemini_base_url`` at :attr:`FakeLLMServer.base_url` (the client adds the version).
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.fakes.llm_server import FakeLLMServer, Reply, next_id, sse, text_pieces

_PATH = re.compile(r"^/v1[a-z0-9]*/models/(?P<model>[^:/]+):(?P<method>\w+)$")

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@dataclass
class FakeGemini(FakeLLMServer):
    """Gemini ``generateContent``, streamed and not."""

    def route(self, path: str, query: dict[str, str], body: dict[str, Any]) -> bool | None:
        """The two content-generation methods; any API version, any model."""
        match = _PATH.match(path)
        if match is None:
            return None
        return {"generateContent": False, "streamGenerateContent": True}.get(match["method"])

    def authorized(self, headers: dict[str, str]) -> bool:
        """API-key header auth."""
        return headers.get("x-goog-api-key") == self.api_key

    def error_body(self, status: int) -> dict[str, Any]:
        """Google's error object."""
        state = _STATUS.get(status, "UNKNOWN")
        return {"error": {"code": status, "message": f"fake {state}", "status": state}}

    def complete(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        """One ``GenerateContentResponse`` with every part."""
        parts: list[dict[str, Any]] = [{"text": reply.text}] if reply.text else []
        parts += _call_parts(reply)
        return _response(parts, last=True, reply=reply)

    def events(self, body: dict[str, Any], reply: Reply) -> Iterator[str]:
        """One ``GenerateContentResponse`` per frame; the last one finishes."""
        frames: list[list[dict[str, Any]]] = [[{"text": p}] for p in text_pieces(reply.text)]
        frames += [[part] for part in _call_parts(reply)]
        for index, parts in enumerate(frames or [[{"text": ""}]]):
            yield sse(_response(parts, last=index == max(len(frames) - 1, 0), reply=reply))


def _call_parts(reply: Reply) -> list[dict[str, Any]]:
    return [{"functionCall": {"name": c.name, "args": c.args}} for c in reply.tool_calls]


def _response(parts: list[dict[str, Any]], *, last: bool, reply: Reply) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    response: dict[str, Any] = {
        "candidates": [candidate],
        "modelVersion": "gemini-fake",
        "responseId": next_id("resp-"),
    }
    if last:
        candidate["finishReason"] = "STOP"
        output = len(reply.text.split()) + 5 * len(reply.tool_calls)
        response["usageMetadata"] = {
            "promptTokenCount": 20,
            "candidatesTokenCount": output,
            "totalTokenCount": 20 + output,
        }
    return response
