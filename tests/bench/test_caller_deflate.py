"""Permessage-deflate on the call websockets: the server declines it unless WS_COMPRESSION.

A real uvicorn server with the app's own uvicorn options, and the benchmark's caller offering
deflate as browsers do (``convonet bench concurrency --caller-deflate``).
"""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from convonet.bench.client import Caller
from convonet.security.serving import uvicorn_options
from tests.conftest import free_port
from tests.conftest import test_settings as make_settings


def echo_app() -> FastAPI:
    app = FastAPI()

    @app.websocket("/ws")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.send_bytes(await websocket.receive_bytes())

    return app


class StartedServer(uvicorn.Server):
    """uvicorn's server, telling when it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.listening.set()


@contextlib.asynccontextmanager
async def serving(tmp_path: Path, **settings: object) -> AsyncIterator[str]:
    """An echo websocket on uvicorn with convonet's options; yields its URL."""
    port = free_port()
    options = uvicorn_options(make_settings(tmp_path, **settings))
    config = uvicorn.Config(echo_app(), host="127.0.0.1", port=port, log_level="warning", **options)
    server = StartedServer(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            await server.listening.wait()
        yield f"ws://127.0.0.1:{port}/ws"
    finally:
        server.should_exit = True
        await task


async def test_the_server_declines_deflate_by_default(tmp_path: Path) -> None:
    async with serving(tmp_path) as url, Caller(url, deflate=True) as caller:
        assert not caller.compressed


async def test_ws_compression_accepts_it(tmp_path: Path) -> None:
    async with serving(tmp_path, ws_compression=True) as url:
        async with Caller(url, deflate=True) as caller:
            assert caller.compressed
        async with Caller(url) as caller:  # the benchmark's default caller does not offer it
            assert not caller.compressed
