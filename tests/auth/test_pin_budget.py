"""Issue 15.3/15.4: PIN guessing across addresses, short PINs, called numbers, one lockout."""

import pytest

from convonet.auth.limiter import USER, LoginLimiter
from convonet.auth.voice import sign_in_with_pin
from convonet.errors import AuthenticationError, InvalidPinError, RateLimitedError
from convonet.runtime import Runtime
from convonet.storage.seed import DEMO_EMAIL, DEMO_PIN
from convonet.storage.users import create_user, set_pin
from tests.fakes.backends import TEST_PIN_SECRET


async def _guess(runtime: Runtime, pin: str, ip: str, **kwargs: str) -> type[Exception] | None:
    try:
        await sign_in_with_pin(runtime, pin, client_ip=ip, **kwargs)
    except (AuthenticationError, RateLimitedError) as error:
        return type(error)
    return None


async def test_pin_only_guessing_from_many_addresses_hits_a_global_budget(
    backend_runtime: Runtime,
) -> None:
    outcomes = [
        await _guess(backend_runtime, f"{1200 + n}", f"10.50.{n // 200}.{n % 200}")
        for n in range(34)  # none of them is the demo PIN
    ]
    assert RateLimitedError in outcomes
    # Once the budget is spent, even the right PIN (alone) waits...
    assert await _guess(backend_runtime, DEMO_PIN, "10.60.0.1") is RateLimitedError
    # ...while a PIN with the user's email is judged on its own counters.
    assert await _guess(backend_runtime, DEMO_PIN, "10.60.0.2", email=DEMO_EMAIL) is None
    text = backend_runtime.metrics.render().decode()
    assert 'convonet_auth_lockouts_total{scope="pin_only"}' in text


async def test_short_pins_count_double_against_the_budget(backend_runtime: Runtime) -> None:
    budget = backend_runtime.settings.auth_pin_only_budget
    for n in range(budget - 1):  # six-digit guesses, one below the budget
        assert await _guess(backend_runtime, f"{700000 + n}", f"10.51.0.{n}") is AuthenticationError
    assert await _guess(backend_runtime, DEMO_PIN, "10.51.1.1") is None
    await backend_runtime.store.redis.flushdb()
    for n in range(budget // 2):  # four-digit guesses count twice
        await _guess(backend_runtime, f"{5000 + n}", f"10.52.0.{n}")
    assert await _guess(backend_runtime, DEMO_PIN, "10.52.1.1") is RateLimitedError


async def test_new_pins_need_six_digits_but_old_short_ones_still_work(
    backend_runtime: Runtime,
) -> None:
    async with backend_runtime.db.session() as session:
        with pytest.raises(InvalidPinError, match="6"):
            await create_user(
                session, pin_secret=TEST_PIN_SECRET, email="s@example.com", name="S", pin="4821"
            )
        zoe = await create_user(
            session, pin_secret=TEST_PIN_SECRET, email="z@example.com", name="Zoe", pin="482913"
        )
        with pytest.raises(InvalidPinError, match="6"):
            await set_pin(session, zoe, "5555", pin_secret=TEST_PIN_SECRET)
    # The demo user's 4-digit PIN predates the rule and still signs in.
    assert await _guess(backend_runtime, DEMO_PIN, "10.53.0.1") is None


async def test_phone_pins_also_count_per_called_number(backend_runtime: Runtime) -> None:
    budget = backend_runtime.settings.auth_pin_only_budget
    line = "+15557770000"
    for n in range(budget):
        await _guess(
            backend_runtime,
            f"{800000 + n}",
            f"10.54.0.{n}",
            phone=f"+1555888{n:04d}",
            called_number=line,
        )
    refused = await _guess(
        backend_runtime, "900001", "10.54.1.1", phone="+15559990000", called_number=line
    )
    assert refused is RateLimitedError


async def test_a_user_locked_by_password_failures_cannot_sign_in_with_the_pin(
    backend_runtime: Runtime,
) -> None:
    limiter = LoginLimiter(backend_runtime.store, backend_runtime.settings)
    for n in range(backend_runtime.settings.auth_max_failures):
        await limiter.failed({USER: DEMO_EMAIL, "ip": f"10.55.0.{n}"}, reason="wrong password")
    assert await _guess(backend_runtime, DEMO_PIN, "10.55.1.1") is RateLimitedError
