"""Storage settings: the database and Redis."""

from pydantic import BaseModel, Field, SecretStr


class StorageSettings(BaseModel):
    """Where data lives; embedded SQLite and fakeredis when unset."""

    # --- storage ------------------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL (postgresql+asyncpg://..., sqlite+aiosqlite:///...); "
        "a SQLite file data_dir/convonet.db when unset.",
    )
    database_schema: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$",
        description="PostgreSQL schema (search_path) holding every table; the server's "
        "default when unset. Ignored for SQLite.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL (redis://host:6379/0); an in-process fakeredis when unset.",
    )
    # Never None after validation (_resolve_secrets fills it), hence the ignore.
    pin_hash_secret: SecretStr = Field(  # type: ignore[assignment]
        default=None,
        validate_default=False,  # filled by _resolve_secrets
        description="HMAC key for voice PIN hashes; changing it invalidates every stored PIN. "
        "Required in production; elsewhere generated once into data_dir/secrets when unset.",
    )
    voice_pin: SecretStr | None = Field(
        default=None,
        description="Fallback voice PIN that signs in the demo user (compared in constant time).",
    )
