"""The one error hierarchy of Convonet.

Every error the application raises on purpose derives from :class:`ConvonetError`, so a
session boundary can tell our own, explained failures from unexpected ones.
"""

from datetime import datetime


class ConvonetError(Exception):
    """Base class of every error Convonet raises on purpose."""


class ConfigurationError(ConvonetError):
    """A setting is missing or inconsistent (for example a provider chosen without its key)."""


class UnknownBotError(ConvonetError):
    """A request named a bot that is not registered."""


class UnknownLLMError(ConvonetError):
    """A request named an LLM provider that does not exist or is not configured."""


class UnknownProviderError(ConvonetError):
    """A request named an STT or TTS provider that does not exist or is not configured."""


class ModelsNotReadyError(ConvonetError):
    """A call arrived before the embedded models finished loading."""


class SessionNotFoundError(ConvonetError):
    """A session id or connection token is unknown, used or expired."""


class AgentError(ConvonetError):
    """The agent graph failed to produce a reply."""


class InvalidInputError(ConvonetError):
    """A value supplied by a caller or an operator is malformed (explained in the message)."""


class InvalidPinError(InvalidInputError):
    """A voice PIN is not 4 to 8 digits."""


class StorageError(ConvonetError):
    """The database or Redis store refused an operation, or is not ready for it."""


class DataUnavailableError(StorageError):
    """The database (or Redis) cannot be reached right now: an outage, not a bad request."""


class DuplicateError(StorageError):
    """A record collides with an existing one on a unique value (email, phone, PIN, ...)."""


class RecordNotFoundError(StorageError):
    """A record named by the caller (a user's email, ...) does not exist."""


class AuthenticationError(ConvonetError):
    """Credentials (PIN, password, token) are missing or wrong."""


class RateLimitedError(ConvonetError):
    """Too many failed attempts; try again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthorizationError(ConvonetError):
    """The caller is known but may not do this (role or team membership)."""


class ServerBusyError(ConvonetError):
    """This server process is at its session capacity; try again later (or elsewhere)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerDrainingError(ServerBusyError):
    """This server process is shutting down (SIGTERM): it finishes live calls, takes no new."""


class TransferError(ConvonetError):
    """A call transfer cannot go the way asked (unknown session, finished, wrong step)."""


class CrmError(ConvonetError):
    """A change could not be sent to the CRM."""


class CrmRejectedError(CrmError):
    """The CRM refused a change for good (a 4xx validation error): retrying cannot help."""


class CrmUnavailableError(CrmError):
    """The CRM is down, slow or refuses our credentials: try again later."""


class ConflictError(ConvonetError):
    """A change collides with the current state of a record (cancelled, taken, replayed)."""


class BookingConflictError(ConflictError):
    """No table is free for the party at the time asked for.

    Attributes:
        alternatives: Free start times nearby (aware, time order), possibly none.
        nearest: The free start time closest to the one asked for, if any.
    """

    def __init__(
        self, message: str, alternatives: list[datetime], nearest: datetime | None
    ) -> None:
        super().__init__(message)
        self.alternatives = alternatives
        self.nearest = nearest


class TransitionRefusedError(ConvonetError):
    """A call-center agent asked for a state change the state machine forbids (HTTP 409)."""


class NotAnAgentError(AuthorizationError):
    """The signed-in user has no call-center agent record."""
