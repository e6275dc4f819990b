"""Conversations without a live transport: text turns (chat) and a WAV file through the pipeline."""
