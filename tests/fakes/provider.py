"""The fake cloud speech servers' shared machinery, for the test suite's fakes.

One implementation lives in the package (:mod:`convonet.bench.fakes`), because the
concurrency benchmark serves calls from the same fakes; this module re-exports it for
:mod:`tests.fakes.elevenlabs`, :mod:`tests.fakes.cartesia` and the tests.
"""

from convonet.bench.fakes.provider import FakeProviderServer, Job, Outbox, StopStreaming
from convonet.bench.fakes.recording import (
    DEFAULT_CHARS_PER_CHUNK,
    DEFAULT_MS_PER_CHAR,
    TONE_AMPLITUDE,
    TONE_HZ,
    Chunk,
    RecordedConnection,
    RecordedRequest,
    Refusal,
    Utterance,
    new_id,
    tone_for_text,
)

__all__ = [
    "DEFAULT_CHARS_PER_CHUNK",
    "DEFAULT_MS_PER_CHAR",
    "TONE_AMPLITUDE",
    "TONE_HZ",
    "Chunk",
    "FakeProviderServer",
    "Job",
    "Outbox",
    "RecordedConnection",
    "RecordedRequest",
    "Refusal",
    "StopStreaming",
    "Utterance",
    "new_id",
    "tone_for_text",
]
