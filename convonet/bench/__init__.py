"""``convonet bench``: latency, framework-overhead and concurrency benchmarks.

Nothing here is imported by the server; the CLI imports the benchmark modules lazily.
"""
