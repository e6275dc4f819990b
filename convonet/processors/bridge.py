"""The two ends of a call's audio bridge to a human agent in its pipeline.

``BridgeInputProcessor`` sits right after the transport's input: while the agent is on, the
caller's audio goes to the agent and not on to STT (no transcripts, so no agent turns).
``BridgeOutputProcessor`` sits right before the transport's output: while the agent is on,
the bot's own audio is dropped and the agent's audio is played to the caller instead.
See :class:`~convonet.transfer.bridge.AudioBridge`.

Both run in pipecat's direct mode: a frame is handled in the task of the processor that
pushed it, with no input queue and task of their own. Every 20 ms of the caller's audio and
every chunk of the bot's passes them, and all they do is forward or drop it. The one wait,
sending the caller's audio to the agent while bridged, now holds the transport's audio task
instead of this processor's own, which was just as serial.
"""

from pipecat.frames.frames import Frame, InputAudioRawFrame, OutputAudioRawFrame
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor, FrameProcessorSetup

from convonet.transfer.bridge import AudioBridge


class BridgeInputProcessor(FrameProcessor):
    """Diverts the caller's audio to the agent while bridged."""

    def __init__(self, bridge: AudioBridge, **kwargs: object) -> None:
        """Create the input end of ``bridge``."""
        kwargs.setdefault("enable_direct_mode", True)
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._bridge = bridge

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Send caller audio to the agent while bridged; forward everything else."""
        await super().process_frame(frame, direction)
        if self._bridge.active and isinstance(frame, InputAudioRawFrame):
            await self._bridge.to_agent(frame)
            return
        await self.push_frame(frame, direction)


class BridgeOutputProcessor(FrameProcessor):
    """Plays the agent's audio, and nothing of the bot's, while bridged."""

    def __init__(self, bridge: AudioBridge, **kwargs: object) -> None:
        """Create the output end of ``bridge``."""
        kwargs.setdefault("enable_direct_mode", True)
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._bridge = bridge

    async def setup(self, setup: FrameProcessorSetup) -> None:  # type: ignore[override]
        """Give the bridge the pipeline's rates and a way to play audio to the caller."""
        await super().setup(setup)
        self._bridge.connect_pipeline(setup, self._play)

    async def _play(self, frame: Frame) -> None:
        await self.push_frame(frame, FrameDirection.DOWNSTREAM)

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Drop the bot's audio while bridged; forward everything else."""
        await super().process_frame(frame, direction)
        if self._bridge.active and isinstance(frame, OutputAudioRawFrame):
            return
        await self.push_frame(frame, direction)
