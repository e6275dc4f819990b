"""Tests of the mortgage domain."""
