"""Run Debian's Kamailio as registrar + WebSocket proxy with the repo's config.

``deploy/kamailio/kamailio.cfg`` is a plain Kamailio config; the ports, the domain and the
credentials directory are passed as ``-A NAME=value`` defines, so the same file serves
``convonet sip-server`` and the tests (free loopback ports). Agents' credentials go into a
db_text ``subscriber`` table holding only HA1 digests (``md5(user:realm:password)``).
"""

import hashlib
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from convonet.errors import ConfigurationError

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "kamailio" / "kamailio.cfg"
INSTALL_HINT = "apt-get install kamailio kamailio-websocket-modules"
# Kamailio checks the table versions of what its modules read (Kamailio 5.x schema).
VERSION_TABLE = "table_name(string) table_version(int)\nsubscriber:7\ndbaliases:1\nversion:1\n"
SUBSCRIBER_HEADER = "id(int,auto) username(string) domain(string) ha1(string)\n"
ALIASES_HEADER = (
    "id(int,auto) alias_username(string) alias_domain(string) username(string) domain(string)\n"
)


@dataclass(frozen=True, slots=True)
class SipAccount:
    """One SIP user the server accepts (an agent's extension and password)."""

    username: str
    password: str


@dataclass(slots=True)
class SipDirectory:
    """What the SIP server is told: the accounts, and aliases ringing several of them.

    Attributes:
        accounts: Who may register and place calls.
        aliases: Extension → the usernames it rings in parallel (a department's agents).
    """

    accounts: list[SipAccount] = field(default_factory=list)
    aliases: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SipServerConfig:
    """Where the server listens and keeps its files.

    Attributes:
        domain: SIP domain and digest realm.
        host: Address to bind (loopback for development and tests).
        sip_port: UDP/TCP SIP port.
        ws_port: Plain WebSocket port (``ws://host:ws_port``).
        work_dir: Holds the credentials table (``db/``).
    """

    domain: str
    host: str
    sip_port: int
    ws_port: int
    work_dir: Path

    @property
    def ws_url(self) -> str:
        """The URL a JsSIP client connects to."""
        return f"ws://{self.host}:{self.ws_port}"


def ha1(username: str, realm: str, password: str) -> str:
    """The digest HA1 Kamailio compares against (RFC 2617)."""
    return hashlib.md5(f"{username}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()


def _field(value: str) -> str:
    # db_text separates columns with ':' and escapes them (and backslashes) with '\'.
    return value.replace("\\", "\\\\").replace(":", "\\:")


def write_tables(db_dir: Path, directory: SipDirectory, realm: str) -> None:
    """Write the db_text ``subscriber``, ``dbaliases`` and ``version`` tables.

    Raises:
        ConfigurationError: Two accounts share a username.
    """
    db_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    users, seen = [SUBSCRIBER_HEADER], set()
    for number, account in enumerate(directory.accounts, start=1):
        if account.username in seen:
            raise ConfigurationError(f"SIP user {account.username!r} is listed twice")
        seen.add(account.username)
        digest = ha1(account.username, realm, account.password)
        users.append(f"{number}:{_field(account.username)}:{_field(realm)}:{digest}\n")
    aliases = [ALIASES_HEADER]
    for extension, usernames in sorted(directory.aliases.items()):
        for username in usernames:
            row = [_field(v) for v in (extension, realm, username, realm)]
            aliases.append(f"{len(aliases)}:{':'.join(row)}\n")
    (db_dir / "subscriber").write_text("".join(users), encoding="utf-8")
    (db_dir / "dbaliases").write_text("".join(aliases), encoding="utf-8")
    (db_dir / "version").write_text(VERSION_TABLE, encoding="utf-8")


def kamailio_binary() -> str:
    """The path of the ``kamailio`` executable.

    Raises:
        ConfigurationError: Kamailio is not installed.
    """
    found = shutil.which("kamailio") or next(
        (p for p in ("/usr/sbin/kamailio", "/usr/local/sbin/kamailio") if Path(p).exists()), None
    )
    if found is None:
        raise ConfigurationError(f"Kamailio is not installed ({INSTALL_HINT})")
    return found


def kamailio_command(config: SipServerConfig) -> list[str]:
    """The foreground Kamailio command line for ``config`` (logs go to stderr)."""
    defines = {
        "SIP_DOMAIN": f'"{config.domain}"',
        "LISTEN_IP": config.host,
        "SIP_PORT": str(config.sip_port),
        "WS_PORT": str(config.ws_port),
        "DBURL": f'"text://{(config.work_dir / "db").resolve()}"',
    }
    command = [kamailio_binary(), "-DD", "-E", "-f", str(CONFIG), "-Y", str(config.work_dir)]
    command += ["-m", "32", "-M", "8", "-w", str(config.work_dir)]
    for name, value in defines.items():
        command += ["-A", f"{name}={value}"]
    return command


def prepare(config: SipServerConfig, directory: SipDirectory) -> list[str]:
    """Write the tables and return the command that starts the server."""
    config.work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_tables(config.work_dir / "db", directory, config.domain)
    return kamailio_command(config)


def _answers(host: str, port: int) -> bool:
    """Whether Kamailio itself answers HTTP on the WebSocket port (not just anyone)."""
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"GET /ready HTTP/1.1\r\nHost: convonet\r\n\r\n")
            return b"kamailio" in sock.recv(1024).lower()
    except OSError:
        return False


class KamailioProcess:
    """Kamailio running in the background (tests, ``with`` blocks)."""

    def __init__(self, config: SipServerConfig, directory: SipDirectory) -> None:
        """Prepare the server; :meth:`start` runs it."""
        self.config = config
        self._command = prepare(config, directory)
        self._log = config.work_dir / "kamailio.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_secs: float = 10.0) -> None:
        """Start and wait until Kamailio answers on the WebSocket port.

        Raises:
            ConfigurationError: Kamailio exited or never listened (its log is quoted).
        """
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                self._command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout_secs
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            if _answers(self.config.host, self.config.ws_port):
                return
            time.sleep(0.05)
        self.stop()
        tail = self._log.read_text(errors="replace")[-1500:]
        raise ConfigurationError(f"Kamailio did not start:\n{tail}")

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and wait for it."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)

    def log(self) -> str:
        """What the server logged so far."""
        return self._log.read_text(errors="replace") if self._log.exists() else ""

    def __enter__(self) -> "KamailioProcess":
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
