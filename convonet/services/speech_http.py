"""One HTTP client for the Deepgram STT services of a process, instead of one per call.

Why: pipecat's ``DeepgramSTTService`` builds an ``AsyncDeepgramClient`` in its constructor,
and that client's default ``httpx.AsyncClient`` loads certifi's CA bundle into a new
``ssl.SSLContext``: 21 ms (AMD EPYC) to 46 ms (Intel Xeon) of event-loop CPU at every call
start, during which every other call on the process stalls. The streaming STT never uses the
HTTP client (its audio goes over a websocket the SDK opens with ``websockets``); it is there
for Deepgram's REST API.

How: the SDK takes an ``httpx_client`` for exactly this (a documented constructor
argument), but pipecat 1.14's service has no way to pass one. The narrowest hook left is the
name its module looks the client class up by, ``pipecat.services.deepgram.stt
.AsyncDeepgramClient``: :func:`build_deepgram_stt` points that name at a factory adding the
shared client for the length of the (synchronous) constructor, then puts it back, so nothing
else sees the swap. If a pipecat upgrade drops the name, the service is built as before (a
client of its own) with a warning, and ``tests/services/test_speech_http.py`` fails.
"""

from typing import TYPE_CHECKING, Any

import httpx
from loguru import logger

if TYPE_CHECKING:
    from pipecat.services.deepgram.stt import DeepgramSTTService

# What pipecat's Deepgram STT module calls to build its SDK client (see the module docstring).
CLIENT_NAME = "AsyncDeepgramClient"

# The SDK's own defaults for the client it would make (deepgram.base_client).
_TIMEOUT_SECS = 60.0


class SpeechHttp:
    """The process's shared HTTP client for cloud speech SDKs.

    Made on first use (so a process without cloud speech never loads a CA bundle) and closed
    with the runtime that owns it.
    """

    def __init__(self) -> None:
        """Start without a client; :attr:`client` makes it."""
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        """The shared client, made (with its one SSL context) on first use."""
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=_TIMEOUT_SECS, follow_redirects=True)
        return self._client

    async def aclose(self) -> None:
        """Close the client if one was made; a later use makes a new one."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()


def build_deepgram_stt(
    http: SpeechHttp | None, *, api_key: str, base_url: str, send_secs: float
) -> "DeepgramSTTService":
    """Convonet's Deepgram STT service, its SDK client on ``http``'s shared HTTP client.

    Args:
        http: The process's shared HTTP client; None leaves the service to make its own
            (~20-45 ms of CPU for a new SSL context per call).
        api_key: Deepgram API key.
        base_url: Deepgram base URL ("" for Deepgram's own).
        send_secs: Least audio per websocket message (see
            :class:`~convonet.services.deepgram_stt.JoinedDeepgramSTTService`).

    Returns:
        A fresh service for one call.
    """
    from deepgram import AsyncDeepgramClient
    from pipecat.services.deepgram import stt as module

    from convonet.services.deepgram_stt import JoinedDeepgramSTTService

    def build() -> "DeepgramSTTService":
        return JoinedDeepgramSTTService(api_key=api_key, base_url=base_url, send_secs=send_secs)

    if http is None:
        return build()
    original = getattr(module, CLIENT_NAME, None)
    if original is not AsyncDeepgramClient:
        logger.warning(
            "pipecat's Deepgram STT no longer builds its client through "
            f"{module.__name__}.{CLIENT_NAME}: each call makes its own HTTP client"
        )
        return build()

    shared = http.client

    def with_shared_client(**kwargs: Any) -> AsyncDeepgramClient:
        return AsyncDeepgramClient(httpx_client=shared, **kwargs)

    setattr(module, CLIENT_NAME, with_shared_client)
    try:
        return build()
    finally:
        setattr(module, CLIENT_NAME, original)
