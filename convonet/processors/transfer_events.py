"""TransferEventsProcessor: the call's transfer changes reach its client as RTVI messages.

While the pipeline runs it listens to the process's one subscription to the
``transfer-events`` Redis channel (:class:`~convonet.transfer.events.TransferEvents`; the
transfer service publishes there, whichever server process made the change) and pushes an
``RTVIServerMessageFrame`` ``{type: "transfer", status, department}`` for each change of this
call's transfer. It is the one path from transfer state to the caller's client, and it
hands each change to the call's :class:`~convonet.transfer.call.CallTransfer` (context,
history) when one is given. A Redis outage does not end the call: the processor resubscribes
once Redis is back.

It runs in pipecat's direct mode (no input queue and task of its own): it only forwards what
passes it, the agent's text on its way to TTS, and its own listener task pushes the
messages.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from loguru import logger
from pipecat.frames.frames import CancelFrame, EndFrame, Frame, StartFrame
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.processors.frameworks.rtvi.frames import RTVIServerMessageFrame
from pydantic import ValidationError
from redis.exceptions import RedisError

from convonet.errors import StorageError
from convonet.storage.redis import TransferRecord
from convonet.transfer.events import TransferEvents


def client_message(event: dict[str, Any]) -> dict[str, Any]:
    """The RTVI server message data for a published transfer record."""
    return {"type": "transfer", "status": event["status"], "department": event["department"]}


class TransferEventsProcessor(FrameProcessor):
    """Relays this call's transfer changes from Redis pub/sub to the client."""

    def __init__(
        self,
        events: TransferEvents,
        session_id: str,
        on_change: Callable[[TransferRecord], Awaitable[None]] | None = None,
        **kwargs: object,
    ) -> None:
        """Create the processor.

        Args:
            events: The process's transfer-events subscription.
            session_id: The call whose transfer changes are relayed.
            on_change: Also called with each change, after the client was told.
            **kwargs: Passed to :class:`FrameProcessor` (direct mode unless given).
        """
        kwargs.setdefault("enable_direct_mode", True)
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._events = events
        self._session_id = session_id
        self._on_change = on_change
        self._listener: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Start listening with the pipeline, stop with it; forward every frame."""
        await super().process_frame(frame, direction)
        await self.push_frame(frame, direction)
        if isinstance(frame, StartFrame) and self._listener is None:
            self._listener = self.create_task(self._listen(), "transfer-events")
        elif isinstance(frame, EndFrame | CancelFrame):
            await self._stop()

    async def cleanup(self) -> None:
        """Stop listening."""
        await super().cleanup()
        await self._stop()

    async def _stop(self) -> None:
        if self._listener is not None:
            await self.cancel_task(self._listener)
            self._listener = None

    async def _listen(self) -> None:
        try:
            async with self._events.listen(self._session_id) as events:
                self.listening.set()
                while True:
                    await self._relay(await events.get())
        except (StorageError, RedisError) as exc:
            logger.warning(f"session {self._session_id}: transfer events unavailable: {exc}")

    async def _relay(self, event: dict[str, Any]) -> None:
        try:
            record = TransferRecord.model_validate(event)
        except ValidationError:
            logger.warning(f"session {self._session_id}: malformed transfer event skipped")
            return
        await self.push_frame(RTVIServerMessageFrame(data=client_message(event)))
        if self._on_change is not None:
            await self._on_change(record)
