"""`DATA_DIR/service.json` (`Settings.service_file`): tells other processes that `blok serve`
runs on this data directory.

The embedded store admits one process; `blok ingest` reads this file to hand its work to the
running service instead (`blok.handoff`). Written at start-up, removed at shutdown; a file
whose process is gone (the service was killed) is stale and ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunningService:
    """Where the service on a data directory answers."""

    url: str
    pid: int


def service_url(host: str, port: int) -> str:
    """The URL a local client uses for a service bound to `host` (any address: loopback)."""
    if host in ("0.0.0.0", "", "::"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def write_service_file(path: Path, url: str) -> Path:
    """Record in the service file `path` that this process serves its data directory at `url`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"url": url, "pid": os.getpid()}) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path


def remove_service_file(path: Path) -> None:
    """Remove the service file `path` if this process wrote it."""
    found = read_service_file(path)
    if found is not None and found.pid == os.getpid():
        path.unlink(missing_ok=True)


def read_service_file(path: Path) -> RunningService | None:
    """The service recorded in the service file `path`, or None (no file, unreadable)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return RunningService(url=str(raw["url"]), pid=int(raw["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def process_alive(pid: int) -> bool:
    """True when a process with this id exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def running_service(path: Path) -> RunningService | None:
    """The service the service file `path` names; a stale file (its process is gone) is removed."""
    found = read_service_file(path)
    if found is None:
        return None
    if not process_alive(found.pid):
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return found
