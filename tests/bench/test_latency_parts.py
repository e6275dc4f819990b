"""The latency benchmark's parts that need no server: paused speech, WER, cut turns."""

import itertools

import pytest

from convonet.bench.latency import CallRun, config_result
from convonet.bench.speech import PAUSED_TURNS, Turn, _loud_windows, speak, stretch_pause
from convonet.bench.turns import TurnRecord, _read_messages, count_user_turns
from convonet.bench.wer import normalize, word_error_rate


def _longest_inner_gap_secs(pcm: bytes) -> float:
    loud, window = _loud_windows(pcm, 16000)
    return float(max(b - a - 1 for a, b in itertools.pairwise(loud)) * window / 16000)


@pytest.mark.parametrize("turn", PAUSED_TURNS[:2], ids=lambda t: t.text[:20])
def test_paused_utterances_pause_as_long_as_asked(turn: Turn) -> None:
    assert _longest_inner_gap_secs(speak(turn)) == pytest.approx(turn.pause_secs, abs=0.011)


def test_stretch_pause_refuses_speech_without_a_pause() -> None:
    with pytest.raises(ValueError, match="no pause"):
        stretch_pause(b"\x00\x10" * 16000, 0.4)


def test_wer_counts_words_only_and_spells_digits() -> None:
    assert normalize("My number is 555-1234, OK?") == (
        "my number is five five five one two three four ok"
    )
    assert word_error_rate(["Add milk to my to-do list."], ["add milk to my to do list"]) == 0.0
    # "Hello" lost: one deletion out of five words.
    assert word_error_rate(["Hello, what can you do?"], ["What can you do?"]) == 0.2
    assert word_error_rate(["What time is it?"], [""]) == 1.0


def test_a_turn_end_before_the_caller_finished_is_a_false_end() -> None:
    record = TurnRecord("Add milk, and eggs to my list.", pause_secs=0.45)
    messages = [
        (10.0, {"type": "user-stopped-speaking"}),  # during the pause: cut
        (12.0, {"type": "user-stopped-speaking"}),
        (12.5, {"type": "bot-stopped-speaking"}),
    ]
    _read_messages(record, messages, ended=11.5)
    plain = TurnRecord("What time is it?")
    _read_messages(plain, messages[1:], ended=11.5)
    count_user_turns(plain, messages[1:])
    split = TurnRecord("Please remind me to call, my mother.", pause_secs=0.6)
    # Ended after the caller finished, but a late transcript of the rest made a second turn.
    count_user_turns(split, [(12.0, messages[0][1]), (14.0, messages[0][1])])

    result = config_result(CallRun([record, plain, split]), {})

    assert (record.false_ends, plain.false_ends) == (1, 0)
    assert (record.cut, plain.cut, split.cut) == (True, False, True)
    assert result["false_end_of_turn"] == {
        "paused_turns": 2,
        "cut_turns": 2,
        "rate": 1.0,
        "cut_plain_turns": 0,
    }
