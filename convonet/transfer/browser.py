"""The browser leg of a transfer: Twilio calls the agent, whose answer streams back to us.

A caller on ``/ws`` or WebRTC has no Twilio call to move, so the server places one: the
Twilio REST API (official SDK, ``TWILIO_API_BASE_URL``) creates a call to the agent's SIP
extension whose TwiML is ``<Connect><Stream url="wss://{PUBLIC_URL host}/twilio/bridge">``
with the session id as a stream parameter. When the agent answers, that stream reaches
``/twilio/bridge`` and the caller's pipeline bridges audio both ways
(:mod:`convonet.transfer.bridge`). The new call's SID is the transfer's ``call_sid``: the
agent's context is stored under it and it travels in the ``X-Convonet-Call-Sid`` SIP header.
The agent's leg reports ``ringing`` and how it ended to ``/twilio/transfer_status``.
"""

import asyncio
from urllib.parse import urlsplit

from loguru import logger
from requests import RequestException
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.twiml.voice_response import Connect, VoiceResponse

from convonet.errors import TransferError
from convonet.settings import Settings
from convonet.storage.redis import TransferRecord
from convonet.transfer.phone import (
    REST_TIMEOUT_SECS,
    STATUS_EVENTS,
    pbx_domain,
    public_url,
    sip_uri,
    status_url,
    twilio_rest_client,
)

BRIDGE_PATH = "/twilio/bridge"


def bridge_url(settings: Settings) -> str:
    """``wss://{PUBLIC_URL host}[/prefix]/twilio/bridge``.

    Raises:
        TransferError: ``PUBLIC_URL`` is not configured.
    """
    base = urlsplit(public_url(settings))
    scheme = "ws" if base.scheme in ("http", "ws") else "wss"
    return f"{scheme}://{base.netloc}{base.path.rstrip('/')}{BRIDGE_PATH}"


def bridge_twiml(settings: Settings, record: TransferRecord) -> str:
    """``<Connect><Stream url=".../twilio/bridge"><Parameter name="session_id">``."""
    response = VoiceResponse()
    connect = Connect()
    stream = connect.stream(url=bridge_url(settings))
    stream.parameter(name="session_id", value=record.session_id)
    response.append(connect)
    return str(response)


class BrowserLeg:
    """Places (and if need be cancels) the call to the agent for a browser caller."""

    speaks_failure = True  # no Twilio call of the caller's to say it: the bot does

    def __init__(self, settings: Settings, *, timeout_secs: float = REST_TIMEOUT_SECS) -> None:
        """Create the leg.

        Args:
            settings: Twilio credentials, base URL, caller id, PBX domain, public URL.
            timeout_secs: Upper bound on one Twilio REST request.
        """
        self._settings = settings
        self._timeout_secs = timeout_secs
        self._call_sid: str | None = None

    @property
    def call_sid(self) -> str | None:
        """The SID of the call placed to the agent (``None`` before :meth:`dial`)."""
        return self._call_sid

    async def dial(self, record: TransferRecord) -> None:
        """Have Twilio call the agent's extension; the answer streams to ``/twilio/bridge``.

        Raises:
            TransferError: Not configured, or Twilio refused or did not answer in time.
        """
        settings = self._settings
        client = twilio_rest_client(settings, self._timeout_secs)
        if not settings.twilio_caller_id:
            raise TransferError("no caller id for outbound calls is configured (TWILIO_CALLER_ID)")
        domain = pbx_domain(settings)
        twiml = bridge_twiml(settings, record)
        # The SIP headers name the session; the new call's SID is only known once created.
        to = sip_uri(record, domain, None)
        try:
            call = await asyncio.to_thread(
                client.calls.create,
                to=to,
                from_=settings.twilio_caller_id,
                twiml=twiml,
                timeout=settings.transfer_timeout_secs,
                status_callback=status_url(settings, record, "browser"),
                status_callback_event=list(STATUS_EVENTS),
                status_callback_method="POST",
            )
        except TwilioRestException as exc:
            raise TransferError(f"Twilio answered {exc.status}: {exc.msg}") from exc
        except (TwilioException, RequestException) as exc:
            raise TransferError(f"Twilio could not be reached: {exc}") from exc
        self._call_sid = call.sid

    async def cancel(self, *, answered: bool) -> bool:
        """End the agent's call: cancelled while it rings, hung up once answered.

        Args:
            answered: Whether the agent had answered (Twilio only hangs up an answered call
                with ``status=completed``; ``canceled`` applies to a queued or ringing one).

        Returns:
            Whether there was a call to end (errors are logged: the caller is gone anyway).
        """
        if self._call_sid is None:
            return False
        client = twilio_rest_client(self._settings, self._timeout_secs)
        status = "completed" if answered else "canceled"
        try:
            await asyncio.to_thread(client.calls(self._call_sid).update, status=status)
        except (TwilioException, RequestException) as exc:
            logger.warning(f"call {self._call_sid} to the agent not ended ({status}): {exc}")
        return True
