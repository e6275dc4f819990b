"""Which transcripts ask for a person, and for which department."""

import pytest

from convonet.transfer.phrases import detect_transfer_ask


@pytest.mark.parametrize(
    ("text", "department"),
    [
        ("I want to talk to a real person.", None),
        ("Can I speak to a human please", None),
        ("Get me a representative", None),
        ("Operator!", None),
        ("Let me talk to someone in billing.", "billing"),
        ("I need a human from the sales team", "sales"),
        ("Put me through to the support department, I want a live agent", "support"),
        ("Could you connect me to someone in marketing", "marketing"),
        ("I\u2019d like to speak with somebody", None),
    ],
)
def test_asks_for_a_person(text: str, department: str | None) -> None:
    ask = detect_transfer_ask(text)
    assert ask is not None and ask.department == department and ask.text == text.strip()


@pytest.mark.parametrize(
    "text",
    [
        "What's the weather in Paris?",
        "I don't need a human, just add milk to my list",
        "Add a meeting with the sales team tomorrow",
        "personal reminder at noon",
        "",
    ],
)
def test_other_speech_is_not_a_transfer(text: str) -> None:
    assert detect_transfer_ask(text) is None
