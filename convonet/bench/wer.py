"""Word error rate of what the server heard against what the caller said (jiwer).

Both sides are normalised first, so that only words count: lower case, no punctuation,
hyphens as spaces ("to-do"), and digits spelled out one by one, because Whisper writes a
number read in groups ("five five five, one two three four") as "555-1234".
"""

import re
from collections.abc import Sequence

import click

_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_PUNCTUATION = re.compile(r"[^\w\s']")


def normalize(text: str) -> str:
    """Lower-case words only, digits spelled out one by one."""
    text = text.lower().replace("-", " ")
    text = re.sub(r"\d", lambda digit: f" {_DIGITS[int(digit.group())]} ", text)
    return " ".join(_PUNCTUATION.sub(" ", text).split())


def word_error_rate(said: Sequence[str], heard: Sequence[str]) -> float | None:
    """Corpus WER of ``heard`` against ``said`` (pairs in order); None with nothing said."""
    pairs = [(normalize(ref), normalize(hyp)) for ref, hyp in zip(said, heard, strict=True)]
    pairs = [(ref, hyp) for ref, hyp in pairs if ref]
    if not pairs:
        return None
    references = [ref for ref, _ in pairs]
    # jiwer needs a non-empty hypothesis; an empty one is all deletions either way.
    hypotheses = [hyp or "<nothing>" for _, hyp in pairs]
    try:
        import jiwer
    except ImportError as error:
        raise click.ClickException(
            "the latency benchmark needs jiwer: pip install jiwer"
        ) from error
    return round(float(jiwer.wer(references, hypotheses)), 4)
