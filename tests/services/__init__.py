"""Tests of the speech service factories against fake cloud providers."""
