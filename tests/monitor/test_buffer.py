"""The Agent Monitor's bounded buffer: kept while Redis is down, bounded, losses counted."""

from convonet.monitor.buffer import TurnBuffer
from convonet.observability.metrics import AppMetrics
from convonet.turns.record import Turn


def _turn(index: int) -> Turn:
    return Turn(session_id="s", kind="voice", index=index)


async def test_a_batch_given_back_is_taken_again_first_and_memory_stays_bounded() -> None:
    buffer = TurnBuffer(capacity=3)
    for index in range(3):
        assert buffer.put(_turn(index))
    batch = await buffer.take(2)  # being written when Redis goes away
    assert not buffer.put(_turn(3))  # records in flight keep their place: the buffer is full
    buffer.give_back(batch)
    assert [t.index for t in await buffer.take(10)] == [0, 1, 2]  # order kept
    assert buffer.dropped == 1 and buffer.pending == 3


async def test_the_dropped_and_buffered_counts_are_exported() -> None:
    buffer = TurnBuffer(capacity=1)
    buffer.put(_turn(0))
    buffer.put(_turn(1))
    metrics = AppMetrics()
    metrics.watch_monitor(lambda: buffer.dropped, lambda: buffer.pending)
    text = metrics.render().decode()
    assert "convonet_monitor_records_dropped_total 1.0" in text
    assert "convonet_monitor_records_buffered 1.0" in text
