"""Local stand-ins for cloud speech providers, speaking their real wire protocols.

Used by ``convonet bench concurrency`` (network STT/TTS with a configurable latency) and by
the test suite.
"""
