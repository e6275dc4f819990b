"""The audio bridge between a browser caller's pipeline and the agent's Twilio media stream.

While the agent's stream (``/twilio/bridge``) is attached, the caller's audio goes to the
agent instead of to STT, and the agent's audio goes to the caller instead of the bot's TTS:
the bot is muted (no transcripts, so no agent turns, and no speech). Pipecat's
:class:`TwilioFrameSerializer` speaks the media-stream protocol both ways, resampling with
pipecat's stream resampler between the pipeline's rates and 8 kHz μ-law. When the agent's
stream ends (the agent hung up) the caller is told and the bot carries on.

One bridge belongs to one call's pipeline and lives in the process running it; the two
processors of :mod:`convonet.processors.bridge` are its ends in the pipeline.
"""

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable

from loguru import logger
from pipecat.frames.frames import Frame, InputAudioRawFrame, OutputAudioRawFrame
from pipecat.processors.frame_processor import FrameProcessorSetup
from pipecat.serializers.twilio import TwilioFrameSerializer
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from convonet.errors import TransferError

MAX_MESSAGE_CHARS = 64 * 1024  # a media message carries ~20 ms (a few hundred characters)
AGENT_LEFT = "The agent has left the call. I'm back with you; how else can I help?"
Say = Callable[[str], Awaitable[None]]
Inject = Callable[[Frame], Awaitable[None]]


class AudioBridge:
    """Carries audio between the caller's pipeline and the agent's media stream."""

    def __init__(self, say: Say | None = None) -> None:
        """Create an idle bridge.

        Args:
            say: Speaks a line to the caller (used when the agent hangs up).
        """
        self._say = say
        self._setup: FrameProcessorSetup | None = None
        self._inject: Inject | None = None
        self._agent: WebSocket | None = None
        self._serializer: TwilioFrameSerializer | None = None
        self.attached = asyncio.Event()

    @property
    def active(self) -> bool:
        """Whether the agent's stream is attached (the bot is muted)."""
        return self._agent is not None

    def connect_pipeline(self, setup: FrameProcessorSetup, inject: Inject) -> None:
        """Called by the output end once the pipeline is set up.

        Args:
            setup: The pipeline's setup (its audio rates).
            inject: Pushes a frame to the caller's output transport.
        """
        self._setup, self._inject = setup, inject

    async def to_agent(self, frame: InputAudioRawFrame) -> None:
        """Send a piece of the caller's audio to the agent (μ-law 8 kHz)."""
        agent, serializer = self._agent, self._serializer
        if agent is None or serializer is None:
            return
        data = await serializer.serialize(
            OutputAudioRawFrame(frame.audio, frame.sample_rate, frame.num_channels)
        )
        if data is None or agent.client_state != WebSocketState.CONNECTED:
            return
        # The agent may have just hung up: the stream's reader then ends the bridge.
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await agent.send_text(str(data))

    async def close(self) -> None:
        """Close the agent's stream (the caller hung up while bridged)."""
        agent = self._agent
        if agent is not None and agent.client_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, OSError):
                await agent.close(reason="the caller hung up")

    async def run(self, websocket: WebSocket, stream_sid: str) -> None:
        """Bridge the agent's accepted stream until it ends, then hand the caller back.

        Raises:
            TransferError: The caller's pipeline is not running, or an agent is already on.
        """
        if self._setup is None or self._inject is None:
            raise TransferError("the caller's pipeline is not running")
        if self._agent is not None:
            raise TransferError("an agent is already connected to this call")
        serializer = TwilioFrameSerializer(
            stream_sid, params=TwilioFrameSerializer.InputParams(auto_hang_up=False)
        )
        await serializer.setup(self._setup)
        self._serializer, self._agent = serializer, websocket
        self.attached.set()
        logger.info(f"stream {stream_sid}: agent bridged to the caller")
        try:
            await self._relay_agent(websocket, serializer, self._inject)
        finally:
            self._agent = self._serializer = None
            self.attached.clear()
            logger.info(f"stream {stream_sid}: agent left; the bot resumes")
            if self._say is not None:
                await self._say(AGENT_LEFT)

    @staticmethod
    async def _relay_agent(
        websocket: WebSocket, serializer: TwilioFrameSerializer, inject: Inject
    ) -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("text")
            if not isinstance(data, str) or len(data) > MAX_MESSAGE_CHARS:
                continue  # Twilio sends JSON text only; anything else is not its audio
            event = _event(data)
            if event == "stop":
                return
            if event != "media":
                continue
            frame = await serializer.deserialize(data)
            if isinstance(frame, InputAudioRawFrame):
                await inject(
                    OutputAudioRawFrame(frame.audio, frame.sample_rate, frame.num_channels)
                )


def _event(data: str) -> str | None:
    try:
        message = json.loads(data)
    except ValueError:
        return None
    return message.get("event") if isinstance(message, dict) else None
