"""Recording a transfer on both databases and both Redis backends: context and calls row."""

import json
import re

from sqlalchemy import select

from convonet.bots.assistant import BOT
from convonet.session import CallSession
from convonet.storage.db import Database
from convonet.storage.models import Call, Department, User
from convonet.storage.models.calls import TransferOutcome
from convonet.storage.redis import Keys, RedisStore
from convonet.transfer.call import CallTransfer
from convonet.transfer.service import DepartmentInfo, TransferService

CONVERSATION = [
    {"role": "user", "content": "My router keeps dropping the connection."},
    {"role": "assistant", "content": "Have you tried restarting it?"},
    {"role": "user", "content": "Yes. I want to talk to a real person."},
]


async def _setup(database: Database) -> CallSession:
    async with database.session() as db:
        user = User(email="ann@example.com", name="Ann Lee", phone="+15550001111")
        db.add_all([user, Department(name="support", extension="2001")])
        await db.flush()
        user_id = user.id
    return CallSession(
        session_id="call-1",
        bot=BOT,
        llm="offline",
        channel="twilio",
        stt="whisper",
        tts="piper",
        user_id=user_id,
        metadata={"call_sid": "CA42", "from_number": "+15550001111"},
    )


async def test_a_request_stores_the_agents_context_and_the_call_history(
    database: Database, redis_store: RedisStore
) -> None:
    session = await _setup(database)
    call = CallTransfer(database, redis_store, session, lambda: CONVERSATION, context_ttl_secs=120)
    service = TransferService(redis_store)
    started = await service.start(
        "call-1", "support", [DepartmentInfo("support", "2001")], reason="router"
    )
    assert started.record is not None
    await call.changed(started.record)

    key = Keys.callcenter_customer("2001", "CA42")
    context = json.loads(await redis_store.redis.get(key))
    assert 100_000 < await redis_store.redis.pttl(key) <= 120_000
    assert context["customer"] == {
        "user_id": session.user_id,
        "name": "Ann Lee",
        "email": "ann@example.com",
        "phone": "+15550001111",
    }
    assert (context["session_id"], context["department"], context["channel"]) == (
        "call-1",
        "support",
        "twilio",
    )
    assert context["caller_number"] == "+15550001111" and context["reason"] == "router"
    assert [t["text"] for t in context["transcript"]] == [m["content"] for m in CONVERSATION]
    assert "My router keeps dropping the connection." in context["summary"]

    failed = await service.advance("call-1", "failed", failure="no-answer")
    await call.changed(failed)
    async with database.session() as db:
        row = (await db.scalars(select(Call))).one()
    assert (row.session_id, row.call_sid, row.channel) == ("call-1", "CA42", "twilio")
    assert row.transcript == context["transcript"] and row.summary == context["summary"]
    assert row.transfer_outcome == TransferOutcome.NO_ANSWER
    assert row.transfer_department_id is not None


async def test_a_session_without_telephony_gets_a_generated_call_id(
    database: Database, redis_store: RedisStore
) -> None:
    session = await _setup(database)
    session.metadata.clear()
    session.channel = "text"
    started = await TransferService(redis_store).start(
        "call-1", "support", [DepartmentInfo("support", "2001")]
    )
    assert started.record is not None
    await CallTransfer(
        database, redis_store, session, lambda: CONVERSATION, context_ttl_secs=60
    ).changed(started.record)
    record = await redis_store.get_transfer("call-1")
    assert record is not None and record.status == "initiated"
    assert record.call_sid is not None and re.fullmatch(r"text-[0-9a-f]{32}", record.call_sid)
    (key,) = await redis_store.redis.keys("callcenter:*")
    assert key == Keys.callcenter_customer("2001", record.call_sid)
    context = json.loads(await redis_store.redis.get(key))
    assert (context["call_sid"], context["channel"]) == (record.call_sid, "text")
    async with database.session() as db:
        row = (await db.scalars(select(Call))).one()
    assert row.call_sid == record.call_sid and len(row.transcript) == 3
    assert row.transfer_outcome == TransferOutcome.REQUESTED
