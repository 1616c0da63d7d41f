"""The test suite: one folder per package, shared worlds and helpers in `tests.support`.

Every folder is a package, so test modules are named by their path (`tests.ingest.test_reindex`)
and two folders may hold files of the same name.
"""
