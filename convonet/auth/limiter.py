"""Brute-force limits on sign-ins: failure counters per address, user, number and globally.

Two kinds of counter, each a sliding window of ``auth_window_secs``:

* Per identity (``ip``, ``user``, ``phone``): after ``auth_max_failures`` failures every
  further attempt with that key is refused (429 + ``Retry-After``), even with the right
  credential, until enough failures age out of the window. A user's counter is one lockout
  for every credential: wrong passwords also lock the user's PIN and vice versa.
* Budgets shared by many callers (``pin_only``: PIN-only sign-ins from every address;
  ``called``: PINs keyed into one phone line): ``auth_pin_only_budget`` failures, where a
  guess shorter than 6 digits counts double (it can only hit the older, shorter PINs that
  are easier to guess). While a budget is spent its attempts wait for the window to free
  up (the ``Retry-After`` grows with the failures still in the window): the backoff.

Every refusal counts in ``convonet_auth_lockouts_total{scope}`` (alert on ``pin_only``).
"""

from collections.abc import Mapping

from loguru import logger

from convonet.errors import RateLimitedError
from convonet.observability.metrics import AppMetrics
from convonet.settings import Settings
from convonet.storage.redis import RedisStore

# Scope names are part of the Redis key (authfail:{scope}:{key}).
IP, USER, PHONE, CALLED, PIN_ONLY = "ip", "user", "phone", "called", "pin_only"
BUDGET_SCOPES = frozenset({PIN_ONLY, CALLED})
GLOBAL = "all"  # the one key of the pin_only budget


class LoginLimiter:
    """Applies the failure-counter policy for one kind of login."""

    def __init__(
        self, store: RedisStore, settings: Settings, metrics: AppMetrics | None = None
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._limit = settings.auth_max_failures
        self._budget = settings.auth_pin_only_budget
        self._window = settings.auth_window_secs

    def _limit_of(self, scope: str) -> int:
        return self._budget if scope in BUDGET_SCOPES else self._limit

    async def check(self, keys: Mapping[str, str | None]) -> None:
        """Refuse the attempt if any of its keys is locked out.

        Args:
            keys: Scope → key (``{"ip": "1.2.3.4", "user": "ann@x", "phone": None}``).

        Raises:
            RateLimitedError: A key is locked; ``retry_after`` says for how long.
        """
        longest, locked_scope = 0, ""
        for scope, key in keys.items():
            if key:
                remaining = await self._store.lockout_remaining(
                    scope, key, self._limit_of(scope), self._window
                )
                if remaining > longest:
                    longest, locked_scope = remaining, scope
        if longest > 0:
            if self._metrics is not None:
                self._metrics.auth_lockouts.labels(locked_scope).inc()
            raise RateLimitedError("too many failed attempts; try again later", longest)

    async def failed(self, keys: Mapping[str, str | None], *, reason: str, weight: int = 1) -> None:
        """Count a failed attempt against each key (logged without the credential).

        Args:
            keys: Scope → key, as for :meth:`check`.
            reason: Logged.
            weight: How many failures this one counts for in the shared budgets.
        """
        counts: dict[str, int] = {}
        for scope, key in keys.items():
            if not key:
                continue
            for _ in range(weight if scope in BUDGET_SCOPES else 1):
                counts[scope] = await self._store.record_failure(scope, key, self._window)
        logger.warning(f"login failed ({reason}); failures in window: {counts}")
        if counts.get(PIN_ONLY, 0) >= self._budget:
            logger.error("PIN-only sign-in budget spent: PIN guessing across addresses?")

    async def succeeded(self, user_key: str | None) -> None:
        """Clear the named user's counter after a successful login."""
        if user_key:
            await self._store.reset_failures(USER, user_key)
