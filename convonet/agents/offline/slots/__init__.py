"""Slot filling for the offline agent model: pure functions over the caller's words.

Dates and times (:mod:`.when`, :mod:`.days`, :mod:`.clock`), numbers and amounts
(:mod:`.numbers`), people and things (:mod:`.people`), clinical intake (:mod:`.health`). Text is
first prepared by :func:`.utterance.prepare`.
"""

from convonet.agents.offline.slots.utterance import prepare

__all__ = ["prepare"]
