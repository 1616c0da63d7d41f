"""Haystack only: components, the indexing, query and ask pipeline factories, the searcher, the
chunk stores, the German text tools and model provisioning. Imports `core`, nothing else of ours.
"""

import os

# The product never calls home: Haystack's usage telemetry stays off unless a user turns it on.
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
