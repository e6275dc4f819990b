"""The Deepgram STT services of a process share one HTTP client (and its SSL context).

Real pipecat services built by convonet's factory, against the local fake Deepgram server.
These fail if pipecat stops building its SDK client through the name
:mod:`convonet.services.speech_http` swaps (each service would get its own client again).
"""

import asyncio
import ssl

import httpx
from deepgram import AsyncDeepgramClient
from pipecat.frames.frames import TranscriptionFrame
from pipecat.services.deepgram import stt as pipecat_deepgram_stt
from pipecat.services.stt_service import STTService

from convonet.services.models import EmbeddedModels
from convonet.services.speech import create_call_stt, create_stt
from convonet.services.speech_http import CLIENT_NAME, SpeechHttp
from convonet.settings import Settings
from tests.fakes.deepgram import FakeDeepgramSTT
from tests.services.test_cloud_providers import (
    KEY,
    audio_frames,
    finished,
    pcm,
    running,
    settings_for,
)


def http_client_of(stt: STTService) -> httpx.AsyncClient:
    """The httpx client under a Deepgram STT service's SDK client."""
    client = stt._client  # type: ignore[attr-defined]
    assert isinstance(client, AsyncDeepgramClient)
    wrapped = client._client_wrapper.httpx_client.httpx_client
    assert isinstance(wrapped, httpx.AsyncClient)
    return wrapped


def ssl_context_of(client: httpx.AsyncClient) -> ssl.SSLContext:
    context = client._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert isinstance(context, ssl.SSLContext)
    return context


def deepgram_settings(url: str = "ws://127.0.0.1:9") -> Settings:
    return settings_for(deepgram_api_key=KEY, deepgram_stt_url=url)


async def test_two_calls_share_one_client_and_ssl_context() -> None:
    settings = deepgram_settings()
    models, http = EmbeddedModels(settings), SpeechHttp()
    first = create_stt("deepgram", settings, models, http)
    second = create_call_stt("deepgram", settings, models, http=http)
    assert isinstance(second, STTService)

    assert http_client_of(first) is http_client_of(second) is http.client
    assert ssl_context_of(http_client_of(first)) is ssl_context_of(http_client_of(second))
    # The swap lasts for the constructor only.
    assert getattr(pipecat_deepgram_stt, CLIENT_NAME) is AsyncDeepgramClient
    await http.aclose()


async def test_without_the_shared_client_each_call_makes_its_own() -> None:
    """The cost the shared client removes is real: pipecat alone builds one per service."""
    settings = deepgram_settings()
    models = EmbeddedModels(settings)
    first, second = (create_stt("deepgram", settings, models) for _ in range(2))

    assert http_client_of(first) is not http_client_of(second)
    assert ssl_context_of(http_client_of(first)) is not ssl_context_of(http_client_of(second))


async def test_calls_on_the_shared_client_still_transcribe() -> None:
    http = SpeechHttp()
    async with FakeDeepgramSTT(api_key=KEY, transcript="Book a table for two.") as fake:
        settings = deepgram_settings(fake.url)
        models = EmbeddedModels(settings)
        services = [create_stt("deepgram", settings, models, http) for _ in range(2)]
        audio = pcm(0.6)

        async def call(stt: STTService) -> str:
            async with running(stt) as run:
                await run.send(*audio_frames(audio))
                return (await run.down.wait_for(TranscriptionFrame)).text

        texts = await asyncio.gather(*(call(stt) for stt in services))
        connections = [await finished(c) for c in fake.connections]

    assert texts == ["Book a table for two."] * 2
    assert [c.audio_received for c in connections] == [audio, audio]
    assert not fake.errors
    assert not http.client.is_closed
    await http.aclose()


async def test_closing_makes_a_fresh_client_on_next_use() -> None:
    http = SpeechHttp()
    first = http.client
    await http.aclose()

    assert first.is_closed
    assert http.client is not first
    await http.aclose()
    await http.aclose()  # closing twice is harmless
