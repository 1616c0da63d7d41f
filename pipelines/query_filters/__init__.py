"""Filters a question sets itself: ring, years, document kind, job centre and topic.

`infer_filters` (`inference.py`) reads them from the question's words; the phrase finders are
small modules of their own (`rings.py`, `years.py`, `kinds.py`, `known_values.py`). The query
pipeline's `QueryFilterInferrer` applies them; `AppliedFilter` (`applied.py`) is how a response
names every filter it applied, inferred or given.
"""
