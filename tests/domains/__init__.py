"""Tests of the domain packages and their registry."""
