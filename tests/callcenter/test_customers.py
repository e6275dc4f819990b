"""The customer popup: transfer context, the database when it expired, team scoping."""

import uuid
from datetime import timedelta

import pytest

from convonet.bots.assistant import BOT
from convonet.session import CallSession
from convonet.storage.models import Call, utcnow
from convonet.storage.models.calls import TransferOutcome
from convonet.storage.redis import Keys
from convonet.transfer.records import record_request
from convonet.transfer.service import DepartmentInfo, TransferService
from tests.callcenter.conftest import API, Desk, Person

pytestmark = pytest.mark.asyncio(loop_scope="package")

CONVERSATION = [
    {"role": "user", "content": "My router keeps dropping the connection."},
    {"role": "assistant", "content": "Have you tried restarting it?"},
    {"role": "user", "content": "Yes. I want to talk to a real person."},
]


async def _transfer(desk: Desk, customer: Person, phone: str) -> tuple[str, str]:
    """A phone call of ``customer`` transferred to support; returns its SID and session.

    Recorded as the call's own process does (:func:`record_request`).
    """
    runtime = desk.runtime(1)
    call_sid, session_id = f"CA{uuid.uuid4().hex}", f"s-{uuid.uuid4().hex[:12]}"
    session = CallSession(
        session_id=session_id, bot=BOT, llm="offline", channel="twilio", stt="whisper",
        tts="piper", user_id=customer.user_id,
        metadata={"call_sid": call_sid, "from_number": phone},
    )  # fmt: skip
    started = await TransferService(runtime.store).start(
        session_id, "support", [DepartmentInfo("support", "2001")], reason="router"
    )
    assert started.record is not None
    await record_request(
        runtime.db,
        runtime.store,
        session,
        started.record,
        CONVERSATION,
        context_ttl_secs=60,
        call_sid=call_sid,
    )
    return call_sid, session_id


async def _earlier_unanswered_call(desk: Desk, customer: Person) -> str:
    async with desk.runtime().db.session() as session:
        row = Call(
            session_id=f"old-{uuid.uuid4().hex[:12]}", channel="twilio", user_id=customer.user_id,
            started_at=utcnow() - timedelta(days=2), transcript=[], details={},
            summary="Caller asked for billing.", transfer_outcome=TransferOutcome.NO_ANSWER,
        )  # fmt: skip
        session.add(row)
        await session.flush()
        return row.id


def _phone() -> str:
    return f"+1555{uuid.uuid4().int % 10**7:07d}"


async def test_the_popup_comes_from_the_transfer_context_then_from_the_database(
    desk: Desk,
) -> None:
    agent = await desk.person()
    phone = _phone()
    customer = await desk.person(
        roles=("user",), agent=False, team_id=agent.team_id, phone=phone, name="Ann Lee"
    )
    earlier = await _earlier_unanswered_call(desk, customer)
    call_sid, session_id = await _transfer(desk, customer, phone)
    async with desk.client(agent) as http:
        await http.post(f"{API}/agent/login")
        await http.post(f"{API}/agent/ready")
        rang = await http.post(
            f"{API}/call/ringing", json={"call_sid": call_sid, "session_id": session_id}
        )
        assert rang.status_code == 200, rang.text
        popup = rang.json()["popup"]
        assert popup["source"] == "transfer_context"
        assert (popup["department"], popup["reason"], popup["caller_number"]) == (
            "support", "router", phone,
        )  # fmt: skip
        assert [line["text"] for line in popup["transcript"]] == [
            m["content"] for m in CONVERSATION
        ]
        assert "My router keeps dropping the connection." in popup["summary"]
        record = popup["customer"]
        assert (record["id"], record["name"], record["phone"]) == (
            customer.user_id,
            "Ann Lee",
            phone,
        )
        assert record["email"] == customer.email and record["account_status"] == "active"
        assert [case["call_id"] for case in record["open_cases"]] == [earlier]
        assert record["open_cases"][0]["outcome"] == "no_answer"
        assert record["last_contact"] is not None  # the earlier call (not this one)
        status = rang.json()["status"]
        assert status["current_call"]["customer_name"] == "Ann Lee"
        assert status["current_call"]["call_id"] == popup["call_id"]

        again = await http.get(f"{API}/customer/{customer.user_id}")
        assert again.status_code == 200 and again.json()["name"] == "Ann Lee"
        looked = await http.get(
            f"{API}/customer/lookup", params={"call_sid": call_sid, "extension": "2001"}
        )
        assert looked.json()["source"] == "transfer_context"
        admin = await desk.person(roles=("admin",), agent=False)  # of no team here
        async with desk.client(admin) as other:
            seen = (await other.get(f"{API}/customer/lookup", params={"call_sid": call_sid})).json()
            assert seen["source"] == "transfer_context" and seen["customer"]["name"] == "Ann Lee"

        # The context expires: the popup still shows what the database knows.
        await desk.runtime().store.redis.delete(Keys.callcenter_customer("2001", call_sid))
        expired = (await http.get(f"{API}/customer/lookup", params={"call_sid": call_sid})).json()
        assert expired["source"] == "database" and expired["call_id"] == popup["call_id"]
        assert expired["transcript"] == popup["transcript"]
        assert expired["summary"] == popup["summary"] and expired["department"] == "support"
        assert expired["customer"]["name"] == "Ann Lee"
        by_number = (
            await http.get(f"{API}/customer/lookup", params={"caller_number": phone})
        ).json()
        assert by_number["source"] == "database" and by_number["customer"]["id"] == customer.user_id


