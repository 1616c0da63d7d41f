"""The registry's tables as the first releases wrote them, for the migration tests."""

# A registry as the first releases wrote it: a status CHECK without `replaced` and `withdrawn`,
# pages without `method`, no other table.
FIRST_RELEASE_TABLES = """
CREATE TABLE documents (
    document_id   TEXT PRIMARY KEY,
    sha256        TEXT NOT NULL UNIQUE,
    source_path   TEXT NOT NULL,
    source_name   TEXT NOT NULL,
    title         TEXT NOT NULL,
    metadata      TEXT NOT NULL,
    index_key     TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'indexed')),
    page_count    INTEGER NOT NULL DEFAULT 0,
    chunk_count   INTEGER NOT NULL DEFAULT 0,
    ingested_at   TEXT NOT NULL
);
CREATE INDEX documents_source_path ON documents (source_path);
CREATE TABLE pages (
    document_id TEXT NOT NULL REFERENCES documents (document_id) ON DELETE CASCADE,
    page        INTEGER NOT NULL,
    text        TEXT NOT NULL,
    PRIMARY KEY (document_id, page)
);
"""
