"""Sliding-window rate limits, kept in the memory of one process.

Used for failed sign-ins (per account and client address, and per address for unknown names,
`search_service.auth.signin_key`) and for feedback (per client address). The client address is
the peer's, or the one a trusted proxy forwarded (`BLOK_SERVER__FORWARDED_ALLOW_IPS`).

The embedded store admits one server process, so one process's memory is the whole picture
there; with a Qdrant server and several worker processes each counts on its own, which
multiplies the allowance by the number of workers (a shared limiter would need shared storage).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from core.errors import TooManyRequestsError

# Above this many counted keys, expired ones are swept out (bounds memory under guessing).
SWEEP_THRESHOLD = 10_000


class RateLimiter:
    """Counts events per key (account name, client address) in a sliding window."""

    def __init__(
        self,
        *,
        limit: int,
        window_seconds: float,
        message: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.message = message
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.get(key, deque())
        while events and events[0] <= now - self.window_seconds:
            events.popleft()
        if not events:
            self._events.pop(key, None)
        return events

    def check(self, keys: list[str]) -> None:
        """Refuse when any key has reached the limit within the window.

        Raises:
            TooManyRequestsError: with the seconds until the oldest counted event expires.
        """
        with self._lock:
            now = self.clock()
            for key in keys:
                events = self._recent(key, now)
                if len(events) >= self.limit:
                    wait = events[0] + self.window_seconds - now
                    raise TooManyRequestsError(
                        self.message, retry_after_seconds=max(1, math.ceil(wait))
                    )

    def record(self, keys: list[str]) -> None:
        """Count one event against every key."""
        with self._lock:
            now = self.clock()
            if len(self._events) > SWEEP_THRESHOLD:
                for stale in list(self._events):
                    self._recent(stale, now)
            for key in keys:
                self._events.setdefault(key, self._recent(key, now)).append(now)

    def reset(self, key: str) -> None:
        """Forget the events of one key (failures, after a successful sign-in)."""
        with self._lock:
            self._events.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._events.clear()
