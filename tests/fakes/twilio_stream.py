"""A simulated Twilio call: its webhooks (PIN sign-in) and its ``<Connect><Stream>``.

:class:`TwilioWebhooks` posts what Twilio posts when a call comes in: the call's form to
``/twilio/voice``, then the keyed ``Digits`` to the ``<Gather>``'s action URL, signed with
the account's auth token when one is given. :func:`sign_in` runs that flow and leaves the
``<Stream>``'s parameters (the session id) on the :class:`Call`, ready for the stream.

:class:`TwilioStreamClient` opens the websocket with the ``websockets`` library, sends
``connected`` and ``start`` like Twilio, then keeps the line open the way a phone call does:
one ``media`` message of 160 μ-law bytes (20 ms at 8 kHz) every 20 ms, real-time paced, carrying
queued speech or else silence. Everything the server sends (``media``, ``mark``, ``clear`` and
anything else) is recorded with its arrival time.
"""

import asyncio
import base64
import contextlib
import json
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import websockets
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import ClientConnection

from convonet.storage.seed import DEMO_PIN

RATE = 8000
PACKET_BYTES = 160  # 20 ms of 8 kHz μ-law, what Twilio sends per media message
PACKET_SECS = PACKET_BYTES / RATE
ULAW_SILENCE = b"\xff" * PACKET_BYTES

_BIAS = 0x84  # G.711 μ-law bias on the 16-bit scale
_BIAS_14 = 0x21  # the same bias on the 14-bit scale the encoder works at
_CLIP_14 = 8159
_MAX_PACING_LAG = 0.06  # a stalled line restarts its clock instead of bursting to catch up


def pcm_to_ulaw(pcm: bytes) -> bytes:
    """Encode 16-bit PCM as G.711 μ-law (what Twilio carries), bit-exact with the ITU table."""
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.int32) >> 2
    negative = samples < 0
    mask = np.where(negative, 0x7F, 0xFF)
    magnitude = np.minimum(np.where(negative, -samples, samples), _CLIP_14) + _BIAS_14
    segment = np.floor(np.log2(magnitude)).astype(np.int32) - 5
    code = (segment << 4) | ((magnitude >> (segment + 1)) & 0x0F)
    code = np.where(segment >= 8, 0x7F, code)
    return ((code ^ mask) & 0xFF).astype(np.uint8).tobytes()


def ulaw_to_pcm(ulaw: bytes) -> bytes:
    """Decode G.711 μ-law to 16-bit PCM."""
    codes = ~np.frombuffer(ulaw, dtype=np.uint8).astype(np.int32) & 0xFF
    exponent = (codes >> 4) & 0x07
    magnitude = (((codes & 0x0F) << 3) + _BIAS << exponent) - _BIAS
    samples = np.where(codes & 0x80, -magnitude, magnitude)
    return samples.astype(np.int16).tobytes()


@dataclass
class StreamLog:
    """What the server sent, with arrival times (``time.monotonic``)."""

    messages: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    close_code: int | None = None
    close_reason: str = ""

    def events(self, kind: str) -> list[tuple[float, dict[str, Any]]]:
        """Messages of one Twilio event type, with their arrival times."""
        return [(t, m) for t, m in self.messages if m.get("event") == kind]

    def media_times(self, since: float = 0.0) -> list[float]:
        """Arrival times of the bot's ``media`` messages after ``since``."""
        return [t for t, _ in self.events("media") if t >= since]

    def audio(self, since: float = 0.0, until: float = float("inf")) -> bytes:
        """The bot's audio received in ``[since, until)``, decoded to 8 kHz 16-bit PCM."""
        payloads = (
            base64.b64decode(m["media"]["payload"])
            for t, m in self.events("media")
            if since <= t < until
        )
        return ulaw_to_pcm(b"".join(payloads))


@dataclass
class Call:
    """The identifiers of one simulated call."""

    stream_sid: str = field(default_factory=lambda: f"MZ{uuid.uuid4().hex}")
    call_sid: str = field(default_factory=lambda: f"CA{uuid.uuid4().hex}")
    account_sid: str = "AC" + "0" * 32
    parameters: dict[str, str] = field(default_factory=dict)
    from_number: str = "+15551230001"
    to_number: str = "+15559870002"

    def form(self, **extra: str) -> dict[str, str]:
        """The fields Twilio posts to the call's webhooks, plus ``extra``."""
        return {
            "CallSid": self.call_sid,
            "AccountSid": self.account_sid,
            "From": self.from_number,
            "To": self.to_number,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            **extra,
        }


