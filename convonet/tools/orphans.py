"""A tool subprocess dies with its server, even when the server is killed outright.

The MCP SDK starts each stdio tool server in a session of its own, so a server killed by
SIGKILL or the OOM killer would leave its tool servers running (holding database and Redis
connections). Two guards, set up first thing in the child: on Linux the kernel's parent-death
signal (``prctl(PR_SET_PDEATHSIG)``), and everywhere a watchdog thread that sees the parent's
pid change (the child was re-parented) and exits.
"""

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
WATCH_INTERVAL_SECS = 1.0


def _parent_death_signal(sig: int) -> bool:
    """Ask Linux to send ``sig`` when our parent dies; whether it could be set."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return bool(libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) == 0)


def _watch(parent: int, interval_secs: float) -> None:
    while os.getppid() == parent:
        time.sleep(interval_secs)
    os._exit(1)  # orphaned: nothing to flush that outlives our server anyway


def die_with_parent(interval_secs: float = WATCH_INTERVAL_SECS) -> None:
    """Make this process end when its parent does (call it first thing in the child)."""
    parent = os.getppid()
    _parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the guard was set
        os._exit(1)
    # The fallback: PR_SET_PDEATHSIG fires when the parent *thread* that spawned us ends, and
    # is Linux-only; the watchdog covers the rest within a second.
    threading.Thread(
        target=_watch, args=(parent, interval_secs), name="parent-watchdog", daemon=True
    ).start()
