"""The MCP tool framework: one decorator that makes a module-level function an MCP tool.

A tool is an ``async def`` at module level decorated with :func:`tool`. If its first
parameter is annotated :class:`Caller`, every call opens a database unit of work, loads the
signed-in caller and passes both in (the tool never sees the MCP context); otherwise the tool
needs no identity (a calculator). When the database is down the call fails with
:data:`~convonet.storage.outage.DATA_UNAVAILABLE` (nothing was written), which the caller
hears. :func:`register_module` adds a module's tools to a FastMCP
server in the order they are defined, with the schema FastMCP derives from the remaining
parameters, so the tool's name, schema and result are exactly those of the function.
"""

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import tzinfo
from functools import wraps
from types import ModuleType
from typing import Any, TypeVar, get_type_hints, overload

from loguru import logger
from mcp.server.fastmcp import Context, FastMCP
from mcp.types import ToolAnnotations
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.errors import DataUnavailableError
from convonet.storage.models import User
from convonet.storage.outage import DATA_UNAVAILABLE, outage_of
from convonet.tools.common import load_user, user_zone
from convonet.tools.resources import ToolResources, tool_env
from convonet.tools.scope import ToolScope

_MARK = "__convonet_tool__"
_CONTEXT = "ctx"

ToolFunction = TypeVar("ToolFunction", bound=Callable[..., Awaitable[Any]])


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a tool call acts for, and the unit of work it runs in.

    Attributes:
        session: The database session (committed when the tool returns, rolled back if it
            raises).
        user: The signed-in caller.
        scope: The call's identity (user and voice/text session ids).
        resources: The server's shared handles (settings, database, Redis store).
    """

    session: AsyncSession
    user: User
    scope: ToolScope
    resources: ToolResources

    @property
    def zone(self) -> tzinfo:
        """The caller's timezone."""
        return user_zone(self.user)


def _wants_caller(fn: Callable[..., Any]) -> bool:
    params = list(inspect.signature(fn).parameters.values())
    return bool(params) and get_type_hints(fn).get(params[0].name) is Caller


def _with_caller(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Wrap ``fn(caller, **args)`` as ``tool(ctx, **args)`` with ``fn``'s other parameters."""
    signature = inspect.signature(fn)
    caller, *params = signature.parameters.values()
    context = inspect.Parameter(
        _CONTEXT, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Context
    )

    @wraps(fn)
    async def run(**kwargs: Any) -> Any:
        resources, scope = tool_env(kwargs.pop(_CONTEXT))
        try:
            async with resources.db.session() as session:
                user = await load_user(session, scope)
                return await fn(Caller(session, user, scope, resources), **kwargs)
        except Exception as error:
            # An outage: the unit of work was rolled back (or never began), so nothing was
            # written; the caller hears that, not a driver's error text.
            if outage_of(error) is None:
                raise
            logger.warning(f"tool {fn.__name__}: the database is unavailable: {error!r}")
            raise DataUnavailableError(DATA_UNAVAILABLE) from error

    # FastMCP reads the signature (and the type hints, to find the context parameter): the
    # tool's schema is the function's, without the caller.
    run.__signature__ = signature.replace(parameters=[context, *params])  # type: ignore[attr-defined]
    hints = {k: v for k, v in fn.__annotations__.items() if k != caller.name}
    run.__annotations__ = {_CONTEXT: Context, **hints}
    del run.__wrapped__  # type: ignore[attr-defined]  # the signature above is the truth
    return run


@overload
def tool(fn: ToolFunction, /) -> ToolFunction: ...


@overload
def tool(*, read_only: bool) -> Callable[[ToolFunction], ToolFunction]: ...


def tool(
    fn: ToolFunction | None = None, /, *, read_only: bool = False
) -> ToolFunction | Callable[[ToolFunction], ToolFunction]:
    """Mark ``fn`` as an MCP tool of its module (see the module docstring).

    Used bare (``@tool``) or as ``@tool(read_only=True)`` for a tool that changes nothing:
    MCP clients see its ``readOnlyHint``, and the agent may run it before the caller's turn
    is confirmed (:mod:`convonet.agents.speculation`).
    """

    def mark(fn: ToolFunction) -> ToolFunction:
        setattr(fn, _MARK, ToolAnnotations(readOnlyHint=True) if read_only else True)
        return fn

    return mark if fn is None else mark(fn)


def module_tools(module: ModuleType) -> list[Callable[..., Awaitable[Any]]]:
    """The tools defined in ``module``, in definition order."""
    return [
        value
        for value in vars(module).values()
        if getattr(value, _MARK, False) and getattr(value, "__module__", None) == module.__name__
    ]


def register_module(mcp: FastMCP, module: ModuleType) -> None:
    """Add every tool of ``module`` to ``mcp``."""
    for fn in module_tools(module):
        mark = getattr(fn, _MARK)
        annotations = mark if isinstance(mark, ToolAnnotations) else None
        mcp.add_tool(_with_caller(fn) if _wants_caller(fn) else fn, annotations=annotations)
