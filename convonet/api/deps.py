"""FastAPI dependency aliases shared by the routers."""

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from convonet.runtime import Runtime
from convonet.settings import Settings


def get_runtime(connection: HTTPConnection) -> Runtime:
    """The process runtime created by the app's lifespan."""
    runtime: Runtime = connection.app.state.runtime
    return runtime


def get_settings(connection: HTTPConnection) -> Settings:
    """The app's settings."""
    return get_runtime(connection).settings


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
