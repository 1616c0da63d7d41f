"""The revisions of the registry schema, oldest first (`0001`: the schema of migration 1)."""
