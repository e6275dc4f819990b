"""The one transfer service: start a hand-off to a department and move it through its states.

Every change is written to ``transfer:{session}`` atomically and the new record is published
on the ``transfer-events`` channel, so whichever server process holds the call (or the
call-center dashboard) learns about it. The ``transfer_to_agent`` tool and the pipeline's
phrase detector both start transfers here; nothing else writes transfer state.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from loguru import logger
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from convonet.callcenter.availability import ready_agents
from convonet.errors import StorageError, TransferError
from convonet.storage.db import Database
from convonet.storage.models import Department
from convonet.storage.redis import RedisStore, TransferRecord
from convonet.storage.redis.agents import AgentStore
from convonet.storage.redis.transfers import TransferStatus
from convonet.transfer.phrases import TransferAsk
from convonet.transfer.state import advanced, new_transfer, under_way

EVENTS_CHANNEL = "transfer-events"
StartKind = Literal["started", "under_way", "unknown_department"]


@dataclass(frozen=True, slots=True)
class DepartmentInfo:
    """A department a caller can be transferred to.

    Attributes:
        agents_ready: Call-center agents of the department ready now (``None``: not asked).
    """

    name: str
    extension: str
    description: str = ""
    agents_ready: int | None = None


async def load_departments(
    session: AsyncSession, agents: AgentStore | None = None
) -> list[DepartmentInfo]:
    """The active departments, by name; with ``agents``, how many agents each has ready."""
    rows = await session.scalars(
        select(Department).where(Department.is_active.is_(True)).order_by(Department.name)
    )
    ready = await ready_agents(session, agents) if agents is not None else {}
    return [
        DepartmentInfo(d.name, d.extension, d.description or "", ready.get(d.name))
        for d in rows.all()
    ]


def spoken_list(names: Sequence[str]) -> str:
    """``a, b or c`` (``none`` when empty)."""
    if not names:
        return "none"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


@dataclass(frozen=True, slots=True)
class TransferStart:
    """What asking for a transfer did.

    Attributes:
        kind: ``started`` (a new transfer), ``under_way`` (one already was; nothing changed)
            or ``unknown_department`` (nothing changed).
        record: The transfer state (the new one, or the one already under way).
        departments: The names of the departments that exist.
        asked: The department the caller asked for.
        agents_ready: Agents ready in that department (``None``: unknown).
    """

    kind: StartKind
    record: TransferRecord | None
    departments: tuple[str, ...]
    asked: str
    agents_ready: int | None = None

    @property
    def spoken(self) -> str:
        """The short line the bot says to the caller about it."""
        if self.kind == "started" and self.record is not None:
            return f"Of course. I'm connecting you to someone in {self.record.department} now."
        if self.kind == "under_way" and self.record is not None:
            return (
                f"I'm already connecting you to {self.record.department}; please stay on the line."
            )
        return (
            f"There is no {self.asked} department. "
            f"I can connect you to {spoken_list(self.departments)}."
        )


class TransferService:
    """Starts transfers and moves them through their states, publishing every change."""

    def __init__(self, store: RedisStore) -> None:
        """Create the service on the app's Redis store."""
        self._store = store

    async def start(
        self,
        session_id: str,
        department: str,
        departments: Sequence[DepartmentInfo],
        *,
        reason: str = "",
        user_id: str | None = None,
    ) -> TransferStart:
        """Ask for a transfer of ``session_id`` to ``department`` (status ``requested``).

        A second request while one is under way, or an unknown department, changes nothing.
        """
        names = tuple(d.name for d in departments)
        wanted = department.strip().casefold()
        match = next((d for d in departments if d.name.casefold() == wanted), None)
        if match is None:
            return TransferStart("unknown_department", None, names, department.strip())
        at = self._store.now_iso()

        def update(current: TransferRecord | None) -> TransferRecord | None:
            if under_way(current):
                return None
            return new_transfer(
                session_id,
                department=match.name,
                extension=match.extension,
                reason=reason,
                user_id=user_id,
                at=at,
            )

        before, after = await self._store.update_transfer(session_id, update)
        if after is None:
            return TransferStart("under_way", before, names, match.name, match.agents_ready)
        await self._publish(after)
        ready = "" if match.agents_ready is None else f", {match.agents_ready} agent(s) ready"
        logger.info(
            f"session {session_id}: transfer to {match.name} ({match.extension}) asked{ready}"
        )
        return TransferStart("started", after, names, match.name, match.agents_ready)

    async def advance(
        self,
        session_id: str,
        status: TransferStatus,
        *,
        failure: str | None = None,
        call_sid: str | None = None,
    ) -> TransferRecord:
        """Move the transfer of ``session_id`` to ``status`` and publish it.

        Raises:
            TransferError: No transfer, or not a step it can take from where it is.
        """
        at = self._store.now_iso()

        def update(current: TransferRecord | None) -> TransferRecord:
            return advanced(current, status, at=at, failure=failure, call_sid=call_sid)

        _, after = await self._store.update_transfer(session_id, update)
        if after is None:  # update returns a record or raises; kept for the type checker
            raise TransferError(f"transfer of {session_id} was not changed")
        await self._publish(after)
        logger.info(
            f"session {session_id}: transfer {status}" + (f" ({failure})" if failure else "")
        )
        return after

    async def _publish(self, record: TransferRecord) -> None:
        await self._store.publish(EVENTS_CHANNEL, record)


DEFAULT_DEPARTMENT = "support"


def call_transfer_starter(
    db: Database, store: RedisStore, session_id: str, user_id: str | None
) -> Callable[[TransferAsk], Awaitable[str]]:
    """What the voice pipeline's phrase detector calls: start the call's transfer, say what.

    Raises (from the returned function):
        StorageError: The database or Redis failed.
    """
    service = TransferService(store)

    async def start(ask: TransferAsk) -> str:
        try:
            async with db.session() as session:
                departments = await load_departments(session, store)
            started = await service.start(
                session_id,
                ask.department or DEFAULT_DEPARTMENT,
                departments,
                reason=ask.text,
                user_id=user_id,
            )
        except (SQLAlchemyError, RedisError) as exc:
            raise StorageError(f"transfer of {session_id} could not start: {exc}") from exc
        return started.spoken

    return start
