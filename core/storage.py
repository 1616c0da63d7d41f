"""The folders of the data directory the service writes into, and their failures.

A folder that cannot be written (no permission, a file in its place, a full disk) becomes a
`StorageError` that names the folder by its role, `uploads` or `sources`, and the system's
reason, never its path: the message may reach any caller (`/ready`). So does a disk with less
room than the service keeps free (`UploadSettings.min_free_disk_mb`): uploads are refused before
a full disk could break an ingest, the store or the registry halfway.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from core.errors import StorageError
from core.settings import BYTES_PER_MB

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


def check_writable(
    folder: Path, role: str, *, min_free_mb: float = 0.0, incoming_bytes: int = 0
) -> None:
    """Create `folder` if needed, write and remove a probe file in it, and check its disk's room.

    Raises:
        StorageError: the folder cannot be created or written, or its disk would have less than
            `min_free_mb` MB free after `incoming_bytes` more.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".probe-"):
            pass
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        raise storage_error(role, exc) from exc
    check_room(role, free, min_free_mb, incoming_bytes=incoming_bytes)


def check_room(role: str, free_bytes: int, min_free_mb: float, *, incoming_bytes: int = 0) -> None:
    """Raise unless `incoming_bytes` more still leave `min_free_mb` MB free on the disk.

    Raises:
        StorageError: they would not (the message gives the room in MB, never a path).
    """
    if free_bytes - incoming_bytes >= min_free_mb * BYTES_PER_MB:
        return
    free = f"the disk of {FOLDER_ROLES[role]} has {free_bytes / BYTES_PER_MB:,.0f} MB free"
    keep = f"{min_free_mb:,.0f} MB the service keeps free (BLOK_UPLOAD__MIN_FREE_DISK_MB)"
    if incoming_bytes:
        incoming = f"{incoming_bytes / BYTES_PER_MB:,.0f} MB"
        reason = f"{free}, and {incoming} more would leave less than the {keep}"
    else:
        reason = f"{free}, less than the {keep}"
    raise StorageError(
        f"{reason}. Free room on the disk or move the data directory to a larger one."
    )
