"""Pipecat's frame push without the work nobody asked for (pipecat PR #5184, not yet released).

Every hop of every frame goes through ``FrameProcessor.push_frame``, which in pipecat 1.14

- builds the trace message ``f"Pushing {frame} downstream from {self} to {self._next}"``
  before loguru can tell that nobody logs at TRACE: three ``__str__`` calls, one of them
  formatting the frame's fields (an RTVI message frame prints its whole dict). On the 2-core
  benchmark machine (Zen 3) that is 2.4-3.2 µs of a push's ~3.5 µs of formatting and logging,
  and ~5% of the event loop's samples at 25 sessions (``docs/benchmarks.md``, fifth session);
- awaits ``_call_event_handler`` for ``on_before_push_frame`` and ``on_after_push_frame``,
  a coroutine each, although no processor of a call has a handler for either.

:func:`install` swaps in a push with the same behaviour that passes the trace message's
parts to loguru as arguments (formatted only if a handler takes TRACE, so the rendered
message is unchanged) and calls the two handlers only when registered. It replaces
pipecat's methods only when their source is the source this was written against
(:data:`PIPECAT_SOURCE_SHA256`); on any other pipecat it leaves them alone and says so, and
its test fails, so an upgrade is reviewed rather than patched blind.

It is off unless ``LEAN_FRAME_PUSH`` is set: in the concurrency benchmark's quiet single
call, a turn sometimes ended only at smart-turn's silence limit with it on (4 of 8 runs,
against 0 of 10 with pipecat's push, 2026-12-06, fifth session, a Zen 3; on the Zen 4 of
the sixth session it never happened in 18 runs). The push does the same things in the same
order, so the likeliest reading is a timing race elsewhere that the
quicker push exposes; until it is found, the saving is not worth the risk.
"""

import hashlib
import inspect
from collections.abc import Callable
from typing import Any

from loguru import logger
from pipecat.frames.frames import Frame
from pipecat.observers.base_observer import FramePushed
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.utils.errors import ErrorCategory

# sha256 of pipecat 1.14.0's FrameProcessor.push_frame and __internal_push_frame sources.
PIPECAT_SOURCE_SHA256 = "241c99013460bc4138b801d6b8efe0c0005541571286baa3186b0c52f4c9ecf5"
_INTERNAL_PUSH = "_FrameProcessor__internal_push_frame"
# pipecat's own methods while the lean push is installed.
_ORIGINALS: dict[str, Callable[..., Any]] = {}


def pipecat_push_source_sha256() -> str:
    """The sha256 of the installed pipecat's two push methods, as they are now."""
    methods: tuple[Callable[..., Any], ...] = (
        _ORIGINALS.get("push_frame", FrameProcessor.push_frame),
        _ORIGINALS.get(_INTERNAL_PUSH, getattr(FrameProcessor, _INTERNAL_PUSH)),
    )
    source = "".join(inspect.getsource(method) for method in methods)
    return hashlib.sha256(source.encode()).hexdigest()


def _has_handlers(processor: FrameProcessor, event: str) -> bool:
    """Whether anything is registered for ``event``.

    Every processor declares both push events; few ever get a handler for them.
    """
    handler = processor._event_handlers.get(event)
    return handler is not None and bool(handler.handlers)


async def _push_frame(
    self: FrameProcessor, frame: Frame, direction: FrameDirection = FrameDirection.DOWNSTREAM
) -> None:
    """``FrameProcessor.push_frame``: the push, between its handlers if any are registered."""
    if _has_handlers(self, "on_before_push_frame"):
        await self._call_event_handler("on_before_push_frame", frame)
    await _internal_push_frame(self, frame, direction)
    if _has_handlers(self, "on_after_push_frame"):
        await self._call_event_handler("on_after_push_frame", frame)


async def _internal_push_frame(
    self: FrameProcessor, frame: Frame, direction: FrameDirection
) -> None:
    """Pipecat's private push: tell the observer, then queue the frame on the neighbour."""
    setup = self._setup
    observer = setup.observer if setup else None
    try:
        if direction == FrameDirection.DOWNSTREAM:
            target, way = self._next, "downstream"
        else:
            target, way = self._prev, "upstream"
        if not target:  # as pipecat tests it
            return
        logger.trace("Pushing {} {} from {} to {}", frame, way, self, target)
        if observer:
            timestamp = self.get_clock().get_time()
            await observer.on_push_frame(
                FramePushed(
                    source=self,
                    destination=target,
                    frame=frame,
                    direction=direction,
                    timestamp=timestamp,
                )
            )
        await target.queue_frame(frame, direction)
    except Exception as error:  # as pipecat's: the neighbour and observers run inside this
        await self.push_error(
            error_msg=f"Uncaught exception: {error}",
            exception=error,
            category=ErrorCategory.UNKNOWN,
        )


def install() -> bool:
    """Use the lean push for every frame processor of this process.

    Returns:
        Whether it is in use: false when pipecat's push is not the one this replaces.
    """
    if _ORIGINALS:
        return True
    found = pipecat_push_source_sha256()
    if found != PIPECAT_SOURCE_SHA256:
        logger.warning(
            f"pipecat's frame push is not the one convonet's lean push replaces "
            f"(source sha256 {found[:12]}); keeping pipecat's"
        )
        return False
    _ORIGINALS["push_frame"] = FrameProcessor.push_frame
    _ORIGINALS[_INTERNAL_PUSH] = getattr(FrameProcessor, _INTERNAL_PUSH)
    FrameProcessor.push_frame = _push_frame  # type: ignore[method-assign]
    setattr(FrameProcessor, _INTERNAL_PUSH, _internal_push_frame)
    return True


def uninstall() -> None:
    """Put pipecat's own push back (tests)."""
    for name, method in _ORIGINALS.items():
        setattr(FrameProcessor, name, method)
    _ORIGINALS.clear()
