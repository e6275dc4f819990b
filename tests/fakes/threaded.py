"""The fake Twilio REST and OpenAI APIs on an event-loop thread of their own.

Servers under test (in-process or subprocesses) and the tests reach them over HTTP, so they
must keep answering while a test blocks its own loop.
"""

import asyncio
import threading

from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.twilio_rest import FakeTwilioREST

ACCOUNT = "AC" + "0" * 32  # the account the simulated calls belong to


class FakesInThread:
    """The fake Twilio REST and OpenAI APIs on their own event-loop thread."""

    def __init__(self, auth_token: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.twilio = FakeTwilioREST(ACCOUNT, auth_token)
        self.openai = FakeOpenAI()

    def __enter__(self) -> "FakesInThread":
        self._thread.start()
        for fake in (self.twilio, self.openai):
            asyncio.run_coroutine_threadsafe(fake.__aenter__(), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        for fake in (self.twilio, self.openai):
            asyncio.run_coroutine_threadsafe(fake.__aexit__(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
