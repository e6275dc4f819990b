"""Preparing a transcribed utterance for the slot parsers.

Whisper writes the same words many ways ("7 p.m.", "7 PM", "seven pm"; "to-do", "todo"). The
prepared :class:`~convonet.agents.offline.slots.mapped.MappedText` is lower-case, free of noise
tags, with one spelling for times, to-dos and numbers, and still maps back to the original.
"""

import re

from convonet.agents.offline.slots.mapped import MappedText
from convonet.agents.offline.slots.numbers import numerise

# Whisper renders silence and noise as bracketed tags.
NOISE = re.compile(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*")
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (NOISE, " "),
    (re.compile(r"\b([ap])\.?\s?m\b\.?"), r"\1m"),
    (re.compile(r"\bto[- ]?dos\b|\btodos\b"), "todos"),
    (re.compile(r"\bto-do\b|\bto do(?= list\b)"), "todo"),
    (re.compile(r"\bo'? ?clock\b"), "oclock"),
    (re.compile(r"\bdr\.\s?"), "doctor "),
    (re.compile(r"\bwanna\b"), "want to"),
    (re.compile(r"\bgonna\b"), "going to"),
)


def _lower(text: str) -> str:
    lowered = text.lower()
    if len(lowered) != len(text):  # a few non-ASCII letters change length when lowered
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return lowered.replace("\u2019", "'")


def prepare(text: str) -> MappedText:
    """Lower-case, clean and numerise ``text``, keeping the map to the original."""
    mapped = MappedText.of(text)
    mapped = MappedText(text, _lower(text), mapped.starts, mapped.ends)
    for pattern, replacement in _REWRITES:
        mapped = mapped.sub(pattern, replacement)
    return numerise(mapped)
