"""Live-session bookkeeping: held places for admitted callers, and their release."""

import asyncio

from convonet.bots.assistant import BOT
from convonet.lifecycle.live_sessions import LiveSessions
from convonet.session import CallSession


def _session(session_id: str) -> CallSession:
    return CallSession(
        session_id=session_id,
        bot=BOT,
        llm="offline",
        channel="websocket",
        stt="whisper",
        tts="piper",
    )


async def test_a_held_place_counts_until_its_stream_starts_or_it_expires() -> None:
    live = LiveSessions()
    live.reserve("a", hold_secs=60)
    live.reserve("b", hold_secs=0.05)
    assert live.occupied() == 2
    assert live.occupied(excluding="a") == 1  # a's own place is room for a
    await asyncio.sleep(0.1)
    assert live.occupied() == 1  # b never came: its place expired
    started = asyncio.Event()

    async def call() -> None:
        started.set()
        await asyncio.sleep(60)

    task = asyncio.create_task(live.run(_session("a"), call()))
    await started.wait()
    assert live.occupied() == 1 and len(live) == 1  # the place became the running call
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert live.occupied() == 0
    live.reserve("c", 60)
    live.release_places()
    assert live.occupied() == 0


async def test_a_callers_new_sign_in_takes_the_place_of_their_unstarted_ones() -> None:
    live = LiveSessions()
    live.reserve("first", hold_secs=60, holder="user-1")
    live.reserve("retry", hold_secs=60, holder="user-1")
    live.reserve("someone", hold_secs=60, holder="user-2")
    live.reserve("anonymous", hold_secs=60)
    assert live.occupied() == 4
    live.release_held_by("user-1")
    assert live.occupied() == 2  # user-1's places went; the others' stay
    live.release_held_by("user-3")  # nobody's: nothing changes
    assert live.occupied() == 2
