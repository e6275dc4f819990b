"""CRM sync against the fake SuiteCRM, on SQLite + fakeredis and PostgreSQL + Redis.

The healthcare tools queue Contacts and Meetings in their own transaction, a transfer its
Case and its call's Note; the worker sends
them while the CRM is down (retried with backoff), after it comes back (sent once, never
lost), after a lost answer (updated, never duplicated), with an expired token (refreshed),
and a record the CRM refuses is marked failed with its reason in the admin API, where an
admin can retry it.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select, update

from convonet.auth.tokens import issue_token
from convonet.bots.assistant import BOT
from convonet.crm.client import SuiteCrmClient
from convonet.crm.outbox import crm_id, enqueue
from convonet.crm.worker import OutboxWorker, Round, running_worker
from convonet.runtime import Runtime, open_runtime
from convonet.server import create_app
from convonet.session import CallSession
from convonet.settings import Settings
from convonet.storage.models import CrmOutbox, Department, OutboxStatus
from convonet.storage.users import create_user
from convonet.transfer.call import CallTransfer
from convonet.transfer.service import DepartmentInfo, TransferService
from tests.fakes.backends import paired_backends
from tests.fakes.mcp_harness import ToolCallError, tool_harness
from tests.fakes.suitecrm import CLIENT_ID, CLIENT_SECRET, FakeSuiteCrm

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class CrmEnv:
    """A runtime with CRM sync on, the fake CRM, a worker and an admin's API client."""

    runtime: Runtime
    crm: FakeSuiteCrm
    worker: OutboxWorker
    admin: httpx.AsyncClient

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    async def rows(self, *keys: str) -> list[CrmOutbox]:
        async with self.runtime.db.session() as session:
            query = select(CrmOutbox).order_by(CrmOutbox.id)
            if keys:
                query = query.where(CrmOutbox.entity_key.in_(keys))
            return list((await session.scalars(query)).all())

    async def make_due(self) -> None:
        """Skip the backoff wait (the tests check next_attempt_at, then move on)."""
        async with self.runtime.db.session() as session:
            await session.execute(
                update(CrmOutbox)
                .where(CrmOutbox.status == OutboxStatus.PENDING)
                .values(next_attempt_at=datetime(2000, 1, 1).astimezone())
            )


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["embedded", "servers"])
async def env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[CrmEnv]:
    crm = await FakeSuiteCrm().start()
    data_dir = tmp_path_factory.mktemp("crm")
    sync = {
        "suitecrm_url": crm.url + "/",
        "suitecrm_client_id": CLIENT_ID,
        "suitecrm_client_secret": CLIENT_SECRET,
        "crm_backoff_secs": 30.0,
        "crm_poll_secs": 0.05,
        "tools_enabled": False,
    }
    try:
        async with (
            paired_backends(request.param, data_dir, **sync) as settings,
            open_runtime(settings) as runtime,
        ):
            async with runtime.db.session() as session:
                admin = await create_user(
                    session, pin_secret=settings.pin_hash_secret, email="admin@crm.test",
                    name="Admin", roles=["admin"],
                )  # fmt: skip
            token = issue_token(
                settings, user_id=admin.id, email=admin.email, roles=["admin"], team_id=None,
                kind="access",
            )  # fmt: skip
            app = create_app(settings)
            app.state.runtime = runtime
            client = SuiteCrmClient(settings)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://t",
                headers={"Authorization": f"Bearer {token}"},
            ) as http:
                yield CrmEnv(runtime, crm, OutboxWorker(runtime.db, client, settings), http)
            await client.aclose()
    finally:
        await crm.stop()


async def test_crm_down_then_back_nothing_lost_nothing_duplicated(env: CrmEnv) -> None:
    runtime, crm = env.runtime, env.crm
    async with tool_harness(env.settings, runtime.db, runtime.store, ["healthcare"]) as tools:
        ann = await tools.user("ann@crm.test", "Ann")
        crm.go_down()
        jane = await tools.call(
            "register_patient",
            {"first_name": "Jane", "last_name": "Doe", "date_of_birth": "1980-02-29",
             "email": "jane@example.com"},
            user=ann,
        )  # fmt: skip
        start = (datetime.now().astimezone() + timedelta(days=2)).replace(microsecond=0)
        booked = await tools.call(
            "book_appointment", {"start": start.isoformat(), "reason": "cough"}, user=ann
        )
        # A refused booking (in the past) changes nothing, so it queues nothing either.
        with pytest.raises(ToolCallError, match="future"):
            past = {"start": "2001-01-01T10:00", "reason": "x"}
            await tools.call("book_appointment", past, user=ann)
    patient_key = f"patient:{jane['patient']['id']}"
    meeting_key = f"appointment:{booked['appointment']['id']}"
    keys = (patient_key, meeting_key)
    assert [(r.entity, r.entity_key) for r in await env.rows(*keys)] == [
        ("Contacts", patient_key), ("Meetings", meeting_key),
    ]  # fmt: skip

    # Down: the first row is tried once, backs off, and the round stops there.
    assert await env.worker.drain_once() == Round(retrying=1)
    contact, meeting = await env.rows(*keys)
    assert contact.status is OutboxStatus.PENDING and contact.attempts == 1
    assert "503" in (contact.last_error or "") and meeting.attempts == 0
    assert contact.next_attempt_at > datetime.now().astimezone() + timedelta(seconds=20)
    assert await env.worker.drain_once() == Round(retrying=1)  # the next due row: the Meeting
    assert [r.attempts for r in await env.rows(*keys)] == [1, 1]
    assert await env.worker.drain_once() == Round()  # both backing off: nothing is sent

    crm.come_back()
    await env.make_due()
    assert await env.worker.drain_once() == Round(sent=2)
    assert [r.status for r in await env.rows(*keys)] == [OutboxStatus.SENT] * 2
    contacts = [c for c in crm.of("Contacts") if c["id"] == crm_id(patient_key)]
    assert len(contacts) == 1 and contacts[0]["email1"] == "jane@example.com"
    (meeting_record,) = [m for m in crm.of("Meetings") if m["id"] == crm_id(meeting_key)]
    assert meeting_record["parent_type"] == "Contacts"
    assert meeting_record["parent_id"] == crm_id(patient_key)
    assert meeting_record["date_start"].endswith("+00:00")

    # The CRM stored it but its answer was lost: the retry updates, it never duplicates.
    async with runtime.db.session() as session:
        await session.execute(
            update(CrmOutbox).where(CrmOutbox.entity_key == patient_key)
            .values(status=OutboxStatus.PENDING)
        )  # fmt: skip
    before = len(crm.records)
    assert await env.worker.drain_once() == Round(sent=1)
    assert len(crm.records) == before
    assert ("PATCH", "/Api/V8/module", 200) in crm.requests


