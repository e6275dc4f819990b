"""Fake OpenAI Chat Completions API (``POST /v1/chat/completions``).

Authenticates with ``Authorization: Bearer <key>``. Non-streamed requests get a
``chat.completion`` object; ``"stream": true`` requests get ``chat.completion.chunk`` SSE
frames ending in ``data: [DONE]``: a role chunk, text deltas (one per word), tool calls in
OpenAI's delta format (the first delta of a call carries its index, id, type and name, later
deltas carry argument fragments), a chunk with ``finish_reason``, and a usage chunk when
``stream_options.include_usage`` asks for one. Errors use OpenAI's
``{"error": {"message", "type", "param", "code"}}`` body.

Point ``openai_base_url`` (or ``openai_compatible_base_url``) at :attr:`FakeOpenAI.api_base`.
"""

import json
import time
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

PATH = "/v1/chat/completions"

_ERRORS = {
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    429: ("rate_limit_exceeded", "rate_limit_exceeded", "Rate limit reached for requests."),
    500: ("server_error", None, "The server had an error while processing your request."),
}


@dataclass
class FakeOpenAI(FakeLLMServer):
    """OpenAI Chat Completions, streamed and not."""

    @property
    def api_base(self) -> str:
        """The base URL clients expect (``.../v1``)."""
        return f"{self.base_url}/v1"

    def route(self, path: str, query: dict[str, str], body: dict[str, Any]) -> bool | None:
        """Chat completions only; streamed when the body says ``"stream": true``."""
        return bool(body.get("stream")) if path == PATH else None

    def authorized(self, headers: dict[str, str]) -> bool:
        """Bearer token auth."""
        return headers.get("authorization") == f"Bearer {self.api_key}"

    def error_body(self, status: int) -> dict[str, Any]:
        """OpenAI's error object."""
        default = _ERRORS[500] if status >= 500 else ("invalid_request_error", None, "Bad request.")
        kind, code, message = _ERRORS.get(status, default)
        return {"error": {"message": message, "type": kind, "param": None, "code": code}}

    def complete(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        """A ``chat.completion`` object."""
        message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": next_id("call_"),
                    "type": "function",
                    "function": {"name": call.name, "arguments": json.dumps(call.args)},
                }
                for call in reply.tool_calls
            ]
        return {
            **_envelope(body, "chat.completion"),
            "choices": [
                {"index": 0, "message": message, "finish_reason": _finish(reply), "logprobs": None}
            ],
            "usage": _usage(reply),
        }

    def events(self, body: dict[str, Any], reply: Reply) -> Iterator[str]:
        """``chat.completion.chunk`` frames, then ``[DONE]``."""
        envelope = _envelope(body, "chat.completion.chunk")

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
            return sse({**envelope, "choices": [choice]})

        yield chunk({"role": "assistant", "content": ""})
        for piece in text_pieces(reply.text):
            yield chunk({"content": piece})
        for index, call in enumerate(reply.tool_calls):
            head = {
                "index": index,
                "id": next_id("call_"),
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            yield chunk({"tool_calls": [head]})
            for fragment in json_pieces(call.args):
                yield chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
        yield chunk({}, _finish(reply))
        if (body.get("stream_options") or {}).get("include_usage"):
            yield sse({**envelope, "choices": [], "usage": _usage(reply)})
        yield sse("[DONE]")


def _envelope(body: dict[str, Any], kind: str) -> dict[str, Any]:
    return {
        "id": next_id("chatcmpl-"),
        "object": kind,
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "system_fingerprint": "fp_fake",
    }


def _finish(reply: Reply) -> str:
    return "tool_calls" if reply.tool_calls else "stop"


def _usage(reply: Reply) -> dict[str, int]:
    completion = len(reply.text.split()) + 5 * len(reply.tool_calls)
    return {"prompt_tokens": 20, "completion_tokens": completion, "total_tokens": 20 + completion}
