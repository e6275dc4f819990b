"""One thread for numpy's OpenBLAS in a server process.

numpy's bundled OpenBLAS starts a worker thread per extra core when it is imported and splits
every large enough matrix product over them. The ones on a call's path are mel filter banks:
in smart-turn's Whisper features (once per VAD stop) and, with the embedded STT, in
faster-whisper's (each transcription). After each, OpenBLAS's worker keeps spinning, waiting
for more work. On the 2-core benchmark machine a smart-turn inference cost ~195 ms of process
CPU that way against ~70 ms with one thread (faster-whisper's features for 3 s of audio: 132
against 3.3 ms), with the same wall time, and the spinning thread competed with every call's
event loop. With calls running side by side the cores are better spent on other calls than
on splitting one small product.

``OPENBLAS_NUM_THREADS=1`` in the environment does the same, but only if it is set before
numpy is imported; :func:`limit_blas_threads` works at any time, through OpenBLAS's own
``set_num_threads`` (what ``threadpoolctl`` calls).
"""

import ctypes
import os
from pathlib import Path

from loguru import logger

# OpenBLAS builds name their setter differently: plain, 64-bit interface, and the
# ``scipy_openblas`` builds that numpy 2 wheels ship.
_SETTERS = (
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
    "openblas_set_num_threads64_",
    "openblas_set_num_threads",
)


def _loaded_openblas() -> list[str]:
    """Paths of the OpenBLAS libraries mapped into this process (numpy's, once imported)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:  # not Linux: nothing to do
        return []
    paths = {line.split()[-1] for line in maps.splitlines() if "openblas" in line.lower()}
    return sorted(path for path in paths if path.startswith("/"))


def limit_blas_threads(threads: int = 1) -> int:
    """Tell every OpenBLAS loaded in this process to use at most ``threads`` threads.

    numpy is imported first, so its OpenBLAS is loaded. Does nothing where no OpenBLAS is
    found (another BLAS, another OS).

    Args:
        threads: Threads per BLAS call.

    Returns:
        How many OpenBLAS libraries were set.
    """
    import numpy  # noqa: F401  (loads its OpenBLAS, if that is its BLAS)

    done = 0
    for path in _loaded_openblas():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _SETTERS:
            setter = getattr(library, name, None)
            if setter is not None:
                setter.argtypes = [ctypes.c_int]
                setter(threads)
                done += 1
                break
    logger.debug(f"OpenBLAS threads limited to {threads} in {done} librar(y/ies)")
    return done


def one_blas_thread() -> None:
    """One OpenBLAS thread for this process and the processes it starts, unless configured.

    An ``OPENBLAS_NUM_THREADS`` already in the environment is the operator's choice and is
    left alone. Otherwise it is set to 1 (uvicorn's worker processes and the MCP tool
    subprocesses read it when their numpy loads) and this process's OpenBLAS, which may
    already be loaded, is told directly.
    """
    if "OPENBLAS_NUM_THREADS" in os.environ:
        return
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    limit_blas_threads(1)
