"""Phone PIN sign-in: the ``<Gather>``, ``/twilio/pin``, lockout, trusted callers, stream refusal.

Twilio's side is played by :class:`TwilioWebhooks`, which follows the absolute URLs in the
TwiML the way Twilio does (and signs them when the server requires signatures).
"""

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from loguru import logger
from twilio.request_validator import RequestValidator

from convonet.storage import users
from convonet.storage.redis import CallSessionRecord
from convonet.storage.seed import DEMO_PIN
from convonet.transports import twilio, twilio_twiml
from tests.conftest import LiveServer, connect
from tests.conftest import test_settings as make_settings
from tests.fakes.twilio_stream import (
    Call,
    TwilioStreamClient,
    TwilioWebhooks,
    gather_action,
    sign_in,
    stream_parameters,
)

pytestmark = pytest.mark.integration

TOKEN = "test-auth-token"
PUBLIC = "https://voice.example.com"
TRUSTED = "+15550001111"  # trusted, and a user's phone
TRUSTED_NOBODY = "+15550002222"  # trusted, but no user has this phone
WRONG = "86427531"  # a wrong PIN unlikely to occur in any log line by chance

T = TypeVar("T")


def run_on(server: LiveServer, coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the server's event loop (its database and Redis live there)."""
    return asyncio.run_coroutine_threadsafe(coro, server.loop).result(timeout=10)


async def stored(server: LiveServer, session_id: str) -> CallSessionRecord | None:
    future = asyncio.run_coroutine_threadsafe(
        server.runtime.store.get_session(session_id), server.loop
    )
    return await asyncio.wrap_future(future)


def text(root: ET.Element) -> str:
    """Everything the TwiML says."""
    return " ".join(root.itertext())


def hung_up(root: ET.Element) -> bool:
    """A goodbye: ``<Say>`` then ``<Hangup>``, no Gather and no stream."""
    tags = [child.tag for child in root]
    return tags == ["Say", "Hangup"]


def signed_hooks(server: LiveServer, number: str) -> TwilioWebhooks:
    """Twilio's webhooks for a new call from ``number`` to the strict server."""
    call = Call(from_number=number)
    return TwilioWebhooks(server.url, call, auth_token=TOKEN, public_url=PUBLIC)


@pytest.fixture(scope="module")
def strict_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Signatures required, the default lockout (5 failures), and one trusted caller."""
    settings = make_settings(
        tmp_path_factory.mktemp("strict"),
        public_url=PUBLIC,
        twilio_auth_token=TOKEN,
        twilio_trusted_callers=[TRUSTED, TRUSTED_NOBODY],
    )
    server = LiveServer(settings)
    server.start()

    async def add_trusted_user() -> None:
        async with server.runtime.db.session() as db:
            await users.create_user(
                db,
                pin_secret=settings.pin_hash_secret,
                email="trusty@example.com",
                name="Trusty Caller",
                phone=TRUSTED,
            )

    run_on(server, add_trusted_user())
    yield server
    server.stop()


async def test_voice_asks_for_the_pin_and_a_signed_right_pin_connects(
    strict_app: LiveServer,
) -> None:
    hooks = signed_hooks(strict_app, "+15551110001")
    answer = await hooks.answer("bot=assistant")
    gather = answer.find("./Gather")
    assert gather is not None
    action = f"{PUBLIC}/twilio/pin?attempt=1&bot=assistant"
    assert gather.attrib == {
        "input": "dtmf",
        "numDigits": "8",
        "finishOnKey": "#",
        "timeout": str(twilio_twiml.PIN_TIMEOUT_SECS),
        "action": action,
        "method": "POST",
    }
    assert "please enter your pin" in text(gather).lower()
    # Nothing keyed: say so and post to the same action without digits.
    assert [child.tag for child in answer] == ["Gather", "Say", "Redirect"]
    redirect = answer.find("./Redirect")
    assert redirect is not None and redirect.text == action
    assert answer.find("./Connect") is None

    # TwilioWebhooks signs the action URL exactly as given: the server must accept it.
    connected = await hooks.key(action, DEMO_PIN)
    stream = connected.find("./Connect/Stream")
    assert stream is not None
    assert stream.get("url") == "wss://voice.example.com/twilio/ws"
    session_id = stream_parameters(connected)["session_id"]
    record = await stored(strict_app, session_id)
    assert record is not None
    assert (record.user_name, record.channel, record.bot) == ("Demo User", "twilio", "assistant")
    assert record.metadata["call_sid"] == hooks.call.call_sid
    assert record.metadata["from_number"] == "+15551110001"
    assert record.metadata["to_number"] == hooks.call.to_number


async def test_pin_webhook_requires_a_valid_signature(strict_app: LiveServer) -> None:
    url = f"{PUBLIC}/twilio/pin?attempt=1&bot=assistant"
    form = Call(from_number="+15551110002").form(Digits=DEMO_PIN)
    validator = RequestValidator(TOKEN)
    path = "/twilio/pin?attempt=1&bot=assistant"
    async with httpx.AsyncClient(base_url=strict_app.url) as http:
        unsigned = await http.post(path, data=form)
        wrong_url = await http.post(
            path,
            data=form,
            headers={"X-Twilio-Signature": validator.compute_signature(url + "x", form)},
        )
        tampered = await http.post(
            path,
            data=form,
            headers={
                "X-Twilio-Signature": validator.compute_signature(url, {**form, "Digits": "0000"})
            },
        )
        signed = await http.post(
            path, data=form, headers={"X-Twilio-Signature": validator.compute_signature(url, form)}
        )
    assert (unsigned.status_code, wrong_url.status_code, tampered.status_code) == (403, 403, 403)
    assert signed.status_code == 200
    assert "session_id" in stream_parameters(ET.fromstring(signed.text))


async def test_wrong_pins_ask_again_then_say_goodbye(live_app: LiveServer) -> None:
    hooks = TwilioWebhooks(live_app.url, Call(from_number="+15551110003"))
    action = gather_action(await hooks.answer())
    assert action == f"{live_app.url}/twilio/pin?attempt=1&bot=assistant"
    for attempt, digits in ((2, WRONG), (3, "9" * 5000)):
        answer = await hooks.key(action, digits)
        action = gather_action(answer)
        assert action.endswith(f"/twilio/pin?attempt={attempt}&bot=assistant")
        assert "not correct" in text(answer)
    last = await hooks.key(action, "0000")
    assert hung_up(last)
    assert "not correct" in text(last) and "goodbye" in text(last).lower()


async def test_nothing_keyed_uses_an_attempt_but_counts_no_failure(
    strict_app: LiveServer,
) -> None:
    number = "+15551110004"
    for _call in range(2):  # 6 silent attempts: more than the 5 failures of the lockout
        hooks = signed_hooks(strict_app, number)
        action = gather_action(await hooks.answer())
        for _ in range(2):
            answer = await hooks.key(action, None)
            assert "not correct" not in text(answer)
            action = gather_action(answer)
        last = await hooks.key(action, None)
        assert hung_up(last)
        assert "did not receive" in text(last)
    call = await sign_in(
        strict_app.url, Call(from_number=number), auth_token=TOKEN, public_url=PUBLIC
    )
    assert call.parameters["session_id"]


async def test_caller_number_is_locked_out_after_five_failures(strict_app: LiveServer) -> None:
    locked, other = "+15551110005", "+15551110006"
    first = signed_hooks(strict_app, locked)
    action = gather_action(await first.answer())
    for _ in range(2):
        action = gather_action(await first.key(action, WRONG))
    assert hung_up(await first.key(action, WRONG))  # failures 1-3: the call's tries are used

    second = signed_hooks(strict_app, locked)
    action = gather_action(await second.answer())
    for _ in range(2):  # failures 4 and 5
        action = gather_action(await second.key(action, WRONG))
    refused = await second.key(action, DEMO_PIN)  # right PIN, but the number is locked
    assert hung_up(refused)
    assert "too many attempts" in text(refused)

    third = signed_hooks(strict_app, locked)
    refused = await third.key(gather_action(await third.answer()), DEMO_PIN)
    assert hung_up(refused) and "too many attempts" in text(refused)

    fine = await sign_in(
        strict_app.url, Call(from_number=other), auth_token=TOKEN, public_url=PUBLIC
    )
    assert fine.parameters["session_id"]


async def test_trusted_caller_skips_the_pin(strict_app: LiveServer) -> None:
    trusted = signed_hooks(strict_app, TRUSTED)
    answer = await trusted.answer()
    assert answer.find("./Gather") is None
    record = await stored(strict_app, stream_parameters(answer)["session_id"])
    assert record is not None
    assert record.user_name == "Trusty Caller"
    assert record.metadata["call_sid"] == trusted.call.call_sid
    # A trusted number nobody owns, and an untrusted one, are asked for the PIN.
    for number in (TRUSTED_NOBODY, "+15551110007"):
        answer = await signed_hooks(strict_app, number).answer()
        assert answer.find("./Connect") is None
        assert gather_action(answer).startswith(f"{PUBLIC}/twilio/pin?attempt=1")


async def test_the_pin_is_never_logged(live_app: LiveServer) -> None:
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(str(message)), level="DEBUG")
    try:
        hooks = TwilioWebhooks(live_app.url, Call(from_number="+15551110008"))
        action = gather_action(await hooks.answer())
        assert "not correct" in text(await hooks.key(action, WRONG))
    finally:
        logger.remove(sink)
    assert any("wrong PIN" in line for line in lines), lines
    assert not [line for line in lines if WRONG in line]


# --- the media stream's session -------------------------------------------------------------


def stream_url(server: LiveServer) -> str:
    return f"ws://127.0.0.1:{server.port}/twilio/ws"


async def refused(server: LiveServer, call: Call) -> str:
    """Open a stream for ``call``; assert it is closed as unauthorized and return the reason."""
    async with TwilioStreamClient(stream_url(server), call) as client:
        await client.wait_closed(within=5)
    assert client.log.close_code == twilio.CLOSE_UNAUTHORIZED, client.log.close_reason
    assert not client.log.events("media")
    return client.log.close_reason


async def test_stream_without_a_valid_session_is_refused(live_app: LiveServer) -> None:
    assert "session_id" in await refused(live_app, Call())
    assert "session" in await refused(live_app, Call(parameters={"session_id": "f" * 32}))
    assert "session" in await refused(live_app, Call(parameters={"session_id": "x" * 5000}))
    # A browser session, or another call's session, does not admit this call.
    browser = await connect(live_app.url)
    call = Call(parameters={"session_id": str(browser["session_id"])})
    assert "another call" in await refused(live_app, call)
    signed_in = await sign_in(live_app.url)
    assert "another call" in await refused(live_app, Call(parameters=signed_in.parameters))


async def test_second_stream_for_a_session_is_refused(live_app: LiveServer) -> None:
    call = await sign_in(live_app.url)
    async with TwilioStreamClient(stream_url(live_app), call) as first:
        await first.wait_for(lambda log: bool(log.events("media")), within=10)
        replay = Call(call_sid=call.call_sid, parameters=call.parameters)
        assert "already" in await refused(live_app, replay)
        assert first.log.close_code is None
        assert live_app.runtime.live.by_channel().get("twilio") == 1
