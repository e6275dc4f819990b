"""The phone leg of a transfer: Twilio dials the agent's extension on the PBX.

The live call is updated through Twilio's REST API with the official SDK (pointed at
``TWILIO_API_BASE_URL``): its new TwiML is a ``<Dial>`` to ``sip:{extension}@{domain}`` that
carries the call SID, session and extension as ``X-Convonet-*`` SIP headers (Twilio turns
``?X-...=...`` parameters of the ``<Sip>`` URI into headers), with the transfer callback as the
``<Dial>``'s action. Twilio then ends the media stream; the serializer is told first, so the
stream's end does not hang the caller up.
"""

import asyncio
from urllib.parse import urlencode

from requests import RequestException
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import Dial, VoiceResponse

from convonet.errors import TransferError
from convonet.settings import Settings
from convonet.storage.redis import TransferRecord
from convonet.transports.guard import GuardedTwilioSerializer

REST_TIMEOUT_SECS = 10.0
CALLBACK_PATH = "/twilio/transfer_callback"
STATUS_PATH = "/twilio/transfer_status"
# What the agent's leg reports to STATUS_PATH (Twilio's status callback events).
STATUS_EVENTS = ("initiated", "ringing", "answered", "completed")


def twilio_rest_client(settings: Settings, timeout_secs: float = REST_TIMEOUT_SECS) -> Client:
    """The Twilio SDK client, every request going to ``TWILIO_API_BASE_URL``.

    Raises:
        TransferError: No account SID or auth token is configured.
    """
    token = settings.twilio_auth_token
    if not settings.twilio_account_sid or token is None:
        raise TransferError("no Twilio credentials are configured")
    client = Client(
        settings.twilio_account_sid,
        token.get_secret_value(),
        http_client=TwilioHttpClient(timeout=timeout_secs),
    )
    client.api.base_url = settings.twilio_api_base_url.rstrip("/")
    return client


def sip_uri(record: TransferRecord, domain: str, call_sid: str | None) -> str:
    """``sip:{ext}@{domain};transport=udp?X-Convonet-...`` for the agent's extension.

    ``X-Convonet-Call-Sid`` is left out when the SID is not known yet (a call being placed).
    """
    fields = {"X-Convonet-Call-Sid": call_sid} if call_sid else {}
    fields |= {"X-Convonet-Session": record.session_id, "X-Convonet-Extension": record.extension}
    headers = urlencode(fields)
    return f"sip:{record.extension}@{domain};transport=udp?{headers}"


def public_url(settings: Settings) -> str:
    """``PUBLIC_URL`` without its trailing slash.

    Raises:
        TransferError: It is not configured (Twilio could not reach the server).
    """
    if not settings.public_url:
        raise TransferError("the server's public URL is not configured (PUBLIC_URL)")
    return settings.public_url.rstrip("/")


def pbx_domain(settings: Settings) -> str:
    """``FUSIONPBX_SIP_DOMAIN``.

    Raises:
        TransferError: It is not configured.
    """
    if not settings.fusionpbx_sip_domain:
        raise TransferError("no PBX is configured (FUSIONPBX_SIP_DOMAIN)")
    return settings.fusionpbx_sip_domain


def status_url(settings: Settings, record: TransferRecord, leg: str) -> str:
    """Where Twilio reports the agent's leg ringing, answering, failing (``leg``: phone|browser)."""
    query = urlencode({"session_id": record.session_id, "leg": leg})
    return f"{public_url(settings)}{STATUS_PATH}?{query}"


def dial_twiml(settings: Settings, record: TransferRecord, call_sid: str) -> str:
    """The TwiML that rings the agent and reports the outcome to the transfer callback.

    The ``<Sip>``'s status callback reports ``ringing`` (the ``<Dial>`` action only reports
    how it ended).

    Raises:
        TransferError: ``FUSIONPBX_SIP_DOMAIN`` or ``PUBLIC_URL`` is not configured.
    """
    domain = pbx_domain(settings)
    query = urlencode({"session_id": record.session_id})
    action = f"{public_url(settings)}{CALLBACK_PATH}?{query}"
    dial = Dial(action=action, method="POST", timeout=settings.transfer_timeout_secs)
    dial.sip(
        sip_uri(record, domain, call_sid),
        status_callback=status_url(settings, record, "phone"),
        status_callback_event="ringing",
        status_callback_method="POST",
    )
    response = VoiceResponse()
    response.append(dial)
    return str(response)


class PhoneLeg:
    """Moves one Twilio call to an agent's extension."""

    def __init__(
        self,
        settings: Settings,
        call_sid: str,
        serializer: GuardedTwilioSerializer,
        *,
        timeout_secs: float = REST_TIMEOUT_SECS,
    ) -> None:
        """Create the leg for the call ``call_sid`` whose stream ``serializer`` speaks.

        Args:
            settings: Twilio credentials, base URL, PBX domain, public URL, ring timeout.
            call_sid: The caller's Twilio call SID.
            serializer: The call's media-stream serializer (told not to hang up).
            timeout_secs: Upper bound on one Twilio REST request.
        """
        self._timeout_secs = timeout_secs
        self._settings = settings
        self._call_sid = call_sid
        self._serializer = serializer

    speaks_failure = False  # the transfer callback's TwiML tells the caller

    @property
    def call_sid(self) -> str:
        """The caller's Twilio call SID."""
        return self._call_sid

    async def cancel(self, *, answered: bool) -> bool:
        """Nothing to do: Twilio drops the ``<Dial>`` itself when the caller hangs up.

        The caller's media stream also ends when the transfer starts, so its end says nothing
        about the caller; the transfer callback reports a caller who hung up.
        """
        return False

    async def dial(self, record: TransferRecord) -> None:
        """Update the live call so Twilio dials the agent.

        Raises:
            TransferError: Not configured, or Twilio refused or did not answer in time.
        """
        client = twilio_rest_client(self._settings, self._timeout_secs)
        twiml = dial_twiml(self._settings, record, self._call_sid)
        self._serializer.handed_off = True  # the stream is about to end: keep the call
        try:
            await asyncio.to_thread(client.calls(self._call_sid).update, twiml=twiml)
        except TwilioRestException as exc:
            self._serializer.handed_off = False
            raise TransferError(f"Twilio answered {exc.status}: {exc.msg}") from exc
        except (TwilioException, RequestException) as exc:
            self._serializer.handed_off = False
            raise TransferError(f"Twilio could not be reached: {exc}") from exc
