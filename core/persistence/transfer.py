"""Copying every row of one registry into another, empty one (`blok migrate`: SQLite to PostgreSQL).

Both databases are at the newest schema revision (opening a `Registry` migrates it). The tables
are copied in the order of their foreign keys, each in one statement per batch, inside one
transaction of the target: a copy that fails leaves the target as empty as it was. The source is
read inside one transaction too, so the copy is the source at one moment. Only the columns both
tables have are copied: PostgreSQL's `ingest_jobs.seq` (SQLite keeps that order in `rowid`) is
generated in the source's insertion order. Afterwards the identity sequences of PostgreSQL start
after the copied ids, and every table's row count is compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import sqlalchemy as sa

from core.errors import ConflictError
from core.persistence.connection import Database

# Alembic's own table: the target already stands at the newest revision.
SKIPPED_TABLES = frozenset({"alembic_version"})
BATCH_ROWS = 500


def reflected_tables(database: Database) -> dict[str, sa.Table]:
    """The registry's tables as the database describes them (without Alembic's)."""
    metadata = sa.MetaData()
    metadata.reflect(database.engine)
    return {t.name: t for t in metadata.sorted_tables if t.name not in SKIPPED_TABLES}


def copy_database(source: Database, target: Database) -> dict[str, int]:
    """Copy every row of `source` into the empty `target`; the rows per table.

    Raises:
        ConflictError: the target already holds rows (beyond the serving generation 0 that
            every new registry starts with), or its schema lacks a table of the source.
    """
    source_tables = reflected_tables(source)
    target_tables = reflected_tables(target)
    missing = sorted(set(source_tables) - set(target_tables))
    if missing:
        raise ConflictError(f"The target registry has no table {', '.join(missing)}.")
    copied: dict[str, int] = {}
    with source.engine.connect() as reading, target.engine.begin() as writing:
        with reading.begin():
            refuse_filled(writing, target_tables)
            writing.execute(target_tables["serving"].delete())  # replaced by the source's row
            for name, table in target_tables.items():
                if name in source_tables:
                    copied[name] = copy_table(reading, source_tables[name], writing, table)
        if target.dialect == "postgresql":
            restart_identities(writing, target_tables.values())
        check_counts(writing, target_tables, copied)
    return copied


def refuse_filled(connection: sa.Connection, tables: dict[str, sa.Table]) -> None:
    """Raise when a table other than `serving` holds rows, or `serving` has moved on."""
    for name, table in tables.items():
        if name == "serving":
            generation = connection.execute(sa.select(table.c.generation)).scalar()
            filled = generation not in (None, 0)
        else:
            rows = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            filled = bool(rows)
        if filled:
            raise ConflictError(
                f"The target registry is not empty (table {name} holds rows): migrate only into "
                "a new, empty database."
            )


def copy_table(
    reading: sa.Connection, source: sa.Table, writing: sa.Connection, target: sa.Table
) -> int:
    """Copy the shared columns of one table, in the source's insertion order; the row count."""
    columns = [c.name for c in source.columns if c.name in target.columns]
    count = 0
    for batch in batches(reading, source, columns):
        writing.execute(target.insert(), batch)
        count += len(batch)
    return count


def batches(
    connection: sa.Connection, table: sa.Table, columns: list[str]
) -> Iterator[list[dict[str, object]]]:
    """The table's rows as column dictionaries, `BATCH_ROWS` at a time, oldest first."""
    order = sa.text("rowid") if connection.dialect.name == "sqlite" else None
    query = sa.select(*(table.c[name] for name in columns))
    if order is not None:
        query = query.order_by(order)
    result = connection.execute(query).mappings()
    while rows := result.fetchmany(BATCH_ROWS):
        yield [dict(row) for row in rows]


def restart_identities(connection: sa.Connection, tables: Iterable[sa.Table]) -> None:
    """Let each identity column of PostgreSQL continue after the largest copied id."""
    for table in tables:
        for column in table.columns:
            if column.identity is None:
                continue
            sequence = connection.execute(
                sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            ).scalar()
            if sequence is None:
                continue
            largest = connection.execute(sa.select(sa.func.max(column))).scalar()
            connection.execute(
                sa.text("SELECT setval(:sequence, :value, :called)"),
                {"sequence": sequence, "value": largest or 1, "called": largest is not None},
            )


def check_counts(
    connection: sa.Connection, tables: dict[str, sa.Table], copied: dict[str, int]
) -> None:
    """Raise when a table of the target does not hold what was copied into it."""
    for name, expected in copied.items():
        table = tables[name]
        found = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
        if found != expected:
            raise ConflictError(f"Table {name}: {expected} rows copied but {found} found.")
