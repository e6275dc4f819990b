"""Text rewritten for parsing that still knows where each character came from.

Slot parsers work on a lower-cased, numerised copy of the caller's words ("three hundred fifty
thousand" becomes "350000"), but titles and names must be read back in the caller's own words.
:class:`MappedText` keeps, for every character of the rewritten text, the span of the original
it stands for, so a match in the rewritten text can be cut out of the original.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

Replacement = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class MappedText:
    """A rewritten text with a map back to the original.

    Attributes:
        original: The caller's words as transcribed.
        text: The rewritten text that parsers read.
        starts: For each character of ``text``, where its source starts in ``original``.
        ends: For each character of ``text``, where its source ends in ``original``.
    """

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    @classmethod
    def of(cls, original: str) -> "MappedText":
        """Wrap ``original`` unchanged."""
        size = len(original)
        return cls(original, original, tuple(range(size)), tuple(range(1, size + 1)))

    def replace(self, replacements: Iterable[Replacement]) -> "MappedText":
        """Replace non-overlapping spans of ``text``.

        Args:
            replacements: ``(start, end, new)`` spans of ``text``, in any order.

        Returns:
            The rewritten text; characters of ``new`` map to the whole replaced source.
        """
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        pos = 0
        for start, end, new in sorted(replacements):
            if start < pos or start >= end:
                continue
            pieces.append(self.text[pos:start])
            starts.extend(self.starts[pos:start])
            ends.extend(self.ends[pos:start])
            pieces.append(new)
            starts.extend([self.starts[start]] * len(new))
            ends.extend([self.ends[end - 1]] * len(new))
            pos = end
        pieces.append(self.text[pos:])
        starts.extend(self.starts[pos:])
        ends.extend(self.ends[pos:])
        return MappedText(self.original, "".join(pieces), tuple(starts), tuple(ends))

    def sub(
        self, pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str], group: int = 0
    ) -> "MappedText":
        """Like :func:`re.sub` over ``text``, replacing only ``group`` of each match."""

        def new(match: re.Match[str]) -> str:
            return repl(match) if callable(repl) else match.expand(repl)

        return self.replace(
            (m.start(group), m.end(group), new(m))
            for m in pattern.finditer(self.text)
            if m.start(group) >= 0
        )

    def source(self, start: int, end: int) -> tuple[int, int]:
        """The span of ``original`` that ``text[start:end]`` came from."""
        start, end = max(start, 0), min(end, len(self.text))
        if start >= end:
            anchor = self.starts[start] if start < len(self.starts) else len(self.original)
            return anchor, anchor
        return self.starts[start], self.ends[end - 1]

    def original_of(self, start: int, end: int) -> str:
        """The caller's own words for ``text[start:end]``."""
        first, last = self.source(start, end)
        return self.original[first:last]

    def original_without(self, start: int, end: int, cuts: Iterable[tuple[int, int]]) -> str:
        """The caller's words for ``text[start:end]`` with the ``cuts`` spans left out.

        Args:
            start: Start of the wanted span in ``text``.
            end: End of the wanted span in ``text``.
            cuts: Spans of ``text`` to drop (dates, priorities, ...).

        Returns:
            The original words, whitespace folded.
        """
        kept: list[str] = []
        pos = start
        for cut_start, cut_end in sorted(cuts):
            cut_start, cut_end = max(cut_start, start), min(cut_end, end)
            if cut_start >= cut_end or cut_end <= pos:
                continue
            kept.append(self.original_of(pos, max(cut_start, pos)))
            pos = cut_end
        kept.append(self.original_of(pos, end))
        return " ".join(" ".join(kept).split())
