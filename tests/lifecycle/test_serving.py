"""``convonet serve --workers``: several processes only with shared Redis and database."""

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from convonet.cli import main
from convonet.lifecycle.serving import check_workers
from tests.conftest import test_settings as make_settings


def test_several_workers_need_shared_redis_and_database(tmp_path: Path) -> None:
    check_workers(make_settings(tmp_path), 1)
    with pytest.raises(click.UsageError, match="REDIS_URL and DATABASE_URL"):
        check_workers(make_settings(tmp_path, redis_url="redis://127.0.0.1:6379/4"), 2)
    shared = make_settings(
        tmp_path,
        redis_url="redis://127.0.0.1:6379/4",
        database_url="postgresql+asyncpg://postgres@127.0.0.1:5432/test_h4",
    )
    check_workers(shared, 2)


def test_serve_refuses_workers_on_the_embedded_stores(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path), "REDIS_URL": None, "DATABASE_URL": None}
    result = CliRunner().invoke(main, ["serve", "--workers", "2"], env=env)
    assert result.exit_code == 2
    assert "needs REDIS_URL and DATABASE_URL" in result.output
