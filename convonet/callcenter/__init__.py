"""The call-center agents' side: state machine, service, customer popup, history, live feed.

The live state of every agent is in Redis (:mod:`convonet.storage.redis.agents`), moved
atomically by :class:`~convonet.callcenter.service.CallCenter` under the rules of
:mod:`~convonet.callcenter.states`; the history (state changes, call legs) is in the database.
The HTTP surface is :mod:`convonet.api.call_center`.
"""
