"""Fake Anthropic Messages API (``POST /v1/messages``).

Authenticates with the ``x-api-key`` header or a Bearer token (anthropic SDK 2 sends the
latter) and wants ``anthropic-version``. Non-streamed
requests get a ``message`` object whose content holds ``text`` and ``tool_use`` blocks;
``"stream": true`` requests get the SSE event sequence of the real API: ``message_start``,
then per content block ``content_block_start`` (``text`` or ``tool_use``),
``content_block_delta`` (``text_delta`` per word, ``input_json_delta`` fragments of the tool
input) and ``content_block_stop``, then ``message_delta`` (stop reason, output tokens) and
``message_stop``. Errors use ``{"type": "error", "error": {"type", "message"}}``.

Point ``anthropic_base_url`` at :attr:`FakeLLMServer.base_url` (the SDK appends ``/v1``).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.fakes.llm_server import (
    FakeLLMServer,
    Reply,
    json_pieces,
    next_id,
    sse,
    text_pieces,
)

PATH = "/v1/messages"

_ERRORS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass
class FakeAnthropic(FakeLLMServer):
    """Anthropic Messages, streamed and not."""

    def route(self, path: str, query: dict[str, str], body: dict[str, Any]) -> bool | None:
        """Messages only; streamed when the body says ``"stream": true``."""
        return bool(body.get("stream")) if path == PATH else None

    def authorized(self, headers: dict[str, str]) -> bool:
        """The key as ``x-api-key`` or a Bearer token, plus the API version header."""
        key_ok = self.api_key in (
            headers.get("x-api-key"),
            headers.get("authorization", "").removeprefix("Bearer "),
        )
        return key_ok and "anthropic-version" in headers

    def error_body(self, status: int) -> dict[str, Any]:
        """Anthropic's error event/body."""
        kind = _ERRORS.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": f"fake {kind}"}}

    def complete(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        """A ``message`` object."""
        return {
            **_message(body),
            "content": _blocks(reply),
            "stop_reason": _stop_reason(reply),
            "usage": {"input_tokens": 20, "output_tokens": _output_tokens(reply)},
        }

    def events(self, body: dict[str, Any], reply: Reply) -> Iterator[str]:
        """The Messages streaming event sequence."""
        start = {**_message(body), "content": [], "stop_reason": None}
        start["usage"] = {"input_tokens": 20, "output_tokens": 1}
        yield sse({"type": "message_start", "message": start}, "message_start")
        for index, block in enumerate(_blocks(reply)):
            yield from _block_events(index, block)
        yield sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": _stop_reason(reply), "stop_sequence": None},
                "usage": {"output_tokens": _output_tokens(reply)},
            },
            "message_delta",
        )
        yield sse({"type": "message_stop"}, "message_stop")


def _block_events(index: int, block: dict[str, Any]) -> Iterator[str]:
    if block["type"] == "text":
        empty: dict[str, Any] = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": piece} for piece in text_pieces(block["text"])]
    else:
        empty = {**block, "input": {}}
        deltas = [
            {"type": "input_json_delta", "partial_json": fragment}
            for fragment in json_pieces(block["input"])
        ]
    start = {"type": "content_block_start", "index": index, "content_block": empty}
    yield sse(start, "content_block_start")
    for delta in deltas:
        event = {"type": "content_block_delta", "index": index, "delta": delta}
        yield sse(event, "content_block_delta")
    yield sse({"type": "content_block_stop", "index": index}, "content_block_stop")


def _message(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": next_id("msg_fake"),
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "fake"),
        "stop_sequence": None,
    }


def _blocks(reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text else []
    for call in reply.tool_calls:
        blocks.append(
            {"type": "tool_use", "id": next_id("toolu_fake"), "name": call.name, "input": call.args}
        )
    return blocks


def _stop_reason(reply: Reply) -> str:
    return "tool_use" if reply.tool_calls else "end_turn"


def _output_tokens(reply: Reply) -> int:
    return len(reply.text.split()) + 5 * len(reply.tool_calls)
