"""Voice PIN sign-in and its brute-force limits, on both backend pairs."""

import pytest

from convonet.auth.voice import sign_in_with_pin
from convonet.errors import AuthenticationError, RateLimitedError
from convonet.runtime import Runtime
from convonet.storage.seed import DEMO_EMAIL, DEMO_PIN
from convonet.storage.users import create_user
from tests.fakes.backends import TEST_PIN_SECRET


async def _add_user(runtime: Runtime, email: str, pin: str, phone: str | None = None) -> str:
    async with runtime.db.session() as session:
        user = await create_user(
            session, pin_secret=TEST_PIN_SECRET, email=email, name="Zoe Ray", pin=pin, phone=phone
        )
        return user.id


async def test_the_demo_pin_signs_in_the_demo_user_with_teams(backend_runtime: Runtime) -> None:
    who = await sign_in_with_pin(backend_runtime, DEMO_PIN, client_ip="10.0.0.1")
    assert who.name == "Demo User"
    assert len(who.team_ids) == 1


async def test_a_pin_alone_finds_its_user(backend_runtime: Runtime) -> None:
    zoe = await _add_user(backend_runtime, "zoe@example.com", "482913")
    who = await sign_in_with_pin(backend_runtime, "482913", client_ip="10.0.0.1")
    assert who.user_id == zoe


@pytest.mark.parametrize(
    "pin", ["", "0000", "12ab", "x" * 10_000, "' OR 1=1 --", "\uff11\uff12\uff13\uff14"]
)
async def test_wrong_and_malformed_pins_fail(backend_runtime: Runtime, pin: str) -> None:
    with pytest.raises(AuthenticationError, match="wrong PIN"):
        await sign_in_with_pin(backend_runtime, pin, client_ip="10.0.0.2")


async def test_pin_must_match_the_named_user(backend_runtime: Runtime) -> None:
    await _add_user(backend_runtime, "zoe@example.com", "482913")
    with pytest.raises(AuthenticationError):
        await sign_in_with_pin(
            backend_runtime, DEMO_PIN, client_ip="10.0.0.3", email="zoe@example.com"
        )
    who = await sign_in_with_pin(backend_runtime, DEMO_PIN, client_ip="10.0.0.3", email=DEMO_EMAIL)
    assert who.name == "Demo User"


async def test_ip_lockout_after_five_failures_even_with_the_right_pin(
    backend_runtime: Runtime,
) -> None:
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            await sign_in_with_pin(backend_runtime, "9999", client_ip="10.9.9.9")
    with pytest.raises(RateLimitedError) as locked:
        await sign_in_with_pin(backend_runtime, DEMO_PIN, client_ip="10.9.9.9")
    assert 0 < locked.value.retry_after <= 15 * 60
    # Another address is unaffected.
    assert (await sign_in_with_pin(backend_runtime, DEMO_PIN, client_ip="10.1.1.1")).name


async def test_user_lockout_spans_addresses_and_success_resets_it(
    backend_runtime: Runtime,
) -> None:
    for attempt in range(4):
        with pytest.raises(AuthenticationError):
            await sign_in_with_pin(
                backend_runtime, "9999", client_ip=f"10.2.0.{attempt}", email=DEMO_EMAIL
            )
    # A success before the fifth failure resets the per-user counter...
    await sign_in_with_pin(backend_runtime, DEMO_PIN, client_ip="10.2.1.1", email=DEMO_EMAIL)
    for attempt in range(4):
        with pytest.raises(AuthenticationError):
            await sign_in_with_pin(
                backend_runtime, "9999", client_ip=f"10.2.2.{attempt}", email=DEMO_EMAIL
            )
    await sign_in_with_pin(backend_runtime, DEMO_PIN, client_ip="10.2.3.1", email=DEMO_EMAIL)
    # ...but five in a row lock the user out from every address.
    for attempt in range(5):
        with pytest.raises(AuthenticationError):
            await sign_in_with_pin(
                backend_runtime, "9999", client_ip=f"10.2.4.{attempt}", email=DEMO_EMAIL
            )
    with pytest.raises(RateLimitedError):
        await sign_in_with_pin(backend_runtime, DEMO_PIN, client_ip="10.2.5.1", email=DEMO_EMAIL)
    # Other users are unaffected.
    await _add_user(backend_runtime, "zoe@example.com", "482913")
    await sign_in_with_pin(backend_runtime, "482913", client_ip="10.2.5.1", email="zoe@example.com")


async def test_caller_number_lockout(backend_runtime: Runtime) -> None:
    number = "+15550001111"
    for attempt in range(5):
        with pytest.raises(AuthenticationError):
            await sign_in_with_pin(
                backend_runtime, "9999", client_ip=f"10.3.0.{attempt}", phone=number
            )
    with pytest.raises(RateLimitedError):
        await sign_in_with_pin(backend_runtime, "9999", client_ip="10.3.1.1", phone=number)
    with pytest.raises(AuthenticationError):
        await sign_in_with_pin(backend_runtime, "9999", client_ip="10.3.1.1", phone="+15550002222")


async def test_voice_pin_setting_signs_in_the_demo_user(backend_runtime: Runtime) -> None:
    from pydantic import SecretStr

    backend_runtime.settings.voice_pin = SecretStr("86420")
    who = await sign_in_with_pin(backend_runtime, "86420", client_ip="10.4.0.1")
    assert who.name == "Demo User"
