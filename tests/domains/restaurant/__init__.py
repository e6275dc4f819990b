"""Tests of the restaurant domain."""
