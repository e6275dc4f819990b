"""TransferEventsProcessor with pipecat's run_test: this call's transfer changes become RTVI."""

import asyncio

from pipecat.frames.frames import TextFrame
from pipecat.processors.frameworks.rtvi.frames import RTVIServerMessageFrame
from pipecat.tests.utils import SleepFrame, run_test

from convonet.processors.transfer_events import TransferEventsProcessor
from convonet.storage.redis import RedisStore
from convonet.transfer.events import TransferEvents
from convonet.transfer.service import DepartmentInfo, TransferService

DEPARTMENTS = [DepartmentInfo("support", "2001"), DepartmentInfo("sales", "2002")]


async def test_each_change_of_this_calls_transfer_reaches_the_client(
    redis_store: RedisStore,
) -> None:
    events = TransferEvents(redis_store)
    processor = TransferEventsProcessor(events, "call-1")
    service = TransferService(redis_store)

    async def changes() -> None:
        await asyncio.wait_for(processor.listening.wait(), 5)
        await service.start("other-call", "sales", DEPARTMENTS)
        await service.start("call-1", "support", DEPARTMENTS)
        await service.advance("call-1", "initiated")
        await service.advance("call-1", "failed", failure="no-answer")

    writer = asyncio.create_task(changes())
    down, _ = await run_test(processor, frames_to_send=[TextFrame("hi"), SleepFrame(sleep=1.0)])
    await writer
    await events.aclose()
    assert isinstance(down[0], TextFrame)  # everything else passes through
    messages = [f.data for f in down if isinstance(f, RTVIServerMessageFrame)]
    assert messages == [
        {"type": "transfer", "status": status, "department": "support"}
        for status in ["requested", "initiated", "failed"]
    ]
