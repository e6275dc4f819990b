"""The TwiML Convonet answers Twilio with, built with the twilio SDK (never by hand).

A call first hears :func:`ask_for_pin` (a DTMF ``<Gather>`` whose action is ``/twilio/pin``);
once signed in, :func:`connect_stream` hands it to the media stream with the session id as a
``<Parameter>``; every refusal is a polite ``<Say>`` and ``<Hangup>`` (:func:`goodbye`).
"""

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from fastapi import Response
from starlette.requests import HTTPConnection
from twilio.twiml.voice_response import Connect, Gather, VoiceResponse

from convonet.settings import Settings
from convonet.transports.urls import public_base, websocket_url

PIN_PATH = "/twilio/pin"
STREAM_PATH = "/twilio/ws"
MAX_PIN_DIGITS = 8  # PINs are 4 to 8 digits; shorter ones end with the pound key
PIN_TIMEOUT_SECS = 8  # silence after which the Gather gives up

WELCOME = "Welcome to Convonet. Please enter your PIN, then press the pound key."
RETRY = "That PIN was not correct. Please try again, then press the pound key."
NOTHING_ENTERED = "We did not receive a PIN."
ENTER_PIN = "Please enter your PIN, then press the pound key."
WRONG_PIN_GOODBYE = "Sorry, that PIN was not correct. Please call again later. Goodbye."
NO_PIN_GOODBYE = "We did not receive a PIN. Goodbye."
LOCKED_OUT = "There have been too many attempts from this number. Please try again later. Goodbye."
MISCONFIGURED = "Sorry, this number is not set up correctly. Goodbye."


def twiml(response: VoiceResponse) -> Response:
    """An HTTP response carrying ``response`` as ``application/xml``."""
    return Response(str(response), media_type="application/xml")


@dataclass(frozen=True)
class PinStep:
    """Where a call is in PIN sign-in, carried in the query of the ``/twilio/pin`` URL.

    Attributes:
        bot: The bot the number asked for (``?bot=`` on its webhook URL).
        llm: The LLM the number asked for, if any (``?llm=``).
        attempt: Which PIN attempt of the call a post to :meth:`url` is (1-based).
    """

    bot: str
    llm: str | None = None
    attempt: int = 1

    @classmethod
    def from_request(cls, connection: HTTPConnection, settings: Settings) -> "PinStep":
        """Read the step from a webhook's query (``/twilio/voice`` is attempt 1).

        A missing or malformed ``attempt`` counts as 1; it is capped at the call's limit.
        """
        query = connection.query_params
        raw = query.get("attempt", "")
        attempt = int(raw) if raw.isdigit() and len(raw) < 4 else 1
        return cls(
            bot=query.get("bot") or settings.default_bot,
            llm=query.get("llm") or None,
            attempt=min(max(attempt, 1), settings.twilio_pin_attempts),
        )

    def next(self) -> "PinStep":
        """The following attempt."""
        return replace(self, attempt=self.attempt + 1)

    def url(self, connection: HTTPConnection, settings: Settings) -> str:
        """The absolute ``/twilio/pin`` URL for a Gather's action (and its fallback redirect).

        It is built from the same public base the signature check uses, so the signature
        Twilio computes over it validates when Twilio posts the digits back.

        Returns:
            ``{public base}/twilio/pin?attempt=N&bot=...[&llm=...]``.
        """
        query = {"attempt": str(self.attempt), "bot": self.bot}
        if self.llm:
            query["llm"] = self.llm
        return f"{public_base(connection, settings)}{PIN_PATH}?{urlencode(query)}"


def ask_for_pin(action_url: str, prompt: str) -> VoiceResponse:
    """Prompt for the PIN by DTMF; if nothing is keyed, say so and post to the action anyway.

    Args:
        action_url: Where Twilio posts the ``Digits`` (from :meth:`PinStep.url`).
        prompt: What to say while waiting for the keys.

    Returns:
        ``<Gather input="dtmf" ...><Say/></Gather><Say/><Redirect/>``.
    """
    response = VoiceResponse()
    gather = Gather(
        input="dtmf",
        num_digits=MAX_PIN_DIGITS,
        finish_on_key="#",
        timeout=PIN_TIMEOUT_SECS,
        action=action_url,
        method="POST",
    )
    gather.say(prompt)
    response.append(gather)
    # Reached only when the Gather timed out without digits: the redirect arrives at
    # /twilio/pin without ``Digits``, which uses up the attempt without counting a failure.
    response.say(NOTHING_ENTERED)
    response.redirect(action_url, method="POST")
    return response


def connect_stream(
    connection: HTTPConnection, settings: Settings, session_id: str
) -> VoiceResponse:
    """Connect the call to this server's media stream for ``session_id``.

    Returns:
        ``<Connect><Stream url="wss://.../twilio/ws"><Parameter name="session_id"/>``.
    """
    response = VoiceResponse()
    connect = Connect()
    stream = connect.stream(url=websocket_url(connection, settings, STREAM_PATH))
    stream.parameter(name="session_id", value=session_id)
    response.append(connect)
    return response


def goodbye(message: str) -> VoiceResponse:
    """Say ``message`` and hang up."""
    response = VoiceResponse()
    response.say(message)
    response.hangup()
    return response


OUTAGE_SPOKEN = (
    "Sorry, we can't take your call right now because of a technical problem. "
    "Please call again in a few minutes. Goodbye."
)


def outage_refusal(_store: str) -> Response:
    """TwiML for a phone webhook that met a Redis or database outage: apologise, hang up."""
    return twiml(goodbye(OUTAGE_SPOKEN))
