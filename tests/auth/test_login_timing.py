"""Issue 15.8: a login for an unknown email costs the same bcrypt work as a known one."""

import bcrypt
import httpx
import pytest

from tests.conftest import LiveServer


async def test_unknown_emails_are_checked_against_a_dummy_hash(
    live_app: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[bytes] = []
    real = bcrypt.checkpw

    def counting(password: bytes, hashed: bytes) -> bool:
        checked.append(password)
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting)
    async with httpx.AsyncClient(base_url=live_app.url) as http:
        response = await http.post(
            "/api/auth/login", json={"email": "nobody@example.com", "password": "guess-123"}
        )
    assert response.status_code == 401
    assert checked == [b"guess-123"]
