"""The per-process runtime: what the lifespan opens and every request and session shares."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cached_property

from loguru import logger

from convonet.agents.factory import AgentFactory
from convonet.agents.llms import resolve_llm
from convonet.auth.active import ActiveUsers
from convonet.bots.registry import BotRegistry, default_registry
from convonet.callcenter.service import CallCenter
from convonet.errors import ModelsNotReadyError, SessionNotFoundError
from convonet.lifecycle.drain import Drain
from convonet.lifecycle.live_sessions import LiveSessions
from convonet.lifecycle.loop_lag import LoopLag
from convonet.monitor.recorder import TurnRecorder
from convonet.observability.metrics import AppMetrics
from convonet.services.models import EmbeddedModels
from convonet.services.speech import check_stt, check_tts
from convonet.services.speech_http import SpeechHttp
from convonet.session import CallSession, Channel, new_session_id
from convonet.settings import Settings
from convonet.storage import migrate
from convonet.storage.db import Database
from convonet.storage.embedded_redis import EmbeddedRedisServer
from convonet.storage.redis import CallSessionRecord, RedisStore, create_redis
from convonet.storage.seed import seed_demo
from convonet.tools.hub import ToolHub
from convonet.transfer.events import TransferEvents


@dataclass
class Runtime:
    """Shared services of one server process (or one CLI run).

    Attributes:
        settings: Effective settings (``redis_url`` points at the embedded Redis if any).
        models: The embedded Whisper/Piper models.
        bots: The bot registry.
        agents: Agent graph factory.
        db: The application database.
        store: The Redis store (sessions, tokens, counters, events).
        monitor: Writes turn timing records to Redis in the background (Agent Monitor).
        live: Sessions whose pipeline runs in this process.
        metrics: This app's Prometheus metrics (its own registry).
        drain: Shutdown state: once draining, new calls are refused and readiness is false.
        transfer_events: This process's one subscription to transfer changes.
        speech_http: The HTTP client every call's cloud STT shares (closed with the runtime).
        loop_lag: How late this process's event loop runs (sheds the turn model under load).
    """

    settings: Settings
    models: EmbeddedModels
    bots: BotRegistry
    agents: AgentFactory
    db: Database
    store: RedisStore
    monitor: TurnRecorder
    tools: ToolHub | None = None
    live: LiveSessions = field(default_factory=LiveSessions)
    metrics: AppMetrics = field(default_factory=AppMetrics)
    drain: Drain = field(default_factory=Drain)
    speech_http: SpeechHttp = field(default_factory=SpeechHttp)
    loop_lag: LoopLag = field(default_factory=LoopLag)
    transfer_events: TransferEvents = field(init=False)

    def __post_init__(self) -> None:
        self.transfer_events = TransferEvents(self.store)

    @cached_property
    def active_users(self) -> ActiveUsers:
        """Per-request "is this token's user still active" checks (cached briefly)."""
        return ActiveUsers(self.db, self.settings.active_user_cache_secs)

    @cached_property
    def call_center(self) -> CallCenter:
        """The call-center agents' state service (its wrap-up sweeper runs in the lifespan)."""
        return CallCenter(self.db, self.store, self.settings)

    @property
    def ready(self) -> bool:
        """Ready for calls: models loaded, tool servers started (or failed), not draining."""
        if self.drain.draining:
            return False
        return self.models.ready and (self.tools is None or self.tools.ready.is_set())

    async def ensure_tools(self, timeout_secs: float = 60.0) -> None:
        """Wait (bounded) for the tool servers; text conversations need no speech models.

        Raises:
            ModelsNotReadyError: Not ready within ``timeout_secs``.
        """
        if self.tools is None:
            return
        try:
            async with asyncio.timeout(timeout_secs):
                await self.tools.ready.wait()
        except TimeoutError:
            raise ModelsNotReadyError("the tool servers are still starting") from None

    async def _load(self) -> None:
        await self.models.load()
        if self.tools is not None:
            await self.tools.ready.wait()

    async def warm_up(self) -> None:
        """Load the models, then run the agent once the tools are in (server start-up)."""
        await self._load()
        await self.agents.warm_up()

    async def ensure_ready(self, timeout_secs: float = 60.0) -> None:
        """Wait (bounded) until models and tools are ready; a call arriving at start-up waits.

        Raises:
            ModelsNotReadyError: Not ready within ``timeout_secs``.
        """
        try:
            async with asyncio.timeout(timeout_secs):
                await self._load()
        except TimeoutError:
            raise ModelsNotReadyError("the server is still starting; try again shortly") from None

    def new_session(
        self,
        channel: Channel,
        *,
        bot: str | None = None,
        llm: str | None = None,
        stt: str | None = None,
        tts: str | None = None,
        user_id: str | None = None,
        user_name: str | None = None,
    ) -> CallSession:
        """Validate a caller's choices and create their session (not stored yet).

        Raises:
            UnknownBotError: ``bot`` is not registered.
            UnknownLLMError: ``llm`` is unknown or not configured.
            UnknownProviderError: ``stt``/``tts`` is unknown or not configured.
        """
        spec = self.bots.get(bot or self.settings.default_bot)
        return CallSession(
            session_id=new_session_id(),
            bot=spec,
            llm=resolve_llm(llm, spec.llm, self.settings),
            channel=channel,
            stt=check_stt(stt or self.settings.default_stt, self.settings),
            tts=check_tts(tts or self.settings.default_tts, self.settings),
            user_id=user_id,
            user_name=user_name,
        )

    async def save_session(self, session: CallSession, team_ids: Sequence[str] = ()) -> None:
        """Store ``session`` in Redis (``session:{id}``) for the transports to pick up."""
        record = CallSessionRecord(
            session_id=session.session_id,
            bot=session.bot.name,
            llm=session.llm,
            channel=session.channel,
            user_id=session.user_id,
            user_name=session.user_name,
            team_ids=list(team_ids),
            metadata={
                "stt": session.stt,
                "tts": session.tts,
                "timezone": session.timezone,
                **session.metadata,
            },
        )
        await self.store.save_session(record, self.settings.session_ttl_secs)

    async def load_session(self, session_id: str, channel: Channel) -> CallSession:
        """Rebuild a stored session for the transport that claims it.

        Raises:
            SessionNotFoundError: No such session (expired, or never created).
        """
        record = await self.store.get_session(session_id)
        if record is None:
            raise SessionNotFoundError("unknown or expired session")
        extra = {k: v for k, v in record.metadata.items() if k not in ("stt", "tts", "timezone")}
        return CallSession(
            session_id=record.session_id,
            bot=self.bots.get(record.bot),
            llm=record.llm or resolve_llm(None, None, self.settings),
            channel=channel,
            stt=check_stt(record.metadata.get("stt") or self.settings.default_stt, self.settings),
            tts=check_tts(record.metadata.get("tts") or self.settings.default_tts, self.settings),
            user_id=record.user_id,
            user_name=record.user_name,
            timezone=record.metadata.get("timezone", "UTC"),
            metadata=extra,
        )

    async def claim_token(self, token: str | None, channel: Channel) -> CallSession:
        """The session a single-use connection token admits.

        Raises:
            SessionNotFoundError: The token is missing, used, expired or forged.
        """
        session_id = await self.store.consume_ws_token(token) if token else None
        if session_id is None:
            raise SessionNotFoundError("missing, used, expired or invalid session token")
        return await self.load_session(session_id, channel)


