"""Fake Deepgram streaming STT and TTS servers (one implementation, in the package).

See :mod:`convonet.bench.fakes.deepgram`; the concurrency benchmark uses the same fakes.
"""

from convonet.bench.fakes.deepgram import LINEAR16, FakeDeepgramSTT, FakeDeepgramTTS

__all__ = ["LINEAR16", "FakeDeepgramSTT", "FakeDeepgramTTS"]
