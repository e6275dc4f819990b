"""The start-up heap is frozen out of the garbage collector's full passes once the server is ready.

A server holds ~360,000 container objects once its models, graphs and tool schemas are
loaded, none of which ever becomes garbage. Python's full (generation 2) collection walks
all of them whenever calls have created enough new long-lived objects, a few times a
minute under load, and each pass stopped the process's event loop, and so the audio of
every call on it, for ~240 ms on the 2-core benchmark machine. ``gc.freeze()`` moves what
exists at that moment into a permanent generation that collections skip: the passes left
walk only what the calls made, 18-45 ms there (``docs/benchmarks.md``, 2026-12-06, fourth
session). Garbage already unreachable is collected first, so freezing keeps none of it.
Objects frozen and later released are still freed by reference counting; only a reference
cycle among them would stay, and the start-up heap does not churn.
"""

import gc

from loguru import logger


def freeze_startup_heap() -> int:
    """Collect what is garbage now, then exempt the rest from later collections.

    Returns:
        How many objects are frozen.
    """
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    logger.info(f"start-up heap frozen out of the garbage collector: {frozen} objects")
    return frozen
