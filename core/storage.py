"""The folders of the data directory the service writes into, and their failures.

A folder that cannot be written (no permission, a file in its place, a full disk) becomes a
`StorageError` that names the folder by its role, `uploads` or `sources`, and the system's
reason, never its path: the message may reach any caller (`/ready`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from core.errors import StorageError

FOLDER_ROLES = {
    "uploads": "the uploads folder (files received by POST /v1/documents)",
    "sources": "the sources folder (the kept originals)",
}


def storage_error(role: str, exc: OSError) -> StorageError:
    """The error of a write into the folder of `role` (a key of `FOLDER_ROLES`) that failed."""
    reason = exc.strerror or type(exc).__name__
    return StorageError(
        f"{FOLDER_ROLES[role]} of the data directory cannot be written: {reason}. Check that it "
        "is a folder the service may write and that the disk has room."
    )


def check_writable(folder: Path, role: str) -> None:
    """Create `folder` if needed and write and remove a probe file in it.

    Raises:
        StorageError: the folder cannot be created or written.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".probe-"):
            pass
    except OSError as exc:
        raise storage_error(role, exc) from exc
