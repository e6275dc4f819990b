"""Pipecat frame processors and observers of our own."""
