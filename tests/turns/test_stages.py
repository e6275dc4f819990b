"""The stage table: derivation rules, and the documentation that lists it."""

from pathlib import Path

import pytest

from convonet.turns.record import Turn, TurnTimes
from convonet.turns.stages import STAGE_TABLE, WATERFALL_STAGES, derive_stages

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def test_the_waterfall_adds_up_to_voice_to_voice() -> None:
    moments = [100.0, 100.2, 100.5, 100.6, 101.0, 101.1, 101.4, 101.45]
    names = (
        "user_stopped_at", "vad_stopped_at", "stt_final_at", "agent_start_at",
        "first_token_at", "first_sentence_at", "first_audio_at", "bot_started_at",
    )  # fmt: skip
    stages = derive_stages(dict(zip(names, moments, strict=True)), None)
    assert list(stages) == [*WATERFALL_STAGES, "voice_to_voice_ms"]
    waterfall = sum(stages[name] for name in WATERFALL_STAGES)
    assert waterfall == pytest.approx(stages["voice_to_voice_ms"]) == pytest.approx(1450)


def test_fallbacks_clamping_and_tools() -> None:
    times = TurnTimes(
        user_stopped_at=10.0, vad_stopped_at=10.2, stt_final_at=10.1,  # streaming STT: early
        agent_start_at=10.3, first_token_at=10.5, first_audio_at=10.9, turn_end_at=12.0,
    )  # fmt: skip
    stages = derive_stages(times.model_dump(), 12.345)
    assert stages["stt_ms"] == 0.0, "a negative span counts as 0"
    assert stages["tts_ms"] == pytest.approx(400), "no sentence moment: from the first token"
    assert "first_sentence_ms" not in stages and stages["tools_ms"] == 12.3
    assert stages["total_ms"] == pytest.approx(2000), "a voice turn counts from its speech end"
    text = Turn(session_id="t", kind="text", times=TurnTimes(agent_start_at=5.0, turn_end_at=5.25))
    assert text.with_stages().stages == {"total_ms": 250.0}, "a text turn from the agent start"


def test_the_architecture_doc_lists_every_stage_with_its_moments() -> None:
    doc = DOC.read_text()
    for stage in STAGE_TABLE:
        row = next(
            (line for line in doc.splitlines() if line.startswith(f"| `{stage.name}` |")), ""
        )
        assert row, f"{stage.name} is missing from docs/architecture.md"
        assert f"| {stage.label} |" in row and stage.description in row, row
        if stage.end is None:  # tools_ms: a sum, not a span
            assert "`tool_calls[].elapsed_ms`" in row, row
            continue
        for moment in (*stage.starts, stage.end):
            assert f"`{moment}`" in row, (stage.name, moment)
