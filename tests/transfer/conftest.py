"""The transfer tests' server with Twilio configured, shared by the package's modules.

Twilio's REST API (:class:`~tests.fakes.twilio_rest.FakeTwilioREST`) and OpenAI's
(:class:`~tests.fakes.openai_api.FakeOpenAI`) run on their own event-loop thread (the server
and every test reach them over HTTP); one server with Twilio credentials, a PBX domain, a
caller id, a public URL and OpenAI serves the phone-leg, browser-leg and cloud-LLM tests, so
the models are loaded once for all of them.
"""

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from convonet.storage.redis import TransferRecord
from tests.conftest import LiveServer
from tests.conftest import test_settings as make_settings
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.threaded import ACCOUNT, FakesInThread
from tests.fakes.twilio_rest import FakeTwilioREST
from tests.transports.test_twilio import PUBLIC, TOKEN

CALLER_ID = "+15550009999"


@dataclass
class TransferBackends:
    """The package's server and the fakes it talks to."""

    server: LiveServer
    twilio: FakeTwilioREST
    openai: FakeOpenAI


@pytest.fixture(scope="package")
def transfer_backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TransferBackends]:
    """A server with Twilio, a PBX, a caller id and OpenAI configured, against fakes.

    Sessions use the offline model unless they ask for ``openai`` (the fake's script).
    """
    with FakesInThread(TOKEN) as fakes:
        settings = make_settings(
            tmp_path_factory.mktemp("transfer"),
            public_url=PUBLIC,
            twilio_auth_token=TOKEN,
            twilio_account_sid=ACCOUNT,
            twilio_api_base_url=fakes.twilio.base_url,
            twilio_caller_id=CALLER_ID,
            fusionpbx_sip_domain="pbx.example.com",
            default_llm="offline",
            openai_api_key=fakes.openai.api_key,
            openai_base_url=fakes.openai.api_base,
        )
        server = LiveServer(settings)
        server.start()
        yield TransferBackends(server, fakes.twilio, fakes.openai)
        server.stop()


@pytest.fixture
def twilio_server(transfer_backends: TransferBackends) -> tuple[LiveServer, FakeTwilioREST]:
    """The package's server and its fake Twilio REST API."""
    return transfer_backends.server, transfer_backends.twilio


async def wait_for_transfer(
    server: LiveServer, session_id: str, status: str, within: float
) -> TransferRecord:
    """The session's transfer record once it reaches ``status`` (fails after ``within`` s)."""
    deadline = time.monotonic() + within
    while True:
        record = await server.on_loop(server.runtime.store.get_transfer(session_id))
        if record is not None and record.status == status:
            return record
        assert time.monotonic() < deadline, f"transfer not {status}: {record}"
        await asyncio.sleep(0.05)
