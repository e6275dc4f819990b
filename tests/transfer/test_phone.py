"""The phone leg with the real twilio SDK against a local fake of Twilio's REST API."""

import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from convonet.errors import TransferError
from convonet.settings import Settings
from convonet.storage.redis import TransferRecord
from convonet.transfer.phone import PhoneLeg
from convonet.transports.twilio import StreamStart, create_twilio_serializer
from tests.conftest import test_settings as make_settings
from tests.fakes.twilio_rest import FakeTwilioREST

SID, TOKEN = "AC" + "1" * 32, "rest-token"
RECORD = TransferRecord(
    session_id="sess-1", status="requested", department="support", extension="2001"
)


def _settings(tmp_path: Path, fake: FakeTwilioREST, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "twilio_account_sid": SID,
        "twilio_auth_token": TOKEN,
        "twilio_api_base_url": fake.base_url,
        "fusionpbx_sip_domain": "pbx.example.com",
        "public_url": "https://voice.example.com",
        "transfer_timeout_secs": 25,
    }
    values.update(overrides)
    return make_settings(tmp_path, **values)


def _leg(settings: Settings) -> PhoneLeg:
    serializer = create_twilio_serializer(settings, StreamStart("MZ1", "CA9"))
    return PhoneLeg(settings, "CA9", serializer, timeout_secs=0.5)


async def test_the_live_call_is_updated_to_dial_the_agents_extension(tmp_path: Path) -> None:
    async with FakeTwilioREST(SID, TOKEN) as fake:
        leg = _leg(_settings(tmp_path, fake))
        await leg.dial(RECORD)
        assert leg._serializer.handed_off
    (update,) = fake.call_updates()
    assert update.path == f"/2010-04-01/Accounts/{SID}/Calls/CA9.json"
    dial = ET.fromstring(update.form["Twiml"]).find("./Dial")
    assert dial is not None and dial.get("timeout") == "25"
    action = urlsplit(str(dial.get("action")))
    assert action.netloc == "voice.example.com" and action.path == "/twilio/transfer_callback"
    assert parse_qs(action.query) == {"session_id": ["sess-1"]}
    sip = dial.find("./Sip")
    assert sip is not None and sip.text is not None
    uri, _, headers = sip.text.partition("?")
    assert uri == "sip:2001@pbx.example.com;transport=udp"
    assert parse_qs(headers) == {
        "X-Convonet-Call-Sid": ["CA9"],
        "X-Convonet-Session": ["sess-1"],
        "X-Convonet-Extension": ["2001"],
    }


@pytest.mark.parametrize("status", [401, 404, 500, 503])
async def test_twilio_errors_fail_the_transfer_and_keep_the_call(
    tmp_path: Path, status: int
) -> None:
    async with FakeTwilioREST(SID, TOKEN, fail_with=status) as fake:
        leg = _leg(_settings(tmp_path, fake))
        with pytest.raises(TransferError, match=f"Twilio answered {status}"):
            await leg.dial(RECORD)
        assert not leg._serializer.handed_off  # the bot carries on; hang-up works again


async def test_wrong_credentials_are_a_401(tmp_path: Path) -> None:
    async with FakeTwilioREST(SID, "another-token") as fake:
        with pytest.raises(TransferError, match="Twilio answered 401"):
            await _leg(_settings(tmp_path, fake)).dial(RECORD)


async def test_a_twilio_that_does_not_answer_times_out(tmp_path: Path) -> None:
    async with FakeTwilioREST(SID, TOKEN, hang_secs=2.0) as fake:
        leg = _leg(_settings(tmp_path, fake))
        with pytest.raises(TransferError, match="could not be reached"):
            await leg.dial(RECORD)
        assert not leg._serializer.handed_off


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"twilio_account_sid": None}, "no Twilio credentials"),
        ({"fusionpbx_sip_domain": None}, "FUSIONPBX_SIP_DOMAIN"),
        ({"public_url": None}, "PUBLIC_URL"),
    ],
)
async def test_missing_configuration_is_refused_with_the_reason(
    tmp_path: Path, overrides: dict[str, object], reason: str
) -> None:
    async with FakeTwilioREST(SID, TOKEN) as fake:
        with pytest.raises(TransferError, match=reason):
            await _leg(_settings(tmp_path, fake, **overrides)).dial(RECORD)
        assert fake.requests == []
