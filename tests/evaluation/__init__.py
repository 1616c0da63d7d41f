"""Tests of `evaluation`."""
