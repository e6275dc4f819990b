"""Whether a transcript's last words leave the sentence hanging.

Used when the smart-turn model is late (a loaded server) and the caller's final transcript
is already in: the words then decide the turn. Words can tell "unfinished" only where
the grammar shows it, so the check is one-sided: a sentence that stops on a conjunction,
an article, a possessive, "to", "of", a filler or a trailing comma or dash is
unfinished; anything else *may* be finished, and a pause after whole-sounding words
("add milk ... and eggs") is exactly what only the model's ear catches.
"""

import re

# The last word of a sentence that cannot end there (lower case). Kept short on purpose:
# prepositions strand at the end of questions ("what is it for?") and most other words end
# some sentence ("add this", "turn it on"), so only conjunctions, articles, possessives,
# "to", "of" and fillers are in.
HANGING_WORDS = frozenset(
    {
        *("and", "or", "but", "nor", "because", "if", "than"),
        *("the", "a", "an", "my", "your", "our", "their", "to", "of"),
        *("um", "uh", "er", "erm", "hmm", "mm"),
    }
)
_HANGING_END = re.compile(r"(,|;|:|-|\u2014|\u2026|\.\.\.)\s*$")
_WORD = re.compile(r"[a-z']+")


def words_sound_unfinished(text: str) -> bool:
    """Whether ``text`` stops where no sentence ends (or says nothing at all).

    Args:
        text: The turn's transcript so far, as the STT wrote it.

    Returns:
        True when the last word or mark leaves the sentence open; False when the words
        alone cannot tell (they may be finished).
    """
    if _HANGING_END.search(text):
        return True
    words = _WORD.findall(text.lower())
    return not words or words[-1] in HANGING_WORDS
