"""``convonet sip-server``: agents' credentials from the database, then Kamailio (exec)."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from convonet.cli import main
from convonet.sip.kamailio import ha1
from convonet.storage.seed import DEMO_SIP_PASSWORD


def test_sip_server_writes_the_agents_credentials_and_execs_kamailio(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("SIP_DOMAIN", "sip.test")
    for name in ("DATABASE_URL", "REDIS_URL", "SIP_WS_PORT", "SIP_PORT"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    seeded = runner.invoke(main, ["db", "seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    execs: list[list[str]] = []
    monkeypatch.setattr("os.execv", lambda path, argv: execs.append([path, *argv]))
    monkeypatch.setattr("convonet.sip.kamailio.kamailio_binary", lambda: "/usr/sbin/kamailio")

    result = runner.invoke(
        main, ["sip-server", "--ws-port", "15066", "--account", "pbx:trunk-secret"]
    )
    assert result.exit_code == 0, result.output
    assert "ws://127.0.0.1:15066" in result.output and "accounts: 2001, pbx" in result.output
    (command,) = execs
    assert "WS_PORT=15066" in command and 'SIP_DOMAIN="sip.test"' in command
    subscriber = (tmp_path / "sip" / "db" / "subscriber").read_text()
    assert ha1("2001", "sip.test", DEMO_SIP_PASSWORD) in subscriber
    assert ha1("pbx", "sip.test", "trunk-secret") in subscriber
    assert DEMO_SIP_PASSWORD not in subscriber  # digests only
    aliases = (tmp_path / "sip" / "db" / "dbaliases").read_text()
    assert "1:2001:sip.test:2001:sip.test" in aliases  # support's extension rings its agent


def test_a_malformed_extra_account_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["sip-server", "--account", "no-password"])
    assert result.exit_code != 0 and "is not USER:PASSWORD" in result.output
