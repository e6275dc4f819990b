"""What the human agent sees: the caller, the conversation so far and a short summary.

``callcenter:customer:{extension}:{call_sid}`` (shape fixed by the transfer/call-center
contract) is written when a transfer is requested; the call-center dashboard reads it. The
transcript is what was actually spoken (the pipeline's ``LLMContext`` or a text session's
stored history); the summary is extractive: the caller's own sentences, quoted, never
invented.
"""

import re
from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import BaseModel

from convonet.storage.models import User
from convonet.storage.redis.transfers import TransferRecord

SUMMARY_SENTENCES = 3
SUMMARY_CHARS = 400
SENTENCE = re.compile(r"[^.!?]+[.!?]?")


class TranscriptLine(BaseModel):
    """One spoken turn."""

    role: Literal["user", "assistant"]
    text: str
    at: str


class Customer(BaseModel):
    """The caller's profile as the agent sees it."""

    user_id: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None

    @classmethod
    def of(cls, user: User | None, user_id: str | None) -> "Customer":
        """The profile of ``user`` (only the id when the account is gone or unknown)."""
        if user is None:
            return cls(user_id=user_id)
        return cls(user_id=user.id, name=user.name, email=user.email, phone=user.phone)


class TransferContext(BaseModel):
    """``callcenter:customer:{extension}:{call_sid}``."""

    call_sid: str
    session_id: str
    extension: str
    department: str
    reason: str
    channel: str
    caller_number: str | None = None
    customer: Customer
    transcript: list[TranscriptLine]
    summary: str
    created_at: str


def spoken_messages(messages: Iterable[object]) -> list[dict[str, str]]:
    """The spoken turns of a conversation as plain ``{"role", "content"}`` messages.

    System, tool and provider-specific messages and empty turns are left out.
    """
    spoken = []
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        role, text = message.get("role"), _text(message.get("content"))
        if role in ("user", "assistant") and text:
            spoken.append({"role": str(role), "content": text})
    return spoken


def transcript_of(messages: Iterable[object], at: str) -> list[TranscriptLine]:
    """The spoken turns of a conversation, each stamped ``at``.

    Messages carry no time of their own, so every line gets ``at``, the time the transcript
    was taken.
    """
    return [
        TranscriptLine(role=m["role"], text=m["content"], at=at)  # type: ignore[arg-type]
        for m in spoken_messages(messages)
    ]


def _text(content: object) -> str:
    if isinstance(content, str):
        return " ".join(content.split())
    if isinstance(content, list):  # content parts: keep the text ones
        parts = [p.get("text", "") for p in content if isinstance(p, dict)]
        return " ".join(" ".join(parts).split())
    return ""


def extractive_summary(transcript: list[TranscriptLine], record: TransferRecord) -> str:
    """A short, honest summary: why the transfer was asked and the caller's own sentences.

    The caller's sentences are quoted verbatim, most recent last, up to
    :data:`SUMMARY_SENTENCES` of them within :data:`SUMMARY_CHARS` characters.
    """
    said = [
        sentence.strip()
        for line in transcript
        if line.role == "user"
        for sentence in SENTENCE.findall(line.text)
        if len(sentence.split()) >= 2
    ]
    quotes: list[str] = []
    for sentence in reversed(said):
        if (
            len(quotes) == SUMMARY_SENTENCES
            or sum(map(len, quotes)) + len(sentence) > SUMMARY_CHARS
        ):
            break
        quotes.insert(0, f'"{sentence}"')
    head = f"Caller asked for {record.department}"
    head += f" ({record.reason})." if record.reason else "."
    return f"{head} Caller said: {' '.join(quotes)}" if quotes else head
