"""Application settings: the only package that reads the environment.

``Settings`` is assembled from one model per concern (server, voice, agent, telephony,
storage, operations, auth); import it from here.
"""

from convonet.settings.agent import DEFAULT_LLM_CHAIN, LlmName
from convonet.settings.app import (
    GENERATED_SECRETS,
    PUBLISHED_SECRETS,
    Settings,
    load_settings,
    persisted_secret,
)
from convonet.settings.voice import SttProvider, TtsProvider

__all__ = [
    "DEFAULT_LLM_CHAIN",
    "GENERATED_SECRETS",
    "PUBLISHED_SECRETS",
    "LlmName",
    "Settings",
    "SttProvider",
    "TtsProvider",
    "load_settings",
    "persisted_secret",
]
