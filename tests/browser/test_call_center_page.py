"""``/call-center`` in headless Chromium, registered with a real Kamailio on loopback.

A customer asks the text agent (``POST /agent/process``) for a person; a second page, a JsSIP
caller standing in for the PBX leg (fake microphone: a WAV of speech), then calls the
support extension with that transfer's ``X-Convonet-*`` headers. The agent's page rings,
shows the customer's popup, answers; both pages measure the audio they receive; hold and
unhold change the negotiated media direction; hang-up goes through wrap-up back to ready,
and the history and metrics show the call. Two more calls are handed on to a desk-phone page:
blind (REFER) and attended (consultation, then REFER with Replaces). Two fault runs: the SIP
server down (then back) and a wrong SIP password. Needs ``kamailio`` +
``kamailio-websocket-modules`` (Debian), ``/usr/bin/chromium`` and ``npm ci --prefix web``.
"""

import asyncio
import json
import re
import shutil
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select

from convonet.settings import Settings
from convonet.sip.accounts import load_directory
from convonet.sip.kamailio import KamailioProcess, SipAccount, SipServerConfig
from convonet.storage.models import CallCenterAgent, User
from convonet.storage.seed import DEMO_EMAIL, DEMO_EXTENSION, DEMO_PASSWORD
from convonet.storage.users import create_user
from convonet.transfer.context import Customer, TransferContext, transcript_of
from tests.browser.test_voice_assistant_page import needs_browser
from tests.conftest import LiveServer, free_port, session_auth
from tests.fakes.speech import silence, synthesize, to_wav

DRIVER = Path(__file__).with_name("drive_call_center.mjs")
DOMAIN = "127.0.0.1"
TRUNK = SipAccount("pbx", uuid.uuid4().hex)  # the PBX leg's account on the test server
DESK = SipAccount("desk", uuid.uuid4().hex)  # a desk phone, target of the blind transfer
CUSTOMER = {"email": "jordan.lee@example.com", "name": "Jordan Lee", "pin": "864213"}
CUSTOMER_NUMBER = "+15550142"
T = TypeVar("T")

needs_kamailio = pytest.mark.skipif(
    shutil.which("kamailio") is None and not Path("/usr/sbin/kamailio").exists(),
    reason="needs kamailio + kamailio-websocket-modules (apt-get install)",
)
pytestmark = [pytest.mark.browser, pytest.mark.integration, needs_browser, needs_kamailio]


