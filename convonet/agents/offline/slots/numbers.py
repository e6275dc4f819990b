"""Numbers as people say them: words to digits, amounts, percentages and counts.

``numerise`` rewrites a :class:`MappedText` so every later parser sees digits: "three hundred
fifty thousand" → ``350000``, "$350,000" → ``350000``, "350k" → ``350000``, "1.2 million" →
``1200000``, "six and a half percent" → ``6.5 percent``, "seven thirty" → ``7 30`` (two numbers:
the grammar breaks), "March third" → ``March 3rd`` (ordinals only where a date is meant).
"""

import re
from dataclasses import dataclass

from convonet.agents.offline.slots.mapped import MappedText, Replacement

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}  # fmt: skip
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december",
)  # fmt: skip
_WORDS = {**UNITS, **TEENS, **TENS}
_TOKEN = re.compile(r"[a-z]+|\d+(?:\.\d+)?")
_SEPARATOR = re.compile(r"[\s-]*")
NUMBER = r"\d+(?:\.\d+)?"

# Digit forms first: "$350,000" → "350000", "350k" → "350000", "6.5%" → "6.5 percent".
_THOUSANDS = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?![\d,])")
_SUFFIXED = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(k|m|mm|\sgrand)\b")
_DOLLAR = re.compile(r"\$\s?(?=\d)")
_PERCENT = re.compile(r"\s?%")


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _digit_forms(text: MappedText) -> MappedText:
    text = text.sub(_THOUSANDS, lambda m: m.group().replace(",", ""))
    text = text.sub(_DOLLAR, "")
    text = text.sub(_PERCENT, " percent")
    scale = {"k": 1_000, "grand": 1_000, "m": 1_000_000, "mm": 1_000_000}
    return text.sub(_SUFFIXED, lambda m: _fmt(float(m.group(1)) * scale[m.group(2).strip()]))


