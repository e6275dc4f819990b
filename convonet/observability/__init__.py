"""Observability: Prometheus metrics (``GET /metrics``) and Sentry error and call tracing.

* :mod:`convonet.observability.metrics`: the app's registry and instruments.
* :mod:`convonet.observability.observer`: the pipecat observer that feeds them per call.
* :mod:`convonet.observability.sentry`: SDK start-up and the per-call transaction.
* :mod:`convonet.observability.routes`: the ``/metrics`` endpoint and the text-turn hook.
"""
