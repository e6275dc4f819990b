"""Agent Monitor: the turn recorder, the dashboards and their API.

Turns themselves (record, stage table, voice tracker) live in :mod:`convonet.turns`.

* :mod:`convonet.monitor.recorder`: the turn listener that batches records into Redis.
* :mod:`convonet.monitor.stats`: percentiles and aggregates over records.
* :mod:`convonet.monitor.api`: ``/agent-monitor`` and ``/tool-execution`` (pages, API, live).
"""
