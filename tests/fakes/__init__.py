"""Shared test fakes: local provider servers, synthesized speech, scripted clients."""
