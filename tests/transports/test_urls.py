"""Absolute URLs handed to clients."""

from starlette.requests import Request

from convonet.settings import Settings
from convonet.transports.urls import public_base, websocket_url


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    scope = {"type": "http", "scheme": "http", "path": "/", "headers": raw, "server": ("h", 80)}
    return Request(scope)


def test_uses_the_request_host_without_public_url() -> None:
    request = _request({"host": "example.test:8000"})
    assert websocket_url(request, Settings(), "/ws?x=1") == "ws://example.test:8000/ws?x=1"


def test_honours_forwarded_proto_and_host() -> None:
    request = _request(
        {"host": "internal", "x-forwarded-proto": "https", "x-forwarded-host": "a.b"}
    )
    listed = Settings(forwarded_hosts=["a.b"])  # only a listed forwarded host is honoured
    assert public_base(request, listed) == "https://a.b"
    assert websocket_url(request, listed, "/ws") == "wss://a.b/ws"


def test_an_unlisted_forwarded_host_is_ignored() -> None:
    request = _request(
        {"host": "internal", "x-forwarded-proto": "https", "x-forwarded-host": "evil.example"}
    )
    assert public_base(request, Settings(forwarded_hosts=["a.b"])) == "http://internal"
    assert websocket_url(request, Settings(), "/ws") == "ws://internal/ws"


def test_public_url_wins_and_keeps_its_path_prefix() -> None:
    settings = Settings(public_url="https://voice.example.com/convonet/")
    request = _request({"host": "internal"})
    assert public_base(request, settings) == "https://voice.example.com/convonet"
    assert websocket_url(request, settings, "/ws") == "wss://voice.example.com/convonet/ws"
