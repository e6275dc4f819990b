"""The stage table: one list of what is measured in a turn, used by every consumer.

A turn passes these moments (``time.time()`` seconds, attributes of
:class:`~convonet.turns.record.TurnTimes`); a *stage* is the time between two of them, in ms.
The Agent Monitor stores and shows these stages, Prometheus observes them (in seconds, under
the stage name without ``_ms``) and Sentry sends them as spans and measurements; the pages
read names and labels from ``GET /agent-monitor/api/stages``.

The waterfall stages follow one another from the end of the caller's speech to the bot's
first audio; their sum is ``voice_to_voice_ms``.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Stage:
    """One stage of a turn.

    Attributes:
        name: The key in ``Turn.stages`` (ms).
        label: A short human label (charts and tables).
        starts: The moments it may start at, the first one present wins.
        end: The moment it ends at; ``None`` for a stage that is not a span (``tools_ms``).
        waterfall: Whether it is one of the consecutive stages summing to voice-to-voice.
        description: What it measures.
    """

    name: str
    label: str
    starts: tuple[str, ...]
    end: str | None
    waterfall: bool
    description: str

    @property
    def metric(self) -> str:
        """The stage's name in Prometheus and in Sentry span ops (``stt_ms`` → ``stt``)."""
        return self.name.removesuffix("_ms")


def _stage(name: str, label: str, span: str, description: str, *, waterfall: bool = False) -> Stage:
    start, _, end = span.partition("->")
    starts = tuple(part.strip() for part in start.split("|"))
    return Stage(name, label, starts, end.strip() or None, waterfall, description)


STAGE_TABLE: tuple[Stage, ...] = (
    _stage("vad_ms", "VAD stop", "user_stopped_at -> vad_stopped_at",
           "The silence the VAD waits for before it declares the end of speech (stop_secs).",
           waterfall=True),
    _stage("stt_ms", "Speech-to-text", "vad_stopped_at -> stt_final_at",
           "The VAD's end of speech to the final transcription.", waterfall=True),
    _stage("turn_detect_ms", "Turn detection", "stt_final_at -> agent_start_at",
           "The final transcription to the user's turn reaching the agent.", waterfall=True),
    _stage("llm_first_token_ms", "Agent first token", "agent_start_at -> first_token_at",
           "The agent starting to the first spoken token (model, tools, routing).",
           waterfall=True),
    _stage("first_sentence_ms", "First sentence", "first_token_at -> first_sentence_at",
           "The first token to the first complete sentence handed to TTS.", waterfall=True),
    _stage("tts_ms", "TTS first audio", "first_sentence_at | first_token_at -> first_audio_at",
           "The first sentence (or token, for a TTS without sentences) to TTS's first audio.",
           waterfall=True),
    _stage("playout_ms", "Playout", "first_audio_at -> bot_started_at",
           "The first audio to the bot starting to speak to the caller.", waterfall=True),
    _stage("voice_to_voice_ms", "Voice-to-voice", "user_stopped_at -> bot_started_at",
           "The real end of the caller's speech to the bot starting to speak."),
    _stage("agent_ms", "Agent turn", "agent_start_at -> agent_end_at",
           "The whole agent turn: routing, model calls and tool calls."),
    _stage("speaking_ms", "Bot speaking", "bot_started_at -> turn_end_at",
           "The bot speaking (until it stops, is interrupted, or the caller hangs up)."),
    _stage("total_ms", "Turn", "user_stopped_at | agent_start_at -> turn_end_at",
           "The whole turn: from the end of speech (voice) or the request reaching the "
           "agent (text) to the end of the turn."),
    _stage("greeting_ms", "Greeting", "connected_at -> bot_started_at",
           "The caller connecting to the bot starting its greeting (greetings only)."),
    _stage("tools_ms", "Tool calls", "tool_calls ->",
           "The sum of the turn's tool-call times (tools may run in parallel with speech)."),
)  # fmt: skip

STAGES: Mapping[str, Stage] = {stage.name: stage for stage in STAGE_TABLE}
WATERFALL_STAGES: Sequence[str] = tuple(s.name for s in STAGE_TABLE if s.waterfall)


def derive_stages(moments: Mapping[str, float | None], tools_ms: float | None) -> dict[str, float]:
    """Stage durations in ms for every stage whose moments exist.

    A stage whose end precedes its start (a streaming STT's final text can arrive before the
    VAD confirms the stop) counts as 0 ms.

    Args:
        moments: The turn's moments by name (``TurnTimes.model_dump()``).
        tools_ms: The sum of the turn's tool-call times, or ``None`` without tool calls.

    Returns:
        ``{stage: ms}`` in table order, rounded to 0.1 ms.
    """
    stages: dict[str, float] = {}
    for stage in STAGE_TABLE:
        if stage.end is None:
            if tools_ms is not None:
                stages[stage.name] = round(tools_ms, 1)
            continue
        start = next((moments[m] for m in stage.starts if moments.get(m) is not None), None)
        end = moments.get(stage.end)
        if start is not None and end is not None:
            stages[stage.name] = round(max(0.0, (end - start) * 1000), 1)
    return stages


def stage_table() -> list[dict[str, object]]:
    """The table as JSON-ready rows (``GET /agent-monitor/api/stages``)."""
    return [
        {
            "name": s.name,
            "label": s.label,
            "from": list(s.starts),
            "to": s.end,
            "waterfall": s.waterfall,
            "description": s.description,
        }
        for s in STAGE_TABLE
    ]
