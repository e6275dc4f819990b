"""End to end over WebRTC: an aiortc peer talks to ``POST/PATCH /api/offer`` like a browser.

The peer sends real Piper speech at real-time pace over an Opus audio track, sends RTVI
``client-ready`` on a data channel, and records the bot's audio, which Whisper transcribes.
"""

import asyncio
import fractions
import json
import re
import time
from typing import Any

import av
import httpx
import numpy as np
import pytest
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from pipecat.processors.frameworks.rtvi.models import PROTOCOL_VERSION

from convonet.bench.wer import normalize
from tests.conftest import LiveServer, connect
from tests.fakes.speech import synthesize, transcribe

pytestmark = [pytest.mark.slow, pytest.mark.integration]

RATE = 48000
FRAME_SAMPLES = RATE // 50  # 20 ms, what a browser sends
LOUD = 1000  # peak amplitude that is certainly speech, not Opus noise


class SpeechTrack(MediaStreamTrack):
    """A microphone that plays queued PCM at real-time pace, silence otherwise."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._queued = bytearray()
        self._pts = 0
        self._start: float | None = None
        self._said = asyncio.Event()
        self._said_at = 0.0

    def say(self, pcm: bytes) -> None:
        """Queue mono 16-bit PCM at 48 kHz."""
        self._queued.extend(pcm)
        self._said.clear()

    async def said(self) -> float:
        """Wait until everything queued was sent; when the last of it went.

        Why not the time it was queued plus its length: the pace catches up after a late
        ``recv`` (the server runs in this process), so speech may be sent faster than real
        time, and the bot's answer may begin before that sum.
        """
        await self._said.wait()
        return self._said_at

    async def recv(self) -> av.AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        wait = self._start + self._pts / RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        size = FRAME_SAMPLES * 2
        chunk = bytes(self._queued[:size]).ljust(size, b"\x00")
        del self._queued[:size]
        if not self._queued and not self._said.is_set():
            self._said_at = time.monotonic()
            self._said.set()
        frame = av.AudioFrame.from_ndarray(
            np.frombuffer(chunk, dtype=np.int16)[None, :], format="s16", layout="mono"
        )
        frame.sample_rate, frame.pts = RATE, self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        self._pts += FRAME_SAMPLES
        return frame


class Caller:
    """One aiortc peer: speaks through a :class:`SpeechTrack`, records what comes back."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # no STUN, localhost only
        self.mic = SpeechTrack()
        self.pc.addTrack(self.mic)
        self.audio: list[tuple[float, np.ndarray]] = []
        self.messages: list[dict[str, Any]] = []
        self._readers: list[asyncio.Task[None]] = []
        channel = self.pc.createDataChannel("rtvi")

        @channel.on("open")
        def on_open() -> None:
            ready = {"version": PROTOCOL_VERSION, "about": {"library": "aiortc-test"}}
            channel.send(
                json.dumps({"label": "rtvi-ai", "type": "client-ready", "id": "1", "data": ready})
            )

        @channel.on("message")
        def on_message(message: str | bytes) -> None:
            if isinstance(message, str) and message.startswith("{"):
                self.messages.append(json.loads(message))

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self._readers.append(asyncio.create_task(self._record(track)))

    async def offer(self) -> str:
        """Create the SDP offer (aiortc gathers host candidates before returning)."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def _record(self, track: MediaStreamTrack) -> None:
        while True:
            frame = await track.recv()
            samples = frame.to_ndarray().reshape(-1, len(frame.layout.channels))[:, 0]
            self.audio.append((time.monotonic(), samples.astype(np.int16)))

    def loud_times(self, since: float) -> list[float]:
        """Arrival times of speech-level bot audio frames after ``since``."""
        return [t for t, s in self.audio if t >= since and int(np.abs(s).max(initial=0)) > LOUD]

    def pcm(self, since: float, until: float) -> bytes:
        """Bot audio (mono 48 kHz PCM) received between ``since`` and ``until``."""
        return b"".join(s.tobytes() for t, s in self.audio if since <= t <= until)

    async def utterance(
        self, since: float, within: float, quiet: float = 1.2
    ) -> tuple[float, float]:
        """Wait for bot speech after ``since`` and then ``quiet`` seconds of silence."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            loud = self.loud_times(since)
            if loud and time.monotonic() - loud[-1] > quiet:
                return loud[0], loud[-1]
            await asyncio.sleep(0.1)
        raise AssertionError(f"no complete bot utterance within {within} s; RTVI: {self.texts()}")

    def texts(self, kind: str = "bot-output") -> list[str]:
        """The ``data.text`` of received RTVI messages of one type."""
        return [
            str(m.get("data", {}).get("text", "")) for m in self.messages if m.get("type") == kind
        ]

    async def close(self) -> None:
        """Hang up."""
        for reader in self._readers:
            reader.cancel()
        await self.pc.close()


