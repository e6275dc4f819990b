"""The SuiteCRM client's error sorting: what is refused for good and what is retried."""

from pathlib import Path

import pytest

from convonet.crm.client import SuiteCrmClient
from convonet.errors import CrmRejectedError, CrmUnavailableError
from tests.conftest import free_port
from tests.fakes.backends import storage_settings
from tests.fakes.suitecrm import CLIENT_ID, CLIENT_SECRET, FakeSuiteCrm


def _client(tmp_path: Path, url: str, secret: str = CLIENT_SECRET) -> SuiteCrmClient:
    settings = storage_settings(
        tmp_path, suitecrm_url=url, suitecrm_client_id=CLIENT_ID,
        suitecrm_client_secret=secret, crm_timeout_secs=1.0,
    )  # fmt: skip
    return SuiteCrmClient(settings)


async def test_errors_are_sorted_into_refused_and_retry_later(tmp_path: Path) -> None:
    crm = await FakeSuiteCrm().start()
    try:
        client = _client(tmp_path, crm.url)
        assert await client.upsert("Contacts", "c-1", {"last_name": "Doe"}) == "created"
        assert await client.upsert("Contacts", "c-1", {"phone_mobile": "1"}) == "updated"
        assert crm.records[("Contacts", "c-1")] == {"last_name": "Doe", "phone_mobile": "1"}
        with pytest.raises(CrmRejectedError, match="422: last_name is required"):
            await client.upsert("Contacts", "c-2", {"first_name": "No last name"})
        with pytest.raises(CrmRejectedError, match="400: Module Planets does not exist"):
            await client.upsert("Planets", "p-1", {"name": "Mars"})
        crm.fail_next = [429]
        with pytest.raises(CrmUnavailableError, match="429"):
            await client.upsert("Contacts", "c-3", {"last_name": "Later"})
        crm.delay_secs = 3.0  # well past the timeout, which a busy machine's answers stay under
        with pytest.raises(CrmUnavailableError, match="timed out"):
            await client.upsert("Contacts", "c-3", {"last_name": "Later"})
        await client.aclose()

        crm.delay_secs = 0.0
        wrong = _client(tmp_path, crm.url, secret="not-the-secret")
        with pytest.raises(CrmUnavailableError, match="token refused: 401: Client authentication"):
            await wrong.upsert("Contacts", "c-4", {"last_name": "Nope"})
        await wrong.aclose()
    finally:
        await crm.stop()

    nobody = _client(tmp_path, f"http://127.0.0.1:{free_port()}")
    with pytest.raises(CrmUnavailableError, match="unreachable"):
        await nobody.upsert("Contacts", "c-5", {"last_name": "Gone"})
    await nobody.aclose()


def test_sync_is_on_only_with_url_id_and_secret(tmp_path: Path) -> None:
    partial = storage_settings(tmp_path, suitecrm_url="https://crm.example", suitecrm_client_id="x")
    assert not partial.crm_enabled
    with pytest.raises(ValueError, match="SUITECRM_URL"):
        SuiteCrmClient(partial)
    with pytest.raises(ValueError):
        storage_settings(tmp_path, suitecrm_url="crm.example")  # no scheme
