"""Observability: Prometheus metrics (``GET /metrics``) and Sentry error and call tracing.

Both are listeners of :class:`~convonet.turns.record.Turn` (see :mod:`convonet.turns`).

* :mod:`convonet.observability.metrics`: the app's registry and instruments (a turn listener).
* :mod:`convonet.observability.sentry`: SDK start-up, sampling and scrubbing.
* :mod:`convonet.observability.sentry_turns`: the per-call transaction and failure events.
* :mod:`convonet.observability.listeners`: the listeners every voice or text turn goes to.
* :mod:`convonet.observability.routes`: the ``/metrics`` endpoint.
"""
