"""The agent's context: the spoken transcript and the extractive summary."""

from convonet.storage.redis import TransferRecord
from convonet.transfer.context import extractive_summary, transcript_of

AT = "2026-01-01T00:00:00+00:00"


def _record(reason: str = "") -> TransferRecord:
    return TransferRecord(
        session_id="s", status="requested", department="billing", extension="2003", reason=reason
    )


def test_transcript_keeps_only_what_was_spoken() -> None:
    messages = [
        {"role": "system", "content": "You are a bot."},
        {"role": "user", "content": "  I was  charged twice. "},
        {"role": "assistant", "content": [{"type": "text", "text": "Sorry about that."}]},
        {"role": "tool", "content": "{}"},
        {"role": "assistant", "content": ""},
        "not a message",
    ]
    lines = transcript_of(messages, AT)
    assert [(line.role, line.text, line.at) for line in lines] == [
        ("user", "I was charged twice.", AT),
        ("assistant", "Sorry about that.", AT),
    ]


def test_summary_quotes_the_callers_last_sentences_verbatim() -> None:
    lines = transcript_of(
        [
            {"role": "user", "content": "Hi. What time is it?"},
            {"role": "assistant", "content": "It's noon."},
            {"role": "user", "content": "I was charged twice for March. Fix it!"},
            {"role": "user", "content": "Let me talk to someone in billing."},
        ],
        AT,
    )
    summary = extractive_summary(lines, _record("refund"))
    assert summary == (
        'Caller asked for billing (refund). Caller said: "I was charged twice for March." '
        '"Fix it!" "Let me talk to someone in billing."'
    )
    for quoted in summary.split('"')[1::2]:  # extractive: every quote is the caller's own words
        assert any(quoted in line.text for line in lines if line.role == "user")


def test_summary_without_anything_said_says_only_what_is_known() -> None:
    assert extractive_summary([], _record()) == "Caller asked for billing."
