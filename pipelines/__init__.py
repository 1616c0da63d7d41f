"""Haystack components, the indexing and query pipelines, and the store adapters."""

import os

# The product never calls home: Haystack's usage telemetry stays off unless a user turns it on.
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
