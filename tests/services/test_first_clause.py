"""The first clause of each reply reaches Piper on its own."""

from pipecat.utils.text.base_text_aggregator import TextType

from convonet.services.first_clause import FirstClauseTextAggregator


async def _aggregate(aggregator: FirstClauseTextAggregator, *chunks: str) -> list[str]:
    out = [a.text for chunk in chunks async for a in aggregator.aggregate(chunk)]
    if (rest := await aggregator.flush()) is not None and rest.text:
        out.append(rest.text)
    return out


async def test_the_first_clause_goes_alone_then_whole_sentences() -> None:
    aggregator = FirstClauseTextAggregator()
    reply = "I can manage your to-do list, your calendar, and your team's tasks. Ask me anything."

    assert await _aggregate(aggregator, reply) == [
        "I can manage your to-do list,",
        "your calendar, and your team's tasks.",
        "Ask me anything.",
    ]


async def test_streamed_tokens_split_the_same_way_and_each_reply_starts_again() -> None:
    aggregator = FirstClauseTextAggregator()
    first = await _aggregate(aggregator, "It's ten ", "past nine, ", "on Friday.")
    second = await _aggregate(aggregator, "Sure, I added it to your list.")

    assert first == ["It's ten past nine,", "on Friday."]
    # "Sure," is too short to be worth a synthesis of its own.
    assert second == ["Sure, I added it to your list."]


async def test_an_interrupted_reply_resets_the_first_clause() -> None:
    aggregator = FirstClauseTextAggregator()
    assert [a.text async for a in aggregator.aggregate("Well I think that")] == []
    await aggregator.handle_interruption()

    assert await _aggregate(aggregator, "Here is the answer, in short.") == [
        "Here is the answer,",
        "in short.",
    ]
    assert aggregator.aggregation_type == TextType.SENTENCE
