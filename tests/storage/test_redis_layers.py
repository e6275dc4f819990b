"""The Redis store's dependencies stay narrow: no monitor, sessions, agents or pipecat."""

import json
import subprocess
import sys


def test_the_redis_store_imports_only_leaves() -> None:
    probe = (
        "import json, sys; import convonet.storage.redis; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('convonet', 'pipecat', 'langgraph'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout))
    forbidden = {m for m in loaded if m.startswith(("pipecat", "langgraph", "convonet.monitor"))}
    forbidden |= loaded & {"convonet.session", "convonet.runtime", "convonet.agents"}
    assert not forbidden, forbidden
    assert {"convonet.turns.record", "convonet.channels"} <= loaded