class TwilioWebhooks:
    """Plays Twilio's webhook side of ``call`` against the server at ``base_url``.

    Twilio requests the absolute URLs the TwiML names; those must lie under ``public_url``
    (the server's base URL unless given), and are requested on ``base_url`` instead.
    """

    def __init__(
        self,
        base_url: str,
        call: Call,
        *,
        auth_token: str | None = None,
        public_url: str | None = None,
    ) -> None:
        self.base_url = base_url
        self.call = call
        self.public_url = public_url or base_url
        self._validator = RequestValidator(auth_token) if auth_token else None

    async def post(self, url: str, form: dict[str, str]) -> httpx.Response:
        """POST ``form`` to ``url`` (absolute, or a path under the public URL) like Twilio."""
        absolute = url if "://" in url else f"{self.public_url}{url}"
        assert absolute.startswith(f"{self.public_url}/"), f"{absolute} is not on this server"
        headers = {}
        if self._validator is not None:
            signature = self._validator.compute_signature(absolute, form)
            headers["X-Twilio-Signature"] = signature
        local = f"{self.base_url}{absolute.removeprefix(self.public_url)}"
        async with httpx.AsyncClient() as http:
            return await http.post(local, data=form, headers=headers)

    async def answer(self, query: str = "") -> ET.Element:
        """The TwiML ``/twilio/voice`` answers the incoming call with."""
        url = f"/twilio/voice?{query}" if query else "/twilio/voice"
        return twiml(await self.post(url, self.call.form()))

    async def key(self, action_url: str, digits: str | None) -> ET.Element:
        """Post ``digits`` (``None``: the Gather timed out) to ``action_url``; the TwiML."""
        extra = {"Digits": digits, "FinishedOnKey": "#"} if digits is not None else {}
        return twiml(await self.post(action_url, self.call.form(**extra)))


def twiml(response: httpx.Response) -> ET.Element:
    """The root ``<Response>`` of a webhook's TwiML answer."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    return root


def gather_action(root: ET.Element) -> str:
    """The action URL of the answer's DTMF ``<Gather>``."""
    gather = root.find("./Gather")
    assert gather is not None, ET.tostring(root, encoding="unicode")
    action = gather.get("action")
    assert action, "the Gather has no action"
    return action


def stream_parameters(root: ET.Element) -> dict[str, str]:
    """The ``<Parameter>``s of the answer's ``<Connect><Stream>``."""
    stream = root.find("./Connect/Stream")
    assert stream is not None, ET.tostring(root, encoding="unicode")
    return {str(p.get("name")): str(p.get("value")) for p in stream.findall("Parameter")}


async def sign_in(
    base_url: str,
    call: Call | None = None,
    *,
    pin: str = DEMO_PIN,
    auth_token: str | None = None,
    public_url: str | None = None,
) -> Call:
    """Dial in and key ``pin`` the way Twilio would; the call then carries its session id.

    Returns:
        ``call`` (or a new one) whose ``parameters`` are the ``<Stream>``'s, ``session_id``
        among them.
    """
    call = call or Call()
    hooks = TwilioWebhooks(base_url, call, auth_token=auth_token, public_url=public_url)
    answer = await hooks.answer()
    call.parameters = stream_parameters(await hooks.key(gather_action(answer), pin))
    assert call.parameters.get("session_id"), "no session id in the stream parameters"
    return call


def start_message(call: Call) -> dict[str, Any]:
    """The ``start`` event Twilio sends first on ``call``'s media stream."""
    return {
        "event": "start",
        "streamSid": call.stream_sid,
        "start": {
            "accountSid": call.account_sid,
            "streamSid": call.stream_sid,
            "callSid": call.call_sid,
            "tracks": ["inbound"],
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": RATE, "channels": 1},
            "customParameters": call.parameters,
        },
    }


