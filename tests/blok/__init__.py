"""Tests of `blok`."""
