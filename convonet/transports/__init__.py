"""Transports: each a FastAPI router plus a factory for its pipecat transport."""