async def test_expired_token_is_refreshed_and_5xx_retried(env: CrmEnv) -> None:
    crm = env.crm
    async with env.runtime.db.session() as session:
        enqueue(session, "Contacts", "patient:token-test", {"last_name": "Token"})
    crm.expire_tokens()
    issued = crm.tokens_issued
    crm.fail_next = [502]
    assert await env.worker.drain_once() == Round(retrying=1)
    (row,) = await env.rows("patient:token-test")
    assert "502" in (row.last_error or "") and crm.tokens_issued == issued + 1
    await env.make_due()
    crm.expire_tokens()
    assert await env.worker.drain_once() == Round(sent=1)
    assert crm.tokens_issued == issued + 2  # the 401 got a fresh token, then one more try
    assert [r for r in crm.requests if r[2] == 401]


async def test_refused_record_is_failed_visibly_and_can_be_retried(env: CrmEnv) -> None:
    async with env.runtime.db.session() as session:
        bad = enqueue(session, "Contacts", "patient:no-name", {"first_name": "Nameless"})
        enqueue(session, "Notes", "call:after-bad", {"name": "still sent"})
    assert await env.worker.drain_once() == Round(sent=1, failed=1)

    listed = await env.admin.get("/api/admin/crm/outbox", params={"status": "failed"})
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert page["enabled"] is True and page["counts"]["failed"] >= 1
    (failed,) = [row for row in page["items"] if row["id"] == bad.id]
    assert failed["last_error"] == "422: last_name is required" and failed["attempts"] == 1

    retried = await env.admin.post(f"/api/admin/crm/outbox/{bad.id}/retry")
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    sent = next(row for row in await env.rows() if row.status is OutboxStatus.SENT)
    again = await env.admin.post(f"/api/admin/crm/outbox/{sent.id}/retry")
    assert again.status_code == 409 and "sent already" in again.text
    assert (await env.admin.post("/api/admin/crm/outbox/999999/retry")).status_code == 404
    assert (await env.admin.post("/api/admin/crm/outbox/0/retry")).status_code == 422
    bad_filter = await env.admin.get("/api/admin/crm/outbox", params={"status": "lost"})
    assert bad_filter.status_code == 422
    nobody = await env.admin.get("/api/admin/crm/outbox", headers={"Authorization": ""})
    assert nobody.status_code == 401


async def test_background_worker_drains_on_its_own(env: CrmEnv) -> None:
    async with env.runtime.db.session() as session:
        enqueue(session, "Cases", "transfer:bg", {"name": "Transfer to support"})
    async with running_worker(env.settings, env.runtime.db) as worker:
        assert worker is not None
        for _ in range(100):
            (row,) = await env.rows("transfer:bg")
            if row.status is OutboxStatus.SENT:
                break
            await asyncio.sleep(0.05)
    assert row.status is OutboxStatus.SENT
    assert any(case["id"] == crm_id("transfer:bg") for case in env.crm.of("Cases"))


async def test_a_transfer_becomes_a_case_with_the_calls_note(env: CrmEnv) -> None:
    runtime = env.runtime
    async with runtime.db.session() as session:
        session.add(Department(name="billing-crm", extension="2991"))
    call = CallSession(
        session_id="crm-call-1", bot=BOT, llm="offline", channel="twilio", stt="whisper",
        tts="piper", metadata={"from_number": "+15550002222"},
    )  # fmt: skip
    said = [
        {"role": "user", "content": "I was charged twice this month."},
        {"role": "user", "content": "Let me talk to a person please."},
    ]
    transfer = CallTransfer(
        runtime.db, runtime.store, call, lambda: said, context_ttl_secs=60, crm=True
    )
    service = TransferService(runtime.store)
    departments = [DepartmentInfo("billing-crm", "2991")]
    started = await service.start("crm-call-1", "billing-crm", departments, reason="double charge")
    assert started.record is not None
    await transfer.changed(started.record)  # no leg: initiated at once, under a generated id
    await transfer.changed(await service.advance("crm-call-1", "connected"))
    assert await env.worker.drain_once() == Round(sent=3)

    case_id = crm_id("transfer:crm-call-1")
    (case,) = [c for c in env.crm.of("Cases") if c["id"] == case_id]
    assert case["name"] == "Transfer to billing-crm (twilio)"
    assert "+15550002222" in case["description"] and "double charge" in case["description"]
    assert (case["state"], case["status"]) == ("Closed", "Closed_Closed")  # the outcome's update
    (note,) = [n for n in env.crm.of("Notes") if n["id"] == crm_id("call:crm-call-1")]
    assert note["parent_type"] == "Cases" and note["parent_id"] == case_id
    assert "user: I was charged twice this month." in note["description"]
