"""How long the query log and the audit log keep their entries.

The query log holds no identities, but questions can still name people or cases, so its entries
(with their feedback) go after `BLOK_LOGS__QUERY_RETENTION_DAYS`; audit entries after
`BLOK_LOGS__AUDIT_RETENTION_DAYS`. 0 keeps entries for ever. The service prunes when it starts
and then at most once a day, on the next logged request.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.persistence.registry import Registry

PRUNE_INTERVAL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class PruneResult:
    """How many entries one pruning removed."""

    queries: int
    audit_entries: int


def cutoff_text(now: dt.datetime, days: int) -> str:
    """The `at` text before which entries are older than `days` (entries store UTC ISO text)."""
    return (now - dt.timedelta(days=days)).isoformat(timespec="seconds")


class LogRetention:
    """Deletes log entries older than their retention."""

    def __init__(
        self,
        registry: Registry,
        *,
        query_days: int,
        audit_days: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry
        self.query_days = query_days
        self.audit_days = audit_days
        self.clock = clock
        self._last_pruned: float | None = None
        self._lock = threading.Lock()

    def prune(self, now: dt.datetime | None = None) -> PruneResult:
        """Delete what is past its retention now (feedback goes with its question)."""
        now = now or dt.datetime.now(dt.UTC)
        queries = audit_entries = 0
        if self.query_days:
            queries = self.registry.query_log.delete_before(cutoff_text(now, self.query_days))
        if self.audit_days:
            audit_entries = self.registry.audit.delete_before(cutoff_text(now, self.audit_days))
        self._last_pruned = self.clock()
        return PruneResult(queries, audit_entries)

    def prune_if_due(self) -> None:
        """Prune when the last pruning is a day old (cheap to call on every logged request)."""
        with self._lock:
            last = self._last_pruned
            if last is not None and self.clock() - last < PRUNE_INTERVAL_SECONDS:
                return
            self._last_pruned = self.clock()
        self.prune()