class TwilioStreamClient:
    """Plays Twilio's part of a media stream against ``url``."""

    def __init__(
        self,
        url: str,
        call: Call | None = None,
        *,
        headers: dict[str, str] | None = None,
        send_start: bool = True,
    ) -> None:
        self.url = url
        self.call = call or Call()
        self.log = StreamLog()
        self._headers = headers or {}
        self._send_start = send_start
        self._ws: ClientConnection | None = None
        self._outgoing: asyncio.Queue[bytes] = asyncio.Queue()
        self._drained = asyncio.Event()
        self._changed = asyncio.Event()
        self._receiver: asyncio.Task[None] | None = None
        self._line: asyncio.Task[None] | None = None
        self._sequence = 0
        self._chunk = 0

    async def __aenter__(self) -> "TwilioStreamClient":
        self._ws = await websockets.connect(self.url, additional_headers=self._headers)
        self._receiver = asyncio.create_task(self._receive())
        await self.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        if self._send_start:
            await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.hang_up(send_stop=False)

    @property
    def ws(self) -> ClientConnection:
        """The open websocket."""
        assert self._ws is not None, "not connected"
        return self._ws

    async def send(self, message: dict[str, Any]) -> None:
        """Send one JSON message, numbered like Twilio numbers them."""
        self._sequence += 1
        await self.ws.send(json.dumps({**message, "sequenceNumber": str(self._sequence)}))

    async def send_raw(self, data: str | bytes) -> None:
        """Send exactly ``data`` (for malformed input)."""
        await self.ws.send(data)

    async def start(self) -> None:
        """Send ``start`` and begin streaming the line (silence until something is spoken)."""
        await self.send(start_message(self.call))
        self._line = asyncio.create_task(self._stream_line())

    async def speak(self, pcm: bytes) -> None:
        """Say 8 kHz 16-bit PCM on the line; returns once all of it has been sent."""
        ulaw = pcm_to_ulaw(pcm)
        self._drained.clear()
        for offset in range(0, len(ulaw), PACKET_BYTES):
            self._outgoing.put_nowait(
                ulaw[offset : offset + PACKET_BYTES].ljust(PACKET_BYTES, b"\xff")
            )
        await self._drained.wait()

    async def hang_up(self, *, send_stop: bool = True) -> None:
        """End the call like Twilio: ``stop``, then close the socket."""
        if self._line is not None:
            self._line.cancel()
            await asyncio.gather(self._line, return_exceptions=True)
        if self._ws is None:
            return
        if send_stop:
            with contextlib.suppress(websockets.ConnectionClosed):
                call = self.call
                stop = {"accountSid": call.account_sid, "callSid": call.call_sid}
                await self.send({"event": "stop", "streamSid": call.stream_sid, "stop": stop})
        await self._ws.close()
        if self._receiver is not None:
            await asyncio.gather(self._receiver, return_exceptions=True)

    async def wait_for(self, predicate: Callable[[StreamLog], bool], within: float) -> None:
        """Wait until ``predicate(log)`` holds.

        Raises:
            TimeoutError: It did not hold within ``within`` seconds.
        """
        async with asyncio.timeout(within):
            while not predicate(self.log):
                self._changed.clear()
                await self._changed.wait()

    async def wait_for_quiet(self, quiet_secs: float, within: float, since: float = 0.0) -> float:
        """Wait until the bot has sent media after ``since`` and then none for ``quiet_secs``.

        Returns:
            When the last media message before the quiet spell arrived.

        Raises:
            TimeoutError: That did not happen within ``within`` seconds.
        """
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            times = self.log.media_times(since)
            if times and time.monotonic() - times[-1] >= quiet_secs:
                return times[-1]
            await asyncio.sleep(0.05)
        raise TimeoutError(f"bot did not speak and fall quiet within {within} s")

    async def wait_closed(self, within: float) -> None:
        """Wait until the server closes the socket (see ``log.close_code``)."""
        assert self._receiver is not None, "not connected"
        async with asyncio.timeout(within):
            await asyncio.shield(self._receiver)

    async def _stream_line(self) -> None:
        next_send = time.monotonic()
        timestamp_ms = 0
        while True:
            try:
                payload = self._outgoing.get_nowait()
            except asyncio.QueueEmpty:
                payload = ULAW_SILENCE
                self._drained.set()
            self._chunk += 1
            media = {
                "track": "inbound",
                "chunk": str(self._chunk),
                "timestamp": str(timestamp_ms),
                "payload": base64.b64encode(payload).decode(),
            }
            try:
                await self.send(
                    {"event": "media", "streamSid": self.call.stream_sid, "media": media}
                )
            except websockets.ConnectionClosed:
                return
            timestamp_ms += int(PACKET_SECS * 1000)
            # Real time: one packet per 20 ms. After a stall (the test blocked the loop) the
            # clock restarts rather than bursting the backlog, as a phone line would.
            next_send = max(next_send + PACKET_SECS, time.monotonic() - _MAX_PACING_LAG)
            await asyncio.sleep(max(0.0, next_send - time.monotonic()))

    async def _receive(self) -> None:
        try:
            async for data in self.ws:
                self.log.messages.append((time.monotonic(), json.loads(data)))
                self._changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.log.close_code = self.ws.close_code
            self.log.close_reason = self.ws.close_reason or ""
            self._drained.set()
            self._changed.set()