async def _post_offer(http: httpx.AsyncClient, sdp: str, **request_data: str) -> httpx.Response:
    return await http.post(
        "/api/offer", json={"sdp": sdp, "type": "offer", "request_data": request_data}
    )


def _webrtc_sessions(live_app: LiveServer) -> int:
    return int(live_app.runtime.live.by_channel().get("webrtc", 0))


async def test_greeting_then_spoken_question_gets_spoken_answer(live_app: LiveServer) -> None:
    question = np.frombuffer(synthesize("What time is it?", RATE), dtype=np.int16)
    caller = Caller()
    async with httpx.AsyncClient(base_url=live_app.url, timeout=10) as http:
        token = str((await connect(live_app.url))["token"])
        started = time.monotonic()
        response = await _post_offer(http, await caller.offer(), token=token)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["type"] == "answer" and answer["pc_id"]
        assert time.monotonic() - started < 3, "the offer must be answered at once"
        await caller.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))

        # ICE trickle: end-of-candidates is accepted, garbage is a 400, unknown peers a 404.
        done = {"candidate": "", "sdp_mid": "0", "sdp_mline_index": 0}
        patch = await http.patch(
            "/api/offer", json={"pc_id": answer["pc_id"], "candidates": [done]}
        )
        assert patch.status_code == 200, patch.text
        bad = {
            "candidate": "candidate:1 1 udp x 127.0.0.1 9 typ host",
            "sdp_mid": "0",
            "sdp_mline_index": 0,
        }
        patch = await http.patch("/api/offer", json={"pc_id": answer["pc_id"], "candidates": [bad]})
        assert patch.status_code == 400, patch.text
        patch = await http.patch("/api/offer", json={"pc_id": "nobody", "candidates": [done]})
        assert patch.status_code == 404, patch.text

        try:
            first, last = await caller.utterance(started, within=20)
            assert first - started < 5, f"greeting began {first - started:.1f} s after the offer"
            greeting = transcribe(caller.pcm(first - 0.2, last + 0.2), RATE).lower()
            assert "help" in greeting or "convonet" in greeting.replace(" ", ""), greeting
            assert _webrtc_sessions(live_app) == 1

            caller.mic.say(question.tobytes())  # then silence, as the queue is empty
            asked = await asyncio.wait_for(caller.mic.said(), 10)
            first, last = await caller.utterance(asked, within=20)
            reply = transcribe(caller.pcm(first - 0.2, last + 0.2), RATE).lower()
            # The clock the bot said ("It's 11:47 PM."), as words, counts too: Whisper tiny may
            # mishear the short "It's" ("that's"), and either identifies the spoken answer.
            said = [clock for text in caller.texts() for clock in re.findall(r"\d+:\d\d", text)]
            assert said, caller.texts()
            clock = normalize(said[-1].replace(":", " "))
            assert "it's" in reply or "it is" in reply or clock in normalize(reply), (
                reply,
                caller.texts(),
            )
        finally:
            await caller.close()

        # The call ends when the peer hangs up, and its token cannot be used again.
        for _ in range(100):
            if _webrtc_sessions(live_app) == 0:
                break
            await asyncio.sleep(0.1)
        assert _webrtc_sessions(live_app) == 0, "the pipeline outlived its peer"
        again = Caller()
        try:
            reused = await _post_offer(http, await again.offer(), token=token)
        finally:
            await again.close()
        assert reused.status_code == 401, reused.text


SDP_WITHOUT_ICE = (
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
)


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"sdp": "garbage", "type": "offer"}, 400, "malformed SDP"),
        ({"sdp": SDP_WITHOUT_ICE, "type": "offer"}, 400, "ICE"),
        ({"sdp": SDP_WITHOUT_ICE, "type": "answer"}, 400, "offer"),
        ({"type": "offer"}, 422, "sdp"),
    ],
)
async def test_malformed_offers_are_rejected(
    live_app: LiveServer, body: dict[str, str], status: int, reason: str
) -> None:
    # With a valid token, so the SDP itself is what gets judged.
    token = str((await connect(live_app.url))["token"])
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        response = await http.post("/api/offer", json={**body, "request_data": {"token": token}})
    assert response.status_code == status, response.text
    assert reason in response.text


@pytest.mark.parametrize(
    ("request_data", "status", "reason"),
    [
        ({}, 401, "token"),
        ({"token": "0" * 43}, 401, "token"),
        ({"token": "not a token at all"}, 401, "token"),
    ],
)
async def test_bad_choices_are_rejected(
    live_app: LiveServer, request_data: dict[str, str], status: int, reason: str
) -> None:
    caller = Caller()
    try:
        async with httpx.AsyncClient(base_url=live_app.url) as http:
            response = await _post_offer(http, await caller.offer(), **request_data)
    finally:
        await caller.close()
    assert response.status_code == status, response.text
    assert reason in response.json()["detail"]
    assert _webrtc_sessions(live_app) == 0
