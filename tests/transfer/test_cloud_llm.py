"""A cloud LLM in a transfer: it calls ``transfer_to_agent`` and writes the agent's summary.

The LLM is the real LangChain OpenAI integration against the fake OpenAI API; without a
cloud answer (HTTP 500, only the offline model left) the summary stays extractive.
"""

import json
from pathlib import Path

import httpx
import pytest

from convonet.storage.redis import Keys, TransferRecord
from convonet.transfer.context import TranscriptLine
from convonet.transfer.summary import summarizer
from tests.conftest import connect, session_auth
from tests.conftest import test_settings as make_settings
from tests.fakes.llm_server import Reply, ToolCall
from tests.fakes.openai_api import FakeOpenAI
from tests.transfer.conftest import TransferBackends

SUMMARY = "The caller was charged twice for one order and wants a refund from billing."
ASK = "I was charged twice for my order. Please get me someone from billing."
RECORD = TransferRecord(
    session_id="s1", status="requested", department="billing", extension="2003", reason="refund"
)
TRANSCRIPT = [TranscriptLine(role="user", text="My card was charged twice for one order.", at="t")]


@pytest.mark.integration
async def test_a_cloud_llm_transfers_and_summarizes(transfer_backends: TransferBackends) -> None:
    fake = transfer_backends.openai
    transfer = ToolCall("transfer_to_agent", {"department": "billing", "reason": "double charge"})
    fake.script = [
        Reply(tool_calls=(transfer,)),
        Reply(text="I'm connecting you to billing now."),
        Reply(text=SUMMARY),
    ]
    server = transfer_backends.server
    started = await connect(server.url, llm="openai")
    session_id = str(started["session_id"])
    async with httpx.AsyncClient(base_url=server.url, headers=session_auth(started)) as http:
        answer = await http.post(
            "/agent/process", json={"text": ASK, "session_id": session_id}, timeout=30
        )
    body = answer.json()
    assert answer.status_code == 200 and body["llm_used"] == "openai", body
    assert [c["name"] for c in body["tool_calls"]] == ["transfer_to_agent"]
    moved = body["transfer"]
    assert (moved["department"], moved["extension"], moved["status"]) == (
        "billing",
        "2003",
        "initiated",
    )
    key = Keys.callcenter_customer("2003", moved["call_sid"])
    raw = await transfer_backends.server.on_loop(server.runtime.store.redis.get(key))
    context = json.loads(str(raw))
    assert context["summary"] == SUMMARY and context["reason"] == "double charge"
    assert context["transcript"][0]["text"] == ASK
    asked = json.dumps(fake.bodies[-1]["messages"])
    assert len(fake.requests) == 3 and "charged twice" in asked and "billing" in asked


async def test_without_a_cloud_answer_the_summary_stays_extractive(tmp_path: Path) -> None:
    async with FakeOpenAI(fail=500) as fake:
        settings = make_settings(
            tmp_path, openai_api_key=fake.api_key, openai_base_url=fake.api_base
        )
        summary = await summarizer(settings, "openai")(TRANSCRIPT, RECORD)
    assert fake.requests, "the cloud LLM was asked"
    said = '"My card was charged twice for one order."'
    assert summary == f"Caller asked for billing (refund). Caller said: {said}"


async def test_the_offline_model_never_asks_a_cloud(tmp_path: Path) -> None:
    summary = await summarizer(make_settings(tmp_path), "offline")(TRANSCRIPT, RECORD)
    assert summary.startswith("Caller asked for billing (refund).")