class _Run:
    """Accumulates one spoken number ("three hundred fifty thousand") word by word."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.total = 0.0
        self.current = 0.0
        self.last: str | None = None

    def flush(self) -> None:
        if self.last is not None:
            self.values.append(self.total + self.current)
        self.total, self.current, self.last = 0.0, 0.0, None

    def small(self, value: float, kind: str) -> None:
        simple = self.last in {"unit", "teen", "tens", "tens_unit", "frac", "digits"}
        if simple and not (kind == "unit" and self.last == "tens"):
            self.flush()
        kind = "tens_unit" if kind == "unit" and self.last == "tens" else kind
        self.current += value
        self.last = kind

    def word(self, word: str) -> None:
        if word in UNITS:
            self.small(UNITS[word], "unit")
        elif word in TEENS:
            self.small(TEENS[word], "teen")
        elif word in TENS:
            self.small(TENS[word], "tens")
        elif word == "hundred":
            self.current = (self.current or 1) * 100
            self.last = "hundred"
        elif word in SCALES:
            self.total += (self.current or 1) * SCALES[word]
            self.current, self.last = 0.0, "scale"
        elif word in {"a", "an"}:
            self.flush()
            self.current, self.last = 1.0, "a"
        else:  # digits
            self.flush()
            self.current, self.last = float(word), "digits"


def _is_number_word(word: str) -> bool:
    return word in _WORDS or word == "hundred" or word in SCALES


@dataclass(frozen=True, slots=True)
class _Token:
    word: str
    start: int
    end: int
    joined: bool  # only spaces or a hyphen since the previous token


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        gap = text[tokens[-1].end : match.start()] if tokens else ""
        joined = bool(tokens) and _SEPARATOR.fullmatch(gap) is not None
        tokens.append(_Token(match.group(), match.start(), match.end(), joined))
    return tokens


def _belongs(tokens: list[_Token], i: int, j: int) -> bool:
    """Whether ``tokens[j]`` continues the number run that starts at ``tokens[i]``."""
    word = tokens[j].word
    nxt = tokens[j + 1].word if j + 1 < len(tokens) else ""
    after = tokens[j + 2].word if j + 2 < len(tokens) else ""
    prev = tokens[j - 1].word if j > i else ""
    if j > i and not tokens[j].joined:
        return False
    if _is_number_word(word):
        return True
    if word[0].isdigit():
        return j == i and nxt in SCALES
    if word in {"a", "an"}:
        return (j == i and (nxt == "hundred" or nxt in SCALES)) or (prev == "and" and nxt == "half")
    if word == "and":
        return j > i and (_is_number_word(nxt) or (nxt, after) == ("a", "half"))
    if word == "half":
        return prev == "a" and j > i
    return word == "point" and j > i and (nxt in UNITS or nxt.isdigit())


def _run_end(tokens: list[_Token], i: int) -> int:
    """Index just past the run of number words starting at ``tokens[i]``."""
    j = i
    while j < len(tokens) and _belongs(tokens, i, j):
        j += 1
    return j


def _values(words: list[str]) -> list[float]:
    """The numbers a run of number words stands for."""
    run = _Run()
    i = 0
    while i < len(words):
        word = words[i]
        if word == "and" and words[i + 1 : i + 3] == ["a", "half"]:
            run.current += 0.5
            run.last, i = "frac", i + 3
            continue
        if word == "and":
            i += 1
            continue
        if word == "point":
            digits = ""
            i += 1
            while i < len(words) and (words[i] in UNITS or words[i].isdigit()):
                digits += str(UNITS.get(words[i], words[i]))
                i += 1
            run.current += float(f"0.{digits}")
            run.last = "frac"
            continue
        run.word(word)
        i += 1
    run.flush()
    return run.values


def _cardinals(text: MappedText) -> MappedText:
    tokens = _tokens(text.text)
    replacements: list[Replacement] = []
    i = 0
    while i < len(tokens):
        end = _run_end(tokens, i)
        while end > i and tokens[end - 1].word in {"and", "point", "a", "an"}:
            end -= 1
        words = [t.word for t in tokens[i:end]]
        if words and any(not w[0].isdigit() for w in words):
            new = " ".join(_fmt(v) for v in _values(words))
            replacements.append((tokens[i].start, tokens[end - 1].end, new))
        i = max(end, i + 1)
    return text.replace(replacements)


_ORDINAL_WORDS = "|".join(ORDINALS)
_TENS_WORDS = "|".join(TENS)
_MONTH_WORDS = "|".join(MONTHS)
_ORDINAL = re.compile(
    rf"(?:\b(?:{_MONTH_WORDS}|the)\s+)((?:(?:{_TENS_WORDS})[\s-]+)?(?:{_ORDINAL_WORDS}))\b"
    rf"|\b((?:(?:{_TENS_WORDS})[\s-]+)?(?:{_ORDINAL_WORDS}))(?=\s+of\s+(?:{_MONTH_WORDS})\b)"
)


def _ordinal_value(words: str) -> str:
    parts = re.split(r"[\s-]+", words)
    value = sum(TENS.get(p, 0) + ORDINALS.get(p, 0) for p in parts)
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(value % 10 if value % 100 not in (11, 12, 13) else 0)
    return f"{value}{suffix or 'th'}"


def _ordinals(text: MappedText) -> MappedText:
    replacements = []
    for match in _ORDINAL.finditer(text.text):
        group = 1 if match.group(1) else 2
        replacements.append(
            (match.start(group), match.end(group), _ordinal_value(match.group(group)))
        )
    return text.replace(replacements)


def numerise(text: MappedText) -> MappedText:
    """Rewrite spoken and formatted numbers in a lower-cased text as plain digits."""
    return _cardinals(_ordinals(_digit_forms(text)))


def numbers_in(text: str) -> list[float]:
    """All plain numbers in an already numerised text."""
    return [float(m) for m in re.findall(rf"(?<![\w.]){NUMBER}(?![\w]|\.\d)", text)]


def first_number(text: str) -> float | None:
    """The first plain number in an already numerised text, if any."""
    found = numbers_in(text)
    return found[0] if found else None


_COUNT_NOUNS = r"(?:people|persons|guests|adults|of us|diners|folks)"
_PARTY = (
    re.compile(r"\bparty of (\d+)\b"),
    re.compile(rf"\b(\d+) {_COUNT_NOUNS}\b"),
    re.compile(r"\b(?:table|reservation|booking|seats?|room) for (\d+)\b(?!\s*(?::|am|pm|oclock))"),
    re.compile(
        r"\bfor (\d+)\b"
        r"(?!\s*(?::|\.\d|am|pm|oclock|percent|minutes?|hours?|years?|days?|weeks?))"
    ),
)  # fmt: skip
_JUST_ME = re.compile(r"\b(?:just me|only me|myself|for 1\b|by myself)")
_COUPLE = re.compile(r"\b(?:a couple|me and my (?:wife|husband|partner|friend|date))\b")


def party_size(text: str) -> int | None:
    """How many people a table is for ("for four", "party of 6", "table for two people").

    Args:
        text: Numerised, lower-cased words.

    Returns:
        The party size, or ``None`` when not said.
    """
    for pattern in _PARTY:
        match = pattern.search(text)
        if match and 0 < int(match.group(1)) <= 50:
            return int(match.group(1))
    if _JUST_ME.search(text):
        return 1
    return 2 if _COUPLE.search(text) else None


def count_answer(text: str) -> int | None:
    """A bare count given as an answer ("four", "6 please", "we are five")."""
    size = party_size(text)
    if size is not None:
        return size
    match = re.search(r"(?<![\w.:])(\d{1,2})(?![\w.:])", text)
    return int(match.group(1)) if match and 0 < int(match.group(1)) <= 50 else None
