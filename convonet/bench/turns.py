"""One spoken turn over ``/ws``, timed from the caller's side.

Voice-to-voice is the time from the end of the caller's speech (the moment the chunk holding
its last speech sample was sent) to the first chunk of bot audio received. The server's stages
come from its RTVI messages: when each arrived after the end of speech, and the time-to-first-
byte the server measured for each service (the ``metrics`` messages).
"""

import asyncio
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import httpx

from convonet.bench.client import Caller, Heard
from convonet.bench.speech import Turn, speak, speech_end_secs

# RTVI message type -> stage name (milliseconds after the end of speech when it arrived).
EVENT_STAGES: dict[str, str] = {
    "user-transcription": "transcript_ms",
    "user-stopped-speaking": "turn_end_ms",
    "bot-llm-text": "agent_first_text_ms",
    "bot-tts-started": "tts_started_ms",
    "bot-started-speaking": "bot_started_speaking_ms",
}
# Service kind (matched in the processor's name) -> stage name of its time-to-first-byte.
TTFB_STAGES: dict[str, str] = {
    "STT": "stt_ttfb_ms",
    "LangGraph": "agent_ttfb_ms",
    "LLM": "agent_ttfb_ms",
    "TTS": "tts_ttfb_ms",
}
STAGES: tuple[str, ...] = (
    "voice_to_voice_ms",
    *dict.fromkeys(EVENT_STAGES.values()),
    *dict.fromkeys(TTFB_STAGES.values()),
)


@dataclass
class TurnRecord:
    """How one turn went.

    Attributes:
        text: What the caller said.
        stages: Stage name -> milliseconds (see :data:`STAGES`); missing when not seen.
        heard: What the server transcribed.
        reply: What the bot said.
        audio_gaps: Times the bot's audio arrived after the caller had played everything
            before it (an audible gap with no jitter buffer).
        audio_gap_ms: Total length of those gaps.
        pause_secs: The pause inside the utterance (0 for none).
        false_ends: Turn ends (``user-stopped-speaking``) before the caller had finished:
            the turn was cut at a pause and the bot answered half a sentence.
        user_turns: Turn ends from the start of the utterance until the bot's answer was
            over; more than one means the utterance was split into several turns.
        error: Why the turn failed (no answer in time), or None.
    """

    text: str
    stages: dict[str, float] = field(default_factory=dict)
    heard: str = ""
    reply: str = ""
    audio_gaps: int = 0
    audio_gap_ms: float = 0.0
    pause_secs: float = 0.0
    false_ends: int = 0
    user_turns: int = 0
    error: str | None = None

    @property
    def cut(self) -> bool:
        """The utterance did not reach the agent as one turn."""
        return self.false_ends > 0 or self.user_turns > 1

    @property
    def voice_to_voice_ms(self) -> float | None:
        """End of speech to first bot audio, or None if the bot never answered."""
        return self.stages.get("voice_to_voice_ms")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


Speech = Literal["network", "embedded"]

# The services a benchmark's call asks for at /api/connect, by where its speech is made:
# Deepgram (a fake server in the benchmarks), or the server's own Whisper and Piper.
SPEECH: dict[Speech, dict[str, str]] = {
    "network": {"stt": "deepgram", "tts": "deepgram", "llm": "offline"},
    "embedded": {"stt": "whisper", "tts": "piper", "llm": "offline"},
}


async def open_call(base_url: str, pin: str, **choices: str) -> str:
    """Sign in at ``/api/connect`` and return the single-use ``/ws`` URL.

    Args:
        base_url: ``http://host:port`` of the server.
        pin: The voice PIN.
        **choices: ``bot``, ``llm``, ``stt``, ``tts`` to ask for.
    """
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        response = await http.post("/api/connect", json={"pin": pin, **choices})
    response.raise_for_status()
    return str(response.json()["ws_url"])


