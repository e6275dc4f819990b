"""Piper audio for a reply's first piece, synthesized before the reply is released.

While the caller's turn waits for its confirm window, the agent's prepared reply is held
back, but its text comes ahead as :class:`~convonet.processors.frames.SpeechPreviewFrame`s
(:mod:`convonet.processors.langgraph_processor`). :class:`PreparedSpeech` runs the TTS's
own kind of text aggregator over that text and synthesizes the first piece it yields (the
first clause or sentence: what the TTS will be asked to say first once the reply is
released). When the TTS is then asked for exactly that text, the audio is ready: Piper's
~0.1 s for a first clause on 2 cores leaves the caller's wait.

Only one reply is prepared at a time; a new one replaces it, and a request for any other
text finds nothing (it is synthesized as usual, so a mismatch costs only the wasted work).
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from pipecat.utils.text.base_text_aggregator import BaseTextAggregator

Synthesize = Callable[[str], list[bytes]]


def _key(text: str) -> str:
    return " ".join(text.split())


@dataclass
class _Prepared:
    text: str
    audio: asyncio.Task[list[bytes]]


class PreparedSpeech:
    """The first piece of the reply being prepared, and its audio once synthesized."""

    def __init__(
        self, new_aggregator: Callable[[], BaseTextAggregator], synthesize: Synthesize
    ) -> None:
        """Create it.

        Args:
            new_aggregator: A fresh text aggregator of the kind the TTS uses.
            synthesize: Blocking synthesis of one text to PCM chunks (run in a thread).
        """
        self._new_aggregator = new_aggregator
        self._synthesize = synthesize
        self._aggregator: BaseTextAggregator | None = None
        self._prepared: _Prepared | None = None

    async def feed(self, text: str, *, reply_start: bool = False, reply_end: bool = False) -> None:
        """Take the next piece of a prepared reply's text (or its end)."""
        if reply_start:
            self.discard()
            self._aggregator = self._new_aggregator()
        if self._aggregator is None:
            return  # this reply's first piece is known already
        async for aggregation in self._aggregator.aggregate(text):
            self._start(aggregation.text)
            return
        if reply_end:  # a one-piece reply: the TTS speaks it when the reply ends
            rest = await self._aggregator.flush()
            self._start(rest.text if rest is not None else "")

    def _start(self, text: str) -> None:
        self._aggregator = None
        if not text.strip():
            return
        audio = asyncio.create_task(asyncio.to_thread(self._synthesize, text))
        self._prepared = _Prepared(_key(text), audio)

    async def take(self, text: str) -> list[bytes] | None:
        """The prepared audio if ``text`` is the prepared piece (used once), else None."""
        prepared, self._prepared = self._prepared, None
        if prepared is None:
            return None
        if prepared.text != _key(text):
            prepared.audio.cancel()
            return None
        try:
            return await prepared.audio
        except Exception:  # whatever Piper raised: synthesized again, which reports it
            return None

    def discard(self) -> None:
        """Forget the prepared reply (a new one, an interruption, the end of the call)."""
        self._aggregator = None
        if self._prepared is not None:
            self._prepared.audio.cancel()
            self._prepared = None
