"""``GC_GEN0_THRESHOLD``: each ``convonet serve`` process sets its collector's threshold."""

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from convonet.lifecycle.serving import create_worker_app, tune_gc
from tests.conftest import test_settings as make_settings


@pytest.fixture(autouse=True)
def restored_thresholds() -> Iterator[tuple[int, int, int]]:
    """The test process's own thresholds, put back after each test."""
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


def test_the_setting_sets_generation_zero_only(
    tmp_path: Path, restored_thresholds: tuple[int, int, int]
) -> None:
    tune_gc(make_settings(tmp_path, gc_gen0_threshold=50_000))
    assert gc.get_threshold() == (50_000, *restored_thresholds[1:])


def test_unset_leaves_python_s_thresholds(
    tmp_path: Path, restored_thresholds: tuple[int, int, int]
) -> None:
    gc.set_threshold(123, *restored_thresholds[1:])
    tune_gc(make_settings(tmp_path, gc_gen0_threshold=None))
    assert gc.get_threshold()[0] == 123


def test_a_worker_process_tunes_its_collector_before_building_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GC_GEN0_THRESHOLD", "20000")
    app = create_worker_app()
    assert isinstance(app, FastAPI)
    assert gc.get_threshold()[0] == 20_000
