"""Tests of `search_service`."""
