"""Fixtures for the speech service tests: the embedded models, loaded once per module."""

import asyncio

import pytest

from convonet.services.models import EmbeddedModels
from convonet.settings import Settings


@pytest.fixture(scope="module")
def models() -> EmbeddedModels:
    """Whisper, Piper and the smart-turn model, loaded as the server loads them."""
    loaded = EmbeddedModels(Settings(_env_file=None))  # type: ignore[call-arg]
    asyncio.run(loaded.load())
    return loaded
