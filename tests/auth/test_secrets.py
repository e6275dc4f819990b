"""Issue 15.1: no usable default JWT/PIN secret in any mode."""

import stat
from pathlib import Path

import jwt
import pytest

from convonet.auth.tokens import verify_token
from convonet.errors import AuthenticationError
from convonet.settings import PUBLISHED_SECRETS, Settings
from tests.conftest import test_settings as settings_for

OLD_JWT_PLACEHOLDER = "convonet-development-jwt-secret-change-me"


def _dev(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(_env_file=None, environment="development", data_dir=tmp_path, **overrides)  # type: ignore[call-arg]


def test_unset_secrets_are_generated_once_and_kept(tmp_path: Path) -> None:
    first = _dev(tmp_path)
    assert first.generated_secrets == ["JWT_SECRET", "PIN_HASH_SECRET"]
    for secret in (first.jwt_secret, first.pin_hash_secret):
        assert secret.get_secret_value() not in PUBLISHED_SECRETS
        assert len(secret.get_secret_value()) >= 32
    again = _dev(tmp_path)
    assert again.generated_secrets == []
    assert again.stored_secrets == ["JWT_SECRET", "PIN_HASH_SECRET"]
    assert again.jwt_secret.get_secret_value() == first.jwt_secret.get_secret_value()
    assert again.pin_hash_secret.get_secret_value() == first.pin_hash_secret.get_secret_value()
    kept = tmp_path / "secrets" / "jwt_secret"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    # Another data directory gets other secrets.
    other = _dev(tmp_path / "other")
    assert other.jwt_secret.get_secret_value() != first.jwt_secret.get_secret_value()


def test_an_admin_token_signed_with_the_old_placeholder_is_refused(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    claims = {"user_id": "u1", "email": "a@b.c", "roles": ["admin"], "type": "access"}
    forged = jwt.encode({**claims, "iat": 2_000_000_000, "exp": 2_000_000_900}, OLD_JWT_PLACEHOLDER)
    with pytest.raises(AuthenticationError):
        verify_token(settings, forged, kind="access")


@pytest.mark.parametrize("environment", ["development", "test", "production"])
def test_published_placeholders_are_refused_when_configured(
    tmp_path: Path, environment: str
) -> None:
    with pytest.raises(ValueError, match="published"):
        settings_for(
            tmp_path,
            environment=environment,
            jwt_secret=OLD_JWT_PLACEHOLDER,
            pin_hash_secret="p" * 40,
        )


def test_configured_secrets_are_not_reported_as_stored(tmp_path: Path) -> None:
    configured = _dev(tmp_path, jwt_secret="j" * 40, pin_hash_secret="p" * 40)
    assert configured.stored_secrets == [] and configured.generated_secrets == []
    assert not (tmp_path / "secrets" / "jwt_secret").exists()
