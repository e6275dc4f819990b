"""The transfer tests' server with Twilio configured, shared by the package's modules.

Twilio's REST API is :class:`~tests.fakes.twilio_rest.FakeTwilioREST` on its own event-loop
thread (the server and every test reach it over HTTP); one server with Twilio credentials, a
PBX domain, a caller id and a public URL serves the phone-leg and browser-leg tests, so the
models are loaded once for both.
"""

import asyncio
import threading
from collections.abc import Iterator

import pytest

from tests.conftest import LiveServer
from tests.conftest import test_settings as make_settings
from tests.fakes.twilio_rest import FakeTwilioREST
from tests.transports.test_twilio import PUBLIC, TOKEN

ACCOUNT = "AC" + "0" * 32  # the account the simulated calls belong to
CALLER_ID = "+15550009999"


class FakeInThread:
    """The fake Twilio REST API on its own event loop thread, for a module's server."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.fake = FakeTwilioREST(ACCOUNT, TOKEN)

    def __enter__(self) -> FakeTwilioREST:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.fake.__aenter__(), self.loop).result(10)
        return self.fake

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.__aexit__(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


@pytest.fixture(scope="package")
def twilio_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveServer, FakeTwilioREST]]:
    """A server with Twilio, a PBX and a caller id configured; Twilio's REST API is fake."""
    with FakeInThread() as fake:
        settings = make_settings(
            tmp_path_factory.mktemp("browser-leg"),
            public_url=PUBLIC,
            twilio_auth_token=TOKEN,
            twilio_account_sid=ACCOUNT,
            twilio_api_base_url=fake.base_url,
            twilio_caller_id=CALLER_ID,
            fusionpbx_sip_domain="pbx.example.com",
        )
        server = LiveServer(settings)
        server.start()
        yield server, fake
        server.stop()
