"""Fuzzing every input surface with ``hypothesis``: a clear error each time, nobody else hurt.

A server of its own (the lockouts raised, since thousands of wrong PINs are the point) takes
generated input on each surface: protobuf frames and RTVI messages on ``/ws``, the JSON bodies
of ``/api/connect`` and ``/agent/process``, PINs, JWTs, and Twilio's webhooks. Each input gets
a clear answer (a 4xx with a reason, an RTVI error, or a normal answer) and never a 5xx; a
neighbouring call stays live and answering throughout. The number of inputs tried per surface
is printed at the end. The default run is short (``EXAMPLES`` each); ``slow`` runs many more.
"""

import asyncio
import json
import string
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from typing import Any

import httpx
import pytest
from google.protobuf.message import DecodeError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pipecat.frames.protobufs import frames_pb2
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from convonet.bench.client import rtvi_message
from convonet.storage.seed import DEMO_PIN
from tests.conftest import FUZZED, LiveServer
from tests.conftest import test_settings as make_settings
from tests.fakes.twilio_stream import sign_in, start_message

pytestmark = pytest.mark.integration

EXAMPLES = 25  # per surface in the default, short run
SLOW_EXAMPLES = 400
PROBE_SECS = 15.0
_PINGS = count()

json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=40)
json_values = st.recursive(
    json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on its own server, lockouts out of the way (wrong PINs are the input here)."""
    server = LiveServer(
        make_settings(
            tmp_path_factory.mktemp("fuzz"),
            auth_max_failures=10**7,
            auth_pin_only_budget=10**7,
        )
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Counter[str]]:
    """Inputs tried per surface; the run's totals are printed at the end (tests/conftest.py)."""
    counts: Counter[str] = Counter()
    yield counts
    # user_properties travel with the report, so the totals add up under pytest-xdist too.
    request.node.user_properties.append((FUZZED, dict(counts)))


def _runs(examples: int):  # type: ignore[no-untyped-def]
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def _open(url: str) -> ClientConnection:
    """A client socket that keeps reading while the test is busy elsewhere.

    Its queue is unbounded, so keepalive pongs never wait behind unread bot audio.
    """
    return ws_connect(url, max_size=None, max_queue=None)


def _ws_url(server: LiveServer) -> str:
    response = httpx.post(f"{server.url}/api/connect", json={"pin": DEMO_PIN}, timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["ws_url"])


def _messages(ws: ClientConnection, timeout: float) -> Iterator[dict[str, Any]]:
    """RTVI messages arriving on ``ws`` (audio and other frames skipped) until ``timeout``."""
    while True:
        raw = ws.recv(timeout=timeout)
        if isinstance(raw, str):
            continue
        frame = frames_pb2.Frame()  # type: ignore[attr-defined]
        frame.ParseFromString(raw)
        if frame.WhichOneof("frame") == "message":
            yield json.loads(frame.message.data)


def _answers(ws: ClientConnection) -> list[dict[str, Any]]:
    """Check the call still answers (an unknown RTVI type echoes an error-response by id).

    Returns:
        The RTVI messages that arrived before the answer.
    """
    ping = f"ping-{next(_PINGS)}"
    ws.send(rtvi_message({"label": "rtvi-ai", "type": "zz-ping", "id": ping, "data": {}}))
    before: list[dict[str, Any]] = []
    for message in _messages(ws, PROBE_SECS):
        if message.get("type") == "error-response" and message.get("id") == ping:
            return before
        before.append(message)
    raise AssertionError("unreachable")


@contextmanager
def _neighbour(server: LiveServer) -> Iterator[ClientConnection]:
    """A live call beside the fuzzing; it must still answer when the fuzzing is over."""
    with _open(_ws_url(server)) as ws:
        _answers(ws)
        yield ws
        _answers(ws)


def _expected_error(payload: bytes) -> bool:
    """Whether pipecat's protobuf cannot turn ``payload`` into a frame (so we must say so)."""
    frame = frames_pb2.Frame()  # type: ignore[attr-defined]
    try:
        frame.ParseFromString(payload)
    except DecodeError:
        return True
    return frame.WhichOneof("frame") is None


def _fuzz_ws_frames(server: LiveServer, tally: Counter[str], examples: int) -> None:
    with _open(_ws_url(server)) as ws:

        @_runs(examples)
        @given(st.binary(max_size=2048))
        def one(payload: bytes) -> None:
            tally["ws protobuf frames"] += 1
            ws.send(payload)
            heard = _answers(ws)  # the call survives every frame
            if _expected_error(payload):
                errors = [m for m in heard if m.get("type") == "error"]
                if not errors:  # the error may come just after the probe's answer
                    errors = [next(m for m in _messages(ws, PROBE_SECS) if m["type"] == "error")]
                assert "bad input" in errors[0]["data"]["error"]
                assert errors[0]["data"]["fatal"] is False

        one()


rtvi_types = st.sampled_from(
    ["client-ready", "client-message", "send-text", "ui-event", "ui-snapshot", "dtmf",
     "raw-audio", "llm-function-call-result", "send-file", "ui-cancel-job-group"]
) | st.text(string.ascii_lowercase + "-", max_size=20)  # fmt: skip
rtvi_messages = st.fixed_dictionaries(
    {"label": st.sampled_from(["rtvi-ai", "rtvi-ai", "other"]), "type": rtvi_types},
    optional={"id": st.text(max_size=20) | st.integers(), "data": json_values},
)


def _fuzz_rtvi(server: LiveServer, tally: Counter[str], examples: int) -> None:
    with _open(_ws_url(server)) as ws:

        @_runs(examples)
        @given(rtvi_messages)
        def one(message: dict[str, Any]) -> None:
            tally["rtvi messages"] += 1
            ws.send(rtvi_message(message))
            _answers(ws)

        one()


def _assert_clear(response: httpx.Response, allowed: set[int]) -> None:
    assert response.status_code in allowed, (response.status_code, response.text[:300])
    if response.status_code >= 400 and "json" in response.headers.get("content-type", ""):
        assert response.json().get("detail"), response.text[:300]


def _fuzz_http(server: LiveServer, tally: Counter[str], examples: int) -> None:
    http = httpx.Client(base_url=server.url, timeout=30)
    session = http.post("/api/connect", json={"pin": DEMO_PIN}).json()
    text_auth = {"Authorization": f"Bearer {session['session_token']}"}
    clear = {200, 204, 400, 401, 403, 404, 413, 415, 422, 429, 503}  # 503: busy, with a reason

    @_runs(examples)
    @given(json_values)
    def connect_body(body: Any) -> None:
        tally["/api/connect JSON"] += 1
        response = http.post("/api/connect", json=body)
        _assert_clear(response, clear)
        if response.status_code == 200:  # a valid sign-in: it must be the demo PIN
            assert isinstance(body, dict) and body.get("pin") == DEMO_PIN

    @_runs(examples)
    @given(st.text(max_size=80))
    def pin(candidate: str) -> None:
        tally["PINs"] += 1
        response = http.post("/api/connect", json={"pin": candidate})
        _assert_clear(response, clear)
        assert (response.status_code == 200) == (candidate == DEMO_PIN)

    @_runs(examples)
    @given(json_values | st.fixed_dictionaries({"text": st.text(max_size=200)}))
    def agent_body(body: Any) -> None:
        tally["/agent/process JSON"] += 1
        if isinstance(body, dict) and "session_id" not in body:
            body = {**body, "session_id": session["session_id"]}
        _assert_clear(http.post("/agent/process", json=body, headers=text_auth), clear)

    header_safe = st.text(string.ascii_letters + string.digits + "-_.=+/", min_size=1, max_size=300)

    @_runs(examples)
    @given(header_safe | header_safe.map(lambda tail: session["session_token"][:-8] + tail))
    def jwt(token: str) -> None:
        tally["JWTs"] += 1
        auth = {"Authorization": f"Bearer {token}"}
        response = http.get("/api/auth/me", headers=auth)
        _assert_clear(response, {401, 403} if token != session["session_token"] else {200, 403})

    form = st.dictionaries(
        st.sampled_from(["CallSid", "From", "To", "Digits", "CallStatus", "AccountSid", "x"]),
        st.text(max_size=40),
    )

    @_runs(examples)
    @given(st.sampled_from(["/twilio/voice", "/twilio/pin", "/twilio/status"]), form)
    def twilio_webhook(path: str, fields: dict[str, str]) -> None:
        tally["Twilio webhooks"] += 1
        _assert_clear(http.post(path, data=fields), clear)

    try:
        for surface in (connect_body, pin, agent_body, jwt, twilio_webhook):
            surface()
    finally:
        http.close()


twilio_messages = st.fixed_dictionaries(
    {
        "event": st.sampled_from(["media", "mark", "dtmf", "start", "connected"])
        | st.text(max_size=12)
    },
    optional={
        "streamSid": st.text(max_size=40),
        "sequenceNumber": st.text(max_size=6) | st.integers(),
        "media": st.fixed_dictionaries({}, optional={"payload": st.text(max_size=200)})
        | json_values,
        "mark": json_values,
        "dtmf": st.fixed_dictionaries({"digit": st.text(max_size=3)}) | json_values,
        "start": json_values,
    },
)


def _phone_stream(server: LiveServer) -> tuple[ClientConnection, str]:
    """A live phone call: signed in through the webhooks, its media stream started."""
    call = asyncio.run(sign_in(server.url))
    ws = _open(f"ws://127.0.0.1:{server.port}/twilio/ws")
    ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
    ws.send(json.dumps(start_message(call)))
    return ws, call.parameters["session_id"]


def _fuzz_twilio_stream(server: LiveServer, tally: Counter[str], examples: int) -> None:
    ws, session_id = _phone_stream(server)
    live = server.runtime.live
    with ws:
        ws.recv(timeout=PROBE_SECS)  # the call is up: the greeting's audio is coming
        assert live.handle(session_id) is not None

        @_runs(examples)
        @given(twilio_messages.map(json.dumps) | st.text(max_size=200))
        def one(message: str) -> None:
            tally["Twilio stream messages"] += 1
            ws.send(message)
            ws.ping().wait(PROBE_SECS)  # the server has read it (messages are in order)
            assert live.handle(session_id) is not None  # the call goes on

        one()
        time.sleep(1.0)  # a failure the last input caused would have ended the call by now
        assert live.handle(session_id) is not None


SURFACES = {
    "ws": _fuzz_ws_frames,
    "rtvi": _fuzz_rtvi,
    "http": _fuzz_http,
    "twilio-stream": _fuzz_twilio_stream,
}


@pytest.mark.parametrize("surface", sorted(SURFACES))
def test_fuzzed_input_gets_a_clear_answer_and_the_neighbour_keeps_talking(
    fuzz_app: LiveServer, tally: Counter[str], surface: str
) -> None:
    with _neighbour(fuzz_app):
        SURFACES[surface](fuzz_app, tally, EXAMPLES)
    assert fuzz_app.runtime.ready


@pytest.mark.slow
@pytest.mark.parametrize("surface", sorted(SURFACES))
def test_long_fuzzing(fuzz_app: LiveServer, tally: Counter[str], surface: str) -> None:
    with _neighbour(fuzz_app):
        SURFACES[surface](fuzz_app, tally, SLOW_EXAMPLES)
