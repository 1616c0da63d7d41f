"""The events the rate limits count, kept in the registry (`search_service.rate_limits`).

A row per event and key, in a limiter's `bucket` (`signin`, `feedback`), at a wall-clock time
(seconds since the epoch, the same on every machine). Every service process sharing the registry
counts the same rows, so a limit holds across replicas. Rows older than a limiter's window are
deleted whenever it records an event.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.persistence.connection import Repository


class RateEvents(Repository):
    """The `rate_events` table."""

    def recent(self, bucket: str, keys: Sequence[str], since: float) -> dict[str, list[float]]:
        """The times of the events after `since` of each key that has some, oldest first."""
        if not keys:
            return {}
        marks = ", ".join("?" for _ in keys)
        rows = self._rows(
            f"SELECT key, at FROM rate_events WHERE bucket = ? AND key IN ({marks}) AND at > ? "
            "ORDER BY at",
            (bucket, *keys, since),
        )
        found: dict[str, list[float]] = {}
        for row in rows:
            found.setdefault(str(row["key"]), []).append(float(row["at"]))
        return found

    def add(self, bucket: str, keys: Sequence[str], at: float, *, forget_before: float) -> None:
        """Count one event at `at` for every key; forget the bucket's events up to
        `forget_before`."""
        with self._locked() as db:
            db.execute(
                "DELETE FROM rate_events WHERE bucket = ? AND at <= ?", (bucket, forget_before)
            )
            db.executemany(
                "INSERT INTO rate_events (bucket, key, at) VALUES (?, ?, ?)",
                [(bucket, key, at) for key in keys],
            )

    def forget(self, bucket: str, key: str | None = None) -> None:
        """Forget the events of one key of the bucket (or of all its keys)."""
        if key is None:
            self._execute("DELETE FROM rate_events WHERE bucket = ?", (bucket,))
        else:
            self._execute("DELETE FROM rate_events WHERE bucket = ? AND key = ?", (bucket, key))
