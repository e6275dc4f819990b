"""Slot filling for the offline agent model: pure functions over the caller's words.

Dates and times (:mod:`.when`, :mod:`.days`, :mod:`.clock`), numbers and amounts
(:mod:`.numbers`), people and things (:mod:`.people`); a domain's own slots live in its
package (clinical intake: ``convonet.domains.healthcare.slots``). Text is first prepared by
:func:`.utterance.prepare`.
"""

from convonet.agents.offline.slots.utterance import prepare

__all__ = ["prepare"]
