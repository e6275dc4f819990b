"""Voice a reply's first clause on its own, so a long first sentence starts speaking sooner.

Piper synthesizes a whole sentence before any of its audio goes out, and pipecat's TTS
services hand it whole sentences: a 10-second first sentence cost ~600 ms before the caller
heard anything. :class:`FirstClauseTextAggregator` releases the text up to the first clause
mark (comma, semicolon, colon, dash) as soon as it has a few words, then goes back to
sentences for the rest of the reply. The clause mark becomes a natural pause in the speech.
"""

from collections.abc import AsyncIterator

from pipecat.utils.text.base_text_aggregator import Aggregation, TextType
from pipecat.utils.text.simple_text_aggregator import SimpleTextAggregator

CLAUSE_MARKS = frozenset(",;:\u2013\u2014")
# A clause shorter than this is not worth a separate synthesis ("Sure, ...").
MIN_CLAUSE_WORDS = 3


class FirstClauseTextAggregator(SimpleTextAggregator):
    """Sentence aggregation, except that each reply's first clause is released alone."""

    def __init__(self, min_words: int = MIN_CLAUSE_WORDS, **kwargs: object) -> None:
        """Create the aggregator.

        Args:
            min_words: Words the first clause needs before it is released on its own.
            **kwargs: Passed on to :class:`SimpleTextAggregator`.
        """
        super().__init__(**kwargs)
        self._min_words = min_words
        self._first_pending = True

    async def aggregate(self, text: str) -> AsyncIterator[Aggregation]:
        """Yield the first clause as soon as it is complete, then whole sentences."""
        if not self._first_pending or self.aggregation_type != TextType.SENTENCE:
            async for aggregation in super().aggregate(text):
                self._first_pending = False
                yield aggregation
            return
        for index, char in enumerate(text):
            if self._first_pending and char.isspace() and self._clause_ready():
                clause = self._text.strip()
                self._text = ""
                self._first_pending = False
                yield Aggregation(text=clause, type=TextType.SENTENCE)
                async for aggregation in self.aggregate(text[index:]):
                    yield aggregation
                return
            async for aggregation in super().aggregate(char):
                self._first_pending = False
                yield aggregation

    def _clause_ready(self) -> bool:
        stripped = self._text.rstrip()
        return (
            bool(stripped)
            and stripped[-1] in CLAUSE_MARKS
            and len(stripped.split()) >= self._min_words
        )

    async def flush(self) -> Aggregation | None:
        """End of the reply: release what is left; the next reply starts with a clause."""
        self._first_pending = True
        return await super().flush()

    async def handle_interruption(self) -> None:
        """The reply was interrupted: the next one starts with a clause again."""
        self._first_pending = True
        await super().handle_interruption()

    async def reset(self) -> None:
        """Clear the buffer; the next reply starts with a clause again."""
        self._first_pending = True
        await super().reset()
