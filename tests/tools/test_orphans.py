"""No orphans: a server killed outright (SIGKILL) takes its MCP tool subprocesses with it.

A tool server whose stdin closes exits by itself, so the end-to-end test (a real server
killed) would pass on that alone; the guard matters when something else still holds the
pipe or the child is busy. ``test_a_tool_server_dies_with_its_parent_even_with_stdin_open``
keeps the pipe open from outside, so only the guard can end the child.
"""

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from convonet.bench.servers import Fleet


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state letter


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has already died (only its exit status is left)


def _children(pid: int) -> list[int]:
    pids = (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    return [child for child in pids if _parent_of(child) == pid]


def _wait_gone(pids: list[int], within_secs: float) -> list[int]:
    deadline = time.monotonic() + within_secs
    while (alive := [pid for pid in pids if _alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


@pytest.mark.integration
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_tool_servers_die_with_a_server_killed_by_sigkill() -> None:
    fleet = Fleet(1, {})  # tools enabled: one stdio MCP server per tool group
    fleet.start()  # ready means the tool servers started
    try:
        server = fleet.servers[0].process
        tools = [
            pid
            for pid in _children(server.pid)
            if b"convonet.tools" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        assert len(tools) >= 3, tools  # one per tool group
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        assert _wait_gone(tools, within_secs=5) == []
    finally:
        fleet.stop()


# A middle process starts a child that only runs the watchdog (no parent-death signal), then
# exits: the orphaned child must notice and exit by itself.
_MIDDLE = textwrap.dedent(
    """
    import subprocess, sys
    child = subprocess.Popen([sys.executable, "-c", '''
    import os
    parent = os.getppid()  # before telling the parent it may exit
    from convonet.tools.orphans import _watch
    print(os.getpid(), flush=True)
    _watch(parent, 0.1)
    '''], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    print(child.stdout.readline().decode().strip(), flush=True)
    """
)


def test_the_watchdog_ends_a_child_whose_parent_died() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    middle = subprocess.run(
        [sys.executable, "-c", _MIDDLE], capture_output=True, text=True, env=env, timeout=30
    )
    assert middle.returncode == 0, middle.stderr
    orphan = int(middle.stdout.strip())  # its parent has exited by now
    assert _wait_gone([orphan], within_secs=5) == []


_PARENT = textwrap.dedent(
    """
    import subprocess, sys
    tool = subprocess.Popen(
        [sys.executable, "-m", "convonet.tools", "todo"],
        stdin=int(sys.argv[1]), stdout=int(sys.argv[2]), pass_fds=(), start_new_session=True,
    )
    print(tool.pid, flush=True)
    sys.stdin.read()  # until killed
    """
)
_INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "0"},
    },
}


def _read_line(fd: int, timeout_secs: float) -> bytes:
    line = b""
    deadline = time.monotonic() + timeout_secs
    while not line.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise TimeoutError(f"no answer from the tool server: {line!r}")
        line += os.read(fd, 65536)
    return line


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_tool_server_dies_with_its_parent_even_with_stdin_open(tmp_path: Path) -> None:
    to_tool, tool_in = os.pipe()[::-1]  # the test keeps the write end: no EOF ever
    tool_out, from_tool = os.pipe()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "DATA_DIR": str(tmp_path)}
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(tool_in), str(from_tool)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        pass_fds=(tool_in, from_tool),
    )
    os.close(tool_in)
    os.close(from_tool)
    try:
        assert parent.stdout is not None
        tool = int(parent.stdout.readline())
        os.write(to_tool, json.dumps(_INITIALIZE).encode() + b"\n")
        answer = json.loads(_read_line(tool_out, timeout_secs=30))
        assert answer["id"] == 1 and "serverInfo" in answer["result"]  # it serves
        parent.kill()
        parent.wait(timeout=10)
        assert _wait_gone([tool], within_secs=5) == []
    finally:
        parent.kill()
        os.close(to_tool)
        os.close(tool_out)