def on_server(server: LiveServer, coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the server's loop (its database engine lives there)."""
    return asyncio.run_coroutine_threadsafe(coro, server.loop).result(timeout=30)


@dataclass
class Phones:
    """The shared app pointed at a Kamailio of its own."""

    server: LiveServer
    sip: KamailioProcess
    shots: Path

    @property
    def ws_url(self) -> str:
        return self.sip.config.ws_url


def _point_at(settings: Settings, **values: object) -> dict[str, object]:
    """Set fields of the running app's settings; returns the old values."""
    old = {name: getattr(settings, name) for name in values}
    for name, value in values.items():
        setattr(settings, name, value)
    return old


async def _add_customer(server: LiveServer) -> None:
    async with server.runtime.db.session() as session:
        if await session.scalar(select(User).where(User.email == CUSTOMER["email"])):
            return
        await create_user(
            session,
            pin_secret=server.settings.pin_hash_secret,
            roles=["user"],
            phone=CUSTOMER_NUMBER,
            **CUSTOMER,
        )


@pytest.fixture(scope="module")
def phones(live_app: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Phones]:
    """Kamailio on free loopback ports, the app's SIP and wrap-up settings pointing at it."""
    work = tmp_path_factory.mktemp("sip")
    config = SipServerConfig(DOMAIN, "127.0.0.1", free_port(), free_port(), work / "kamailio")
    settings = live_app.runtime.settings  # what the API and the page's CSP read per request
    old = _point_at(
        settings,
        sip_domain=DOMAIN,
        sip_ws_port=config.ws_port,
        sip_ws_secure=False,
        call_center_wrap_up_secs=2.0,
    )
    on_server(live_app, _add_customer(live_app))
    directory = on_server(live_app, load_directory(live_app.runtime.db))
    directory.accounts += [TRUNK, DESK]
    sip = KamailioProcess(config, directory)
    sip.start()
    try:
        yield Phones(live_app, sip, tmp_path_factory.mktemp("shots"))
    finally:
        sip.stop()
        _point_at(settings, **old)


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sentence between silences for both fake microphones (Chromium loops it)."""
    rate = 16000
    pcm = synthesize("Hello, I need help with my account.", rate) + silence(0.3, rate)
    path = tmp_path_factory.mktemp("audio") / "caller.wav"
    path.write_bytes(to_wav(pcm, rate))
    return path


async def _driver(*extra: str, on_line: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the Node driver; ``on_line`` maps a printed line to a callable run when it shows."""
    command = ["node", str(DRIVER), "--email", DEMO_EMAIL, "--password", DEMO_PASSWORD, *extra]
    driver = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    assert driver.stdout is not None and driver.stderr is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(90):
            while raw := await driver.stdout.readline():
                line = raw.decode().strip()
                lines.append(line)
                if on_line and line in on_line:
                    await asyncio.to_thread(on_line[line])
            err = (await driver.stderr.read()).decode()
            await driver.wait()
    finally:
        if driver.returncode is None:
            driver.kill()
    assert lines, f"driver printed nothing; stderr:\n{err[-2000:]}"
    result: dict[str, Any] = json.loads(lines[-1])
    assert driver.returncode == 0 and result["ok"], f"failed at {result.get('step')}: {result}"
    return result


async def _transfer(server: LiveServer) -> dict[str, str]:
    """A real transfer: the customer asks the text agent for a person; its SIP headers."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        started = (await http.post("/api/connect", json={"pin": CUSTOMER["pin"]})).json()
        session_id = str(started["session_id"])
        answer = await http.post(
            "/agent/process",
            headers=session_auth(started),
            json={"text": "I want to talk to a person, please.", "session_id": session_id},
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["transfer"]["extension"] == DEMO_EXTENSION
    record = on_server(server, server.runtime.store.get_transfer(session_id))
    assert record is not None
    call_sid = record.call_sid or on_server(server, _context_for_text_session(server, record))
    return {"session_id": session_id, "call_sid": call_sid}


async def _context_for_text_session(server: LiveServer, record: Any) -> str:
    """The agent's context of a text transfer, where the transfer service wrote none.

    A text session has no call SID, so ``record_request`` stores no
    ``callcenter:customer:{extension}:{call_sid}``; until transfers of text sessions get a
    SID of their own this writes the context from the session's ``calls`` row (the
    transcript and summary the transfer did record) under a ``text-`` SID.
    """
    from convonet.storage.models import Call

    call_sid = f"text-{uuid.uuid4().hex[:16]}"
    async with server.runtime.db.session() as session:
        row = await session.scalar(select(Call).where(Call.session_id == record.session_id))
        assert row is not None and row.transcript
        row.call_sid = call_sid
        user = await session.get(User, row.user_id)
        context = TransferContext(
            call_sid=call_sid,
            session_id=record.session_id,
            extension=record.extension,
            department=record.department,
            reason=record.reason,
            channel=row.channel,
            caller_number=user.phone if user else None,
            customer=Customer.of(user, row.user_id),
            transcript=transcript_of(
                [{"role": t["role"], "content": t["text"]} for t in row.transcript],
                server.runtime.store.now_iso(),
            ),
            summary=row.summary or "",
            created_at=server.runtime.store.now_iso(),
        )
    await server.runtime.store.save_transfer_context(
        record.extension, call_sid, context.model_dump_json(), 600
    )
    return call_sid


async def test_transferred_call_rings_answers_holds_and_is_transferred_on(
    phones: Phones, speech_wav: Path
) -> None:
    headers = await _transfer(phones.server)
    result = await _driver(
        "--url", phones.server.url, "--scenario", "call", "--wav", str(speech_wav),
        "--shots", str(phones.shots), "--ws-url", phones.ws_url,
        "--caller-uri", f"sip:{TRUNK.username}@{DOMAIN}", "--caller-password", TRUNK.password,
        "--target", f"sip:{DEMO_EXTENSION}@{DOMAIN}", "--caller-number", CUSTOMER_NUMBER,
        "--call-sid", headers["call_sid"], "--session-id", headers["session_id"],
        "--desk-user", DESK.username, "--desk-password", DESK.password,
    )  # fmt: skip

    popup = result["popup"]
    assert popup["name"] == CUSTOMER["name"], popup
    assert popup["source"] == "from the transfer", popup
    assert any("talk to a person" in line for line in popup["transcript"]), popup
    assert "talk to a person" in popup["summary"]
    # Speech at the fake microphones arrives at the far end, both ways.
    assert result["levels"]["agentHears"] > 0.01, result["levels"]
    assert result["levels"]["callerHears"] > 0.01, result["levels"]
    assert result["directions"] == {
        "up": {"agent": "sendrecv", "caller": "sendrecv"},
        "held": {"agent": "sendonly", "caller": "recvonly"},
        "resumed": {"agent": "sendrecv", "caller": "sendrecv"},
    }
    assert result["heldOnServer"] is True
    assert result["dtmf"] == "Sent tone 5"
    assert result["wrapUpShown"]
    history = result["history"]
    assert CUSTOMER["name"] in history and "completed" in history, history
    metrics = result["metrics"]
    assert metrics["Calls handled"] == "1" and metrics["Answer rate"] == "100%", metrics
    assert re.fullmatch(r"\d+:\d\d", metrics["Average handle time"]), metrics
    assert metrics["Average handle time"] != "0:00", metrics
    # The second call: answered, then sent to the desk phone by REFER, which the PBX leg
    # followed; the agent is in wrap-up and the history says "transferred".
    assert result["transfer"] == {"status": "Transferred to desk.", "referredTo": "desk"}
    # The third: the agent consults the desk (caller on hold), then REFER with Replaces.
    assert result["consultHeld"] is True
    assert result["attended"] == "Transferred to desk (attended)."
    for name in ("idle", "ringing", "on_call"):
        assert (phones.shots / f"{name}.png").stat().st_size > 20_000
    assert not [line for line in result["console"] if "pageerror" in line], result["console"]


async def test_sip_server_down_says_disconnected_and_reconnects(phones: Phones) -> None:
    phones.sip.stop()
    try:
        result = await _driver(
            "--url", phones.server.url, "--scenario", "down", on_line={"DOWN": phones.sip.start}
        )  # fmt: skip
    finally:
        if not phones.sip.running:
            phones.sip.start()
    assert result["badge"] == "Phone disconnected"
    assert "Phone disconnected" in result["error"] and phones.ws_url in result["error"]
    assert result["after"] == "Phone ready" and result["errorHidden"]


async def test_wrong_sip_password_is_a_clear_error(phones: Phones) -> None:
    async def set_password(password: str) -> str:
        async with phones.server.runtime.db.session() as session:
            agent = await session.scalar(
                select(CallCenterAgent).where(CallCenterAgent.extension == DEMO_EXTENSION)
            )
            assert agent is not None and agent.sip_password
            old, agent.sip_password = agent.sip_password, password
            return old

    right = on_server(phones.server, set_password("not-the-password"))
    try:
        result = await _driver("--url", phones.server.url, "--scenario", "wrong-password")
    finally:
        on_server(phones.server, set_password(right))
    assert result["badge"] == "Phone error"
    assert "Wrong SIP credentials" in result["error"]
    assert f"sip:{DEMO_EXTENSION}@{DOMAIN}" in result["error"] and "401" in result["error"]
