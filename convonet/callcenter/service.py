"""The call-center service: moves agents through their states, live in Redis, logged in SQL.

Every change goes through :meth:`CallCenter.move`: one atomic Redis transaction (the state
machine's rule checked inside it, the change published on ``callcenter:events``), then the
history written to the database. Wrap-up ends on its own: each server process sweeps the
wrap-up schedule every half second, and every read settles an agent whose wrap-up is over
first, so the change happens once (the transaction decides who) and every process sees it.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from loguru import logger
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from convonet.callcenter import calls, journal
from convonet.callcenter.agents import AgentInfo, load_agent
from convonet.callcenter.api_models import AgentStatus, Popup
from convonet.callcenter.calls import Mutation
from convonet.callcenter.customers import CallRef, popup
from convonet.callcenter.scope import Scope
from convonet.callcenter.states import Action, next_state
from convonet.callcenter.status import status_of
from convonet.errors import NotAnAgentError, StorageError, TransitionRefusedError
from convonet.settings import Settings
from convonet.storage.db import Database
from convonet.storage.models import AgentState, new_id
from convonet.storage.redis import AgentLive, LiveCall, RedisStore

SWEEP_SECS = 0.5
IDLE = frozenset({AgentState.LOGGED_OUT, AgentState.NOT_READY, AgentState.READY})


def advance(
    current: AgentLive,
    action: Action,
    now: float,
    settings: Settings,
    mutate: Mutation | None = None,
) -> AgentLive | None:
    """The agent's state after ``action`` at ``now`` (``None``: a timer with nothing to do).

    Raises:
        TransitionRefusedError: The state machine (or ``mutate``) refuses it.
    """
    if action is Action.WRAP_UP_OVER and (current.wrap_up_until or now + 1) > now:
        return None  # not over yet, or no longer in wrap-up: someone else moved it
    target = next_state(current.state, action)
    since = current.since if target is current.state else now
    if action is Action.WRAP_UP_OVER:
        since = current.wrap_up_until or now  # ready from when wrap-up ended, not the sweep
    after = current.model_copy(
        deep=True, update={"state": target, "since": since, "version": current.version + 1}
    )
    after.wrap_up_until = (
        now + settings.call_center_wrap_up_secs if target is AgentState.WRAP_UP else None
    )
    return mutate(after, now) if mutate is not None else after


class CallCenter:
    """Agents' state changes (one instance per server process)."""

    def __init__(
        self,
        db: Database,
        store: RedisStore,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Create the service on the app's database and Redis store."""
        self.db = db
        self.store = store
        self.settings = settings
        self.clock = clock

    async def agent_of(self, user_id: str) -> AgentInfo:
        """The signed-in user's agent record.

        Raises:
            NotAnAgentError: The user has none.
        """
        agent = await load_agent(self.db, user_id=user_id)
        if agent is None:
            raise NotAnAgentError(
                "you have no call-center agent record (an admin creates one: "
                "`convonet users agent EMAIL --extension N --department NAME`)"
            )
        return agent

    async def live(self, agent: AgentInfo) -> AgentLive:
        """The agent's live state, its wrap-up ended first if it is over."""
        await self.settle(agent.id, agent)
        return _known(agent, await self.store.get_agent_live(agent.id))

    async def status(self, agent: AgentInfo) -> AgentStatus:
        """The agent's status now."""
        return status_of(agent, await self.live(agent), self.clock())

    async def statuses(self, agents: list[AgentInfo]) -> list[AgentStatus]:
        """Several agents' statuses now (those whose wrap-up is over are settled first)."""
        lives = await self.store.get_agents_live([agent.id for agent in agents])
        for agent in agents:
            live = lives[agent.id]
            if live.state is AgentState.WRAP_UP and (live.wrap_up_until or 0) <= self.clock():
                await self.settle(agent.id, agent)
                lives[agent.id] = await self.store.get_agent_live(agent.id)
        now = self.clock()
        return [status_of(agent, _known(agent, lives[agent.id]), now) for agent in agents]

    async def move(
        self,
        agent: AgentInfo,
        action: Action,
        mutate: Mutation | None = None,
        *,
        quiet: bool = False,
    ) -> AgentLive | None:
        """Apply ``action`` to the agent, atomically, then write the history.

        Args:
            agent: The agent.
            action: What happens.
            mutate: Changes the new state further (the call), given it and the time.
            quiet: A forbidden move does nothing instead of raising (the timer's).

        Returns:
            The new live state (``None`` when ``quiet`` and nothing changed).

        Raises:
            TransitionRefusedError: The state machine forbids it (unless ``quiet``).
        """
        now = self.clock()
        touched: list[LiveCall | None] = [None]  # the call as the change left it

        def update(current: AgentLive) -> AgentLive | None:
            try:
                after = advance(current, action, now, self.settings, mutate)
            except TransitionRefusedError:
                if quiet:
                    return None
                raise
            if after is not None:
                touched[0] = after.call or current.call
                if after.state in IDLE:
                    after.call = None  # the call is over for the agent
            return after

        def event(before: AgentLive, after: AgentLive) -> dict[str, Any]:
            status = status_of(agent, after, now)
            return {
                **status.model_dump(mode="json"),
                "previous_state": before.state,
                "action": action,
                "team_ids": sorted(agent.team_ids),
            }

        before, after = await self.store.update_agent_live(agent.id, update, event)
        if after is None:
            return None
        await self._journal(agent, action, before, after, touched[0])
        return after

    async def ring(self, agent: AgentInfo, ref: CallRef, scope: Scope) -> tuple[AgentLive, Popup]:
        """A call rings at the agent: find who it is, open its leg, move to ``ringing``.

        Raises:
            TransitionRefusedError: The agent is not ready (nothing is written then).
        """
        next_state((await self.live(agent)).state, Action.RING)  # refuse before any write
        async with self.db.session() as session:
            shown = await popup(session, self.store, ref, scope=scope)
        leg_id = new_id()
        customer = shown.customer
        call_id = await journal.open_call(
            self.db,
            call_id=shown.call_id,
            call_sid=shown.call_sid,
            caller_number=shown.caller_number,
            user_id=customer.id if customer else None,
            leg_id=leg_id,
            at=self.clock(),
        )
        call = LiveCall(
            leg_id=leg_id,
            call_id=call_id,
            call_sid=shown.call_sid,
            session_id=shown.session_id,
            caller_number=shown.caller_number,
            customer_id=customer.id if customer else None,
            customer_name=customer.name if customer else None,
            offered_at=self.clock(),
        )
        after = await self.move(agent, Action.RING, calls.ringing(call))
        assert after is not None  # not quiet: a refusal raised
        return after, shown.model_copy(update={"call_id": call_id})

    async def _journal(
        self,
        agent: AgentInfo,
        action: Action,
        before: AgentLive,
        after: AgentLive,
        call: LiveCall | None,
    ) -> None:
        try:
            await journal.record(self.db, agent.id, action, before, after, call)
        except SQLAlchemyError as exc:
            # The live change stands (Redis is the truth); the history misses one entry.
            logger.error(f"agent {agent.id}: {action} not written to the history: {exc}")

    async def settle(self, agent_id: str, agent: AgentInfo | None = None) -> None:
        """End the agent's wrap-up if its time is over (once, whichever process gets there)."""
        live = await self.store.get_agent_live(agent_id)
        due = live.wrap_up_until
        if live.state is not AgentState.WRAP_UP or due is None or due > self.clock():
            return
        agent = agent or await load_agent(self.db, agent_id=agent_id)
        if agent is None:
            logger.warning(f"agent {agent_id} in wrap-up has no record any more")
            return
        await self.move(agent, Action.WRAP_UP_OVER, quiet=True)

    async def sweep(self) -> None:
        """Settle every agent whose wrap-up is over."""
        for agent_id in await self.store.wrap_ups_due(self.clock()):
            await self.settle(agent_id)

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep()
            except (RedisError, SQLAlchemyError, StorageError, OSError) as exc:
                # The next sweep (or the next read of the agent) tries again.
                logger.warning(f"call-center wrap-up sweep failed: {exc}")
            await asyncio.sleep(SWEEP_SECS)

    @asynccontextmanager
    async def running(self) -> AsyncIterator["CallCenter"]:
        """Sweep wrap-ups in the background while the block runs (the server's lifespan)."""
        task = asyncio.create_task(self._sweep_forever(), name="call-center-sweeper")
        try:
            yield self
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def _known(agent: AgentInfo, live: AgentLive) -> AgentLive:
    if live.since == 0.0:  # never seen live: logged out since the database says
        return live.model_copy(update={"since": agent.recorded_since.timestamp()})
    return live
