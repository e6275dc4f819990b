"""The Kamailio runner: credential tables, the command line, and a start that fails loudly."""

import shutil
import socket
from pathlib import Path

import pytest

from convonet.errors import ConfigurationError
from convonet.sip.kamailio import (
    CONFIG,
    KamailioProcess,
    SipAccount,
    SipDirectory,
    SipServerConfig,
    ha1,
    kamailio_command,
    write_tables,
)
from tests.conftest import free_port

needs_kamailio = pytest.mark.skipif(
    shutil.which("kamailio") is None and not Path("/usr/sbin/kamailio").exists(),
    reason="needs kamailio (apt-get install kamailio kamailio-websocket-modules)",
)


def test_ha1_is_the_rfc_2617_digest() -> None:
    # RFC 2617 section 3.5's example user.
    assert ha1("Mufasa", "testrealm@host.com", "Circle Of Life") == (
        "939e7578ed9e3c518a452acee763bce9"
    )


def test_tables_hold_digests_and_aliases_never_passwords(tmp_path: Path) -> None:
    directory = SipDirectory(
        [SipAccount("2001", "s3cret-one"), SipAccount("odd:user", "s3cret-two")],
        {"2001": ["2001", "3001"]},
    )
    write_tables(tmp_path, directory, "127.0.0.1")
    subscriber = (tmp_path / "subscriber").read_text()
    assert "s3cret" not in subscriber
    assert f"1:2001:127.0.0.1:{ha1('2001', '127.0.0.1', 's3cret-one')}\n" in subscriber
    assert "2:odd\\:user:127.0.0.1:" in subscriber  # db_text escapes its separator
    aliases = (tmp_path / "dbaliases").read_text().splitlines()
    assert aliases[1:] == ["1:2001:127.0.0.1:2001:127.0.0.1", "2:2001:127.0.0.1:3001:127.0.0.1"]
    assert "subscriber:7" in (tmp_path / "version").read_text()


def test_a_username_listed_twice_is_refused(tmp_path: Path) -> None:
    twice = SipDirectory([SipAccount("2001", "a"), SipAccount("2001", "b")])
    with pytest.raises(ConfigurationError, match="listed twice"):
        write_tables(tmp_path, twice, "example.org")


@needs_kamailio
def test_the_command_runs_the_repo_config_with_the_ports_as_defines(tmp_path: Path) -> None:
    config = SipServerConfig("pbx.example.org", "127.0.0.1", 15060, 15066, tmp_path)
    command = kamailio_command(config)
    assert command[command.index("-f") + 1] == str(CONFIG)
    defines = [command[i + 1] for i, arg in enumerate(command) if arg == "-A"]
    assert 'SIP_DOMAIN="pbx.example.org"' in defines
    assert "SIP_PORT=15060" in defines and "WS_PORT=15066" in defines
    assert f'DBURL="text://{tmp_path / "db"}"' in defines


@pytest.mark.integration
@needs_kamailio
def test_a_port_in_use_is_a_clear_error_quoting_kamailio(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ws_port = taken.getsockname()[1]
        config = SipServerConfig("127.0.0.1", "127.0.0.1", free_port(), ws_port, tmp_path)
        server = KamailioProcess(config, SipDirectory([SipAccount("2001", "pw")]))
        with pytest.raises(ConfigurationError, match="Kamailio did not start") as failure:
            server.start(timeout_secs=10)
    assert "bind" in str(failure.value).lower() or "address" in str(failure.value).lower()
    assert not server.running
