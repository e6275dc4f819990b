"""Turns: the one record of a turn, its stage table, and who is told of it.

* :mod:`convonet.turns.record`: :class:`~convonet.turns.record.Turn` (a leaf: pydantic only).
* :mod:`convonet.turns.stages`: the documented stage table and the derivation of durations.
* :mod:`convonet.turns.listeners`: the listener interface and the fan-out to listeners.
* :mod:`convonet.turns.voice`: the pipecat observer that builds voice turns from frames.
* :mod:`convonet.turns.build`: a ``Turn`` from a session and an agent outcome (voice, text).

Storage imports only the leaf modules (``record``, ``stages``); nothing here imports storage.
"""