async def test_another_teams_customers_and_calls_stay_hidden(desk: Desk) -> None:
    agent = await desk.person()
    phone = _phone()
    customer = await desk.person(roles=("user",), agent=False, team_id=agent.team_id, phone=phone)
    call_sid, session_id = await _transfer(desk, customer, phone)
    stranger = await desk.person(department="sales")
    async with desk.client(stranger) as http:
        assert (await http.get(f"{API}/customer/{customer.user_id}")).status_code == 404
        assert (await http.get(f"{API}/customer/{'0' * 32}")).status_code == 404
        hidden = await http.get(
            f"{API}/customer/lookup",
            params={"call_sid": call_sid, "session_id": session_id, "caller_number": phone},
        )
        assert hidden.status_code == 200
        assert hidden.json()["source"] == "unknown" and hidden.json()["customer"] is None
        assert hidden.json()["transcript"] == [] and hidden.json()["summary"] is None
        foreign = await http.get(
            f"{API}/customer/lookup", params={"call_sid": call_sid, "extension": "2001"}
        )
        assert foreign.status_code == 403 and "2001" in foreign.json()["detail"]
        # Claiming the call rings here reveals nothing either.
        await http.post(f"{API}/agent/login")
        await http.post(f"{API}/agent/ready")
        rang = await http.post(
            f"{API}/call/ringing",
            json={"call_sid": call_sid, "session_id": session_id, "extension": "2001"},
        )
        assert rang.status_code == 200
        assert rang.json()["popup"]["source"] == "unknown"
        assert rang.json()["popup"]["transcript"] == []
        # ... nor afterwards: the claimed session did not become this agent's call.
        after = await http.get(f"{API}/customer/lookup", params={"session_id": session_id})
        assert after.json()["transcript"] == [] and after.json()["call_id"] is None


async def test_lookups_need_a_key_a_token_and_clean_values(desk: Desk) -> None:
    agent = await desk.person()
    async with desk.client(agent) as http:
        missing = await http.get(f"{API}/customer/lookup")
        assert missing.status_code == 400 and "call_sid" in missing.json()["detail"]
        for params in ({"call_sid": "CA 1;"}, {"extension": "1" * 40, "call_sid": "CA1"}):
            assert (await http.get(f"{API}/customer/lookup", params=params)).status_code == 422
        assert (await http.get(f"{API}/customer/not-an-id!")).status_code == 422
    async with desk.client() as anonymous:
        assert (await anonymous.get(f"{API}/customer/lookup?call_sid=CA1")).status_code == 401
        assert (await anonymous.get(f"{API}/customer/{agent.user_id}")).status_code == 401
