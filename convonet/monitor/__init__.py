"""Agent Monitor: per-turn voice timing, its Redis records, the dashboards and their API.

* :mod:`convonet.monitor.records`: the :class:`~convonet.monitor.records.TurnRecord` model.
* :mod:`convonet.monitor.timing`: the pipecat observer that measures voice turns.
* :mod:`convonet.monitor.recorder`: the background writer that batches records into Redis.
* :mod:`convonet.monitor.stats`: percentiles and aggregates over records.
* :mod:`convonet.monitor.api`: ``/agent-monitor`` and ``/tool-execution`` (pages, API, live).
"""
