"""Which transcripts leave the sentence hanging (the words' side of the verdict race)."""

import pytest

from convonet.services.turn_words import words_sound_unfinished


@pytest.mark.parametrize(
    ("text", "hangs"),
    [
        ("Book a table for two.", False),
        ("What time is it?", False),
        ("What is it for?", False),  # a stranded preposition ends many questions
        ("Add this", False),
        ("Add milk and", True),
        ("Add milk, and", True),
        ("What is the,", True),
        ("Remind me to", True),
        ("My phone number is five five five,", True),
        ("Call my mother, um", True),
        ("Could you tell me...", True),
        ("Book it for the", True),
        ("", True),
    ],
)
def test_words_sound_unfinished(text: str, hangs: bool) -> None:
    assert words_sound_unfinished(text) is hangs
