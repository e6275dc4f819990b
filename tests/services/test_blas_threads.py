"""One OpenBLAS thread per server process: numpy's OpenBLAS is told, an operator's choice kept."""

import ctypes
import os

import pytest

from convonet.services import blas_threads
from convonet.services.blas_threads import limit_blas_threads, one_blas_thread

_GETTERS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads")


def _numpy_openblas_threads() -> int | None:
    """What numpy's OpenBLAS says its thread count is (None: no OpenBLAS found)."""
    for path in blas_threads._loaded_openblas():
        library = ctypes.CDLL(path)
        for name in _GETTERS:
            getter = getattr(library, name, None)
            if getter is not None:
                return int(getter())
    return None


def test_numpy_openblas_is_limited() -> None:
    import numpy  # noqa: F401

    before = _numpy_openblas_threads()
    if before is None:
        pytest.skip("numpy is not built on OpenBLAS here")
    try:
        assert limit_blas_threads(1) >= 1
        assert _numpy_openblas_threads() == 1
    finally:
        limit_blas_threads(before)


def test_the_environment_is_set_and_the_loaded_library_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    told: list[int] = []
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setattr(blas_threads, "limit_blas_threads", told.append)
    one_blas_thread()
    assert told == [1]
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"


def test_an_operators_setting_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    told: list[int] = []
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    monkeypatch.setattr(blas_threads, "limit_blas_threads", told.append)
    one_blas_thread()
    assert told == []
