"""`blok backup` while `blok serve` runs (the service makes it), then `blok restore` elsewhere.

A real service in a subprocess and the real CLI: without a key the command says what to do, an
office key is refused (backups are the admin's), an admin key gets a complete backup, and the
restored data directory lists the same documents as the original (that its searches answer
alike is `tests/ingest/test_backup.py`'s).
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from ingest.backup import verify_backup
from ingest.runner import run_ingest
from tests.blok.test_ingest_handoff import (
    BERICHT,
    PROTOKOLL,
    blok,
    environment,
    free_port,
    run,
    wait_for_health,
)
from tests.support.helpers import make_settings

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_backup_of_a_running_service_and_restore(tmp_path: Path) -> None:
    data_dir, corpus = tmp_path / "data", tmp_path / "korpus"
    corpus.mkdir()
    (corpus / "protokoll.md").write_text(PROTOKOLL, encoding="utf-8")
    (corpus / "bericht.md").write_text(BERICHT, encoding="utf-8")
    assert run_ingest(make_settings(data_dir), [corpus]).count("indexed") == 2
    listing = ["documents", "list", "--json"]
    before = run(blok(data_dir, *listing))
    assert before.returncode == 0 and "Eulenburg" in before.stdout, before.stderr
    admin = run(blok(data_dir, "api-keys", "create", "sicherung", "--role", "admin"))
    office = run(blok(data_dir, "api-keys", "create", "buero", "--role", "office"))
    admin_key, office_key = admin.stdout.split()[-1], office.stdout.split()[-1]

    port = free_port()
    service = subprocess.Popen(
        blok(data_dir, "serve", "--port", str(port)),
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    target = tmp_path / "sicherung"
    try:
        wait_for_health(f"http://127.0.0.1:{port}", service)
        refused = run(blok(data_dir, "backup", str(target)))
        assert refused.returncode == 2 and "admin API key" in refused.stderr
        forbidden = run(blok(data_dir, "backup", str(target), "--api-key", office_key))
        assert forbidden.returncode == 1 and not target.exists(), forbidden.stderr
        made = run(blok(data_dir, "backup", str(target)), BLOK_API_KEY=admin_key)
        assert made.returncode == 0, made.stderr
        assert "2 documents (2 indexed)" in made.stdout
    finally:
        service.send_signal(signal.SIGINT)
        service.wait(timeout=120)
    assert verify_backup(target).documents == {"indexed": 2}
    assert list((data_dir / "backups").iterdir()) == []  # moved, not copied

    restored = tmp_path / "wiederhergestellt"
    done = run(blok(restored, "restore", str(target)))
    assert done.returncode == 0 and "restored 2 documents" in done.stdout, done.stderr
    assert run(blok(restored, *listing)).stdout == before.stdout
    again = run(blok(restored, "restore", str(target)))
    assert again.returncode == 1 and "not empty" in again.stderr