async def prepare_database(settings: Settings, db: Database) -> None:
    """Make the embedded database usable: migrate it, and seed the demo outside production.

    A configured (PostgreSQL) database is migrated by its operator (``convonet db upgrade``);
    here it is only checked.
    """
    if settings.database_url is None:
        await migrate.upgrade(settings)
        if settings.environment != "production":
            await seed_demo(db, settings)
    elif not await migrate.is_up_to_date(settings):
        logger.warning("the database is not at the newest migration: run `convonet db upgrade`")


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Open everything a server or CLI run needs; close it all on exit.

    Without ``REDIS_URL`` an embedded Redis is served on a loopback port so every part of
    the app (and the MCP tool subprocesses) shares one store.
    """
    embedded = EmbeddedRedisServer().start() if settings.redis_url is None else None
    if embedded is not None:
        # This process uses the embedded store in memory; the URL serves the tool subprocesses.
        store = RedisStore(create_redis(settings, fake_server=embedded.fake_server))
        settings = settings.model_copy(update={"redis_url": embedded.url})
    else:
        store = RedisStore.from_settings(settings)
    db = Database.from_settings(settings)
    hub = ToolHub(settings) if settings.tools_enabled else None
    monitor = TurnRecorder(store, queue_max=settings.monitor_buffer_max)
    live = LiveSessions()
    metrics = AppMetrics(live.by_channel)
    metrics.watch_monitor(lambda: monitor.dropped, lambda: monitor.buffer.pending)
    stop_tools = asyncio.Event()
    tools_task: asyncio.Task[None] | None = None
    runtime: Runtime | None = None
    try:
        await prepare_database(settings, db)
        if hub is not None:
            # The tool servers start in the background; calls wait for them (ensure_ready).
            tools_task = asyncio.create_task(hub.serve(stop_tools), name="mcp-tools")
        runtime = Runtime(
            settings=settings,
            models=EmbeddedModels(settings),
            bots=default_registry(),
            agents=AgentFactory(settings, hub, listener=metrics.provider_event),
            db=db,
            store=store,
            monitor=monitor,
            tools=hub,
            live=live,
            metrics=metrics,
        )
        loop_lag = runtime.loop_lag
        loop_lag.start()
        metrics.watch_loop_lag(lambda: loop_lag.lag_secs)
        yield runtime
    finally:
        if runtime is not None:
            await runtime.loop_lag.aclose()
            await runtime.transfer_events.aclose()
            await runtime.speech_http.aclose()
        await monitor.aclose()
        if tools_task is not None:
            stop_tools.set()
            await asyncio.gather(tools_task, return_exceptions=True)
        await store.aclose()
        await db.dispose()
        if embedded is not None:
            embedded.stop()
