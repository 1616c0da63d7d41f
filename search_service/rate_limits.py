"""Sliding-window rate limits, counted in the registry so that every service process shares them.

Used for failed sign-ins (per account and client address, and per address for unknown names,
`search_service.auth.signin_key`) and for feedback (per client address). The client address is
the peer's, or the one a trusted proxy forwarded (`BLOK_SERVER__FORWARDED_ALLOW_IPS`).

The events live in the registry's `rate_events` table (`core.persistence.rate_events`), one
bucket per limiter: several `blok serve` replicas on one PostgreSQL registry count together, and
a restart does not lift a lockout. Times are wall-clock seconds, the same in every process.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from core.errors import TooManyRequestsError
from core.persistence.rate_events import RateEvents


class RateLimiter:
    """Counts events per key (account name, client address) in a sliding window."""

    def __init__(
        self,
        events: RateEvents,
        *,
        bucket: str,
        limit: int,
        window_seconds: float,
        message: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.events = events
        self.bucket = bucket
        self.limit = limit
        self.window_seconds = window_seconds
        self.message = message
        self.clock = clock

    def check(self, keys: list[str]) -> None:
        """Refuse when any key has reached the limit within the window.

        Raises:
            TooManyRequestsError: with the seconds until the oldest counted event expires.
        """
        now = self.clock()
        for times in self.events.recent(self.bucket, keys, now - self.window_seconds).values():
            if len(times) >= self.limit:
                wait = times[-self.limit] + self.window_seconds - now
                raise TooManyRequestsError(
                    self.message, retry_after_seconds=max(1, math.ceil(wait))
                )

    def record(self, keys: list[str]) -> None:
        """Count one event against every key."""
        now = self.clock()
        self.events.add(self.bucket, keys, now, forget_before=now - self.window_seconds)

    def reset(self, key: str) -> None:
        """Forget the events of one key (failures, after a successful sign-in)."""
        self.events.forget(self.bucket, key)

    def clear(self) -> None:
        """Forget everything this limiter counted."""
        self.events.forget(self.bucket)
