"""Tests of the productivity domain."""
