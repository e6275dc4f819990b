"""Tests of the healthcare domain."""
