"""The building blocks of intents: what was heard, what to ask, and what to call.

An :class:`Intent` reads *slots* from an utterance (raw values such as a day, a clock time, a
title), asks an :class:`Ask` question for the first required slot still missing, and builds
the tool arguments from the slots once none is. Reading is separate from building so a
follow-up answer ("at 9") can be merged into the slots of the original request ("remind me to
call mom tomorrow").
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from convonet.agents.offline.slots import prepare
from convonet.agents.offline.slots.mapped import MappedText
from convonet.agents.offline.slots.when import When, find_when, iso_date, iso_datetime, resolve

Slots = dict[str, Any]
Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Heard:
    """One utterance, prepared for parsing, and the caller's clock.

    Attributes:
        text: The prepared utterance (lower-case, numerised, mapped to the original).
        now: The caller's wall-clock time when it was said (naive).
    """

    text: MappedText
    now: datetime

    @classmethod
    def of(cls, utterance: str, now: datetime) -> "Heard":
        """Prepare ``utterance``."""
        return cls(prepare(utterance), now)

    @property
    def words(self) -> str:
        """The prepared words."""
        return self.text.text

    def when(self, *, evening: bool = False) -> When:
        """The day and time said."""
        return find_when(self.words, self.now, evening=evening)

    def masked(self, spans: Iterable[Span]) -> str:
        """The prepared words with ``spans`` blanked out (offsets unchanged)."""
        chars = list(self.words)
        for start, end in spans:
            chars[start:end] = " " * (end - start)
        return "".join(chars)


@dataclass(frozen=True, slots=True)
class ClockSlot:
    """A time of day in the slots, with how sure the caller was of it."""

    at: time
    vague: bool = False
    flexible: bool = False


def _nothing(_heard: Heard) -> Slots:
    return {}


@dataclass(frozen=True, slots=True)
class Ask:
    """A required slot and the one question that asks for it.

    Attributes:
        key: The slot's name (unique within its intent).
        question: What to ask; unique across all intents, so the question alone, heard back
            in the conversation, tells which intent and slot are pending.
        answer: Reads a reply to this question (more permissive than the intent's reader:
            a bare "four" answers "How many people?").
        missing: Whether the slot is still missing; by default, whether ``key`` is empty.
    """

    key: str
    question: str
    answer: Callable[[Heard], Slots] = _nothing
    missing: Callable[[Slots], bool] | None = None

    def is_missing(self, slots: Slots) -> bool:
        """Whether this question still needs asking."""
        if self.missing is not None:
            return self.missing(slots)
        return slots.get(self.key) in (None, "", [])


@dataclass(frozen=True, slots=True)
class Intent:
    """One thing a caller may want.

    Attributes:
        name: Intent name (``create_reminder``, ``greeting``, ...).
        pattern: Matched against the prepared utterance to recognise the intent.
        tool: The tool it calls, or ``None`` for a direct reply.
        read: Reads the slots said in an utterance.
        build: Builds the tool arguments from complete slots.
        asks: Required slots, in the order they are asked for.
        area: The capability area ("to-dos", "general", ...), for routing and replies.
    """

    name: str
    pattern: re.Pattern[str]
    tool: str | None = None
    read: Callable[[Heard], Slots] = _nothing
    build: Callable[[Slots, datetime], dict[str, Any]] = field(
        default=lambda slots, _now: dict(slots)
    )
    asks: tuple[Ask, ...] = ()
    area: str = "general"

    def missing(self, slots: Slots) -> Ask | None:
        """The first required slot still missing, if any."""
        return next((ask for ask in self.asks if ask.is_missing(slots)), None)


def pattern(*alternatives: str) -> re.Pattern[str]:
    """Compile an intent pattern from alternatives (utterances are already lower-case)."""
    return re.compile("|".join(alternatives))


# --- slot helpers shared by the domains ------------------------------------------------------

_LEADING = re.compile(
    r"^(?:(?:to|that|about|for|of|please|and|so|then|also|just|called|named|saying|"
    r"that says|it's|it is|is)\b[\s,:]*)+"
)
_TRAILING = re.compile(
    r"(?:[\s,:]*\b(?:by|on|at|for|due|before|until|to|in|and|please|from|of|starting|"
    r"next|with|the|around|about|thanks|thank you)\b)+$"
)


def tidy(phrase: str) -> str:
    """Trim connecting words and punctuation from the ends of a phrase ("to call mom by")."""
    phrase = phrase.strip(" ,.;:!?\"'")
    for _ in range(3):
        lowered = phrase.lower()
        cut_front = _LEADING.match(lowered)
        if cut_front:
            phrase = phrase[cut_front.end() :]
        cut_back = _TRAILING.search(phrase.lower())
        if cut_back:
            phrase = phrase[: cut_back.start()]
        phrase = phrase.strip(" ,.;:!?\"'")
    return phrase


def phrase_at(heard: Heard, span: Span, cuts: Iterable[Span] = ()) -> str:
    """The caller's own words for ``span`` of the prepared text, minus ``cuts``, tidied."""
    return tidy(heard.text.original_without(span[0], span[1], cuts))


def when_slots(heard: Heard, *, evening: bool = False) -> Slots:
    """``day`` and ``clock`` slots for the day and time said (only those said)."""
    found = heard.when(evening=evening)
    slots: Slots = {}
    if found.day is not None:
        slots["day"] = found.day
    if found.clock is not None:
        slots["clock"] = ClockSlot(found.clock, found.vague, found.flexible)
    return slots


def when_answer(heard: Heard, *, evening: bool = False) -> Slots:
    """A reply to a "when" question: as :func:`when_slots`, but a bare hour ("7") is a time."""
    found = when_slots(heard, evening=evening)
    if "clock" in found:
        return found
    anchored = Heard.of(f"at {heard.text.original}", heard.now)
    return found | {k: v for k, v in when_slots(anchored, evening=evening).items() if k == "clock"}


def moment(slots: Slots, now: datetime) -> datetime | None:
    """The datetime meant by the ``day`` and ``clock`` slots (next occurrence if no day)."""
    clock: ClockSlot | None = slots.get("clock")
    if clock is None:
        return None
    return resolve(When(slots.get("day"), clock.at, clock.vague, clock.flexible), now)


def iso_moment(slots: Slots, now: datetime) -> str | None:
    """:func:`moment` as ``YYYY-MM-DDTHH:MM``."""
    found = moment(slots, now)
    return iso_datetime(found) if found else None


def due(slots: Slots, now: datetime) -> str | None:
    """A due date: the day, or the day and time when a time was said."""
    if "clock" in slots:
        return iso_moment(slots, now)
    day: date | None = slots.get("day")
    return iso_date(day) if day else None


def no_time(slots: Slots) -> bool:
    """Whether no time of day is known yet."""
    return "clock" not in slots


def no_exact_time(slots: Slots) -> bool:
    """Whether no exact time is known yet ("this evening" is not exact)."""
    clock: ClockSlot | None = slots.get("clock")
    return clock is None or clock.vague


def no_day_or_time(slots: Slots) -> bool:
    """Whether neither a day nor a time is known yet."""
    return "day" not in slots and "clock" not in slots


def present(**values: Any) -> dict[str, Any]:
    """The keyword arguments that are not ``None``/empty (tool arguments left to defaults)."""
    return {k: v for k, v in values.items() if v not in (None, "", [])}


def free_text(heard: Heard, *, cut_when: bool = True) -> str:
    """A whole reply as free text ("call mom", "it's Design Crew"), minus a said day/time."""
    cuts = heard.when().spans if cut_when else ()
    return phrase_at(heard, (0, len(heard.words)), cuts)