async def wait_until_quiet(caller: Caller, timeout: float, settle_secs: float = 0.0) -> None:
    """Wait until the bot has spoken (the greeting) and stopped, and stays quiet a while.

    A loaded machine can leave a gap between two sentences of one answer (Piper's next
    sentence not ready in time): the bot stops and starts again. ``settle_secs`` of quiet
    make sure the answer is over before the caller speaks again.
    """

    def quiet(heard: Heard) -> bool:
        started = heard.count("bot-started-speaking")
        return started > 0 and heard.count("bot-stopped-speaking") >= started

    async with asyncio.timeout(timeout):
        while True:
            await caller.wait_for(quiet, timeout)
            started = caller.heard.count("bot-started-speaking")
            await asyncio.sleep(settle_secs)
            if caller.heard.count("bot-started-speaking") == started and quiet(caller.heard):
                return


async def speak_turn(caller: Caller, turn: Turn, timeout: float = 30.0) -> TurnRecord:
    """Say ``turn`` (synthesized) and time the bot's answer until it stops speaking."""
    pcm = await asyncio.to_thread(speak, turn, caller.sample_rate)
    end_secs = speech_end_secs(pcm, caller.sample_rate)
    heard = caller.heard
    stopped = heard.count("bot-stopped-speaking")
    first_message, first_audio = len(heard.messages), len(heard.audio)
    ended = await caller.say(pcm, end_secs)
    record = TurnRecord(turn.text, pause_secs=turn.pause_secs)
    try:
        await caller.wait_for(lambda h: h.count("bot-stopped-speaking") > stopped, timeout)
    except TimeoutError:
        record.error = f"no complete answer within {timeout:g} s"
    _read_messages(record, heard.messages[first_message:], ended)
    _read_audio(record, heard.audio[first_audio:], ended)
    return record


def count_user_turns(record: TurnRecord, messages: list[tuple[float, dict[str, Any]]]) -> None:
    """Count the turn ends among ``messages`` (everything since the utterance started)."""
    record.user_turns = sum(1 for _, m in messages if m.get("type") == "user-stopped-speaking")


def _read_messages(
    record: TurnRecord, messages: list[tuple[float, dict[str, Any]]], ended: float
) -> None:
    replies: list[str] = []
    for at, message in messages:
        kind, data = message.get("type"), message.get("data") or {}
        if kind == "user-stopped-speaking" and at < ended:
            record.false_ends += 1
        if kind == "user-transcription" and data.get("final"):
            record.heard = " ".join((record.heard, str(data.get("text", "")).strip())).strip()
        if kind == "bot-output" and data.get("spoken") is False:
            replies.append(str(data.get("text", "")))
        if at >= ended and kind in EVENT_STAGES:
            record.stages.setdefault(EVENT_STAGES[kind], round((at - ended) * 1000, 1))
        if at >= ended and kind == "metrics":
            for metric in data.get("ttfb", []):
                _note_ttfb(record, metric)
        if kind == "bot-stopped-speaking" and at >= ended:
            break
    record.reply = " ".join(replies)


def _note_ttfb(record: TurnRecord, metric: dict[str, Any]) -> None:
    processor = str(metric.get("processor", ""))
    for marker, stage in TTFB_STAGES.items():
        if marker in processor and isinstance(metric.get("value"), int | float):
            record.stages.setdefault(stage, round(float(metric["value"]) * 1000, 1))
            return


def _read_audio(record: TurnRecord, audio: list[tuple[float, float]], ended: float) -> None:
    chunks = [(at, secs) for at, secs in audio if at >= ended]
    if not chunks:
        return
    first = chunks[0][0]
    record.stages["voice_to_voice_ms"] = round((first - ended) * 1000, 1)
    # Play the audio as it arrives: a chunk arriving after everything before it has been
    # played leaves a gap (no jitter buffer, the strictest view).
    played_until = first
    for at, secs in chunks:
        if at > played_until + 0.001:
            record.audio_gaps += 1
            record.audio_gap_ms += (at - played_until) * 1000
            played_until = at
        played_until += secs
    record.audio_gap_ms = round(record.audio_gap_ms, 1)
