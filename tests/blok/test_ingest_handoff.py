"""`blok ingest` while `blok serve` runs: a real service in a subprocess, the real CLI.

Without a key the command says what to do (exit 2); with an office key it hands the files to the
service and prints the same report as a local ingest; once the service has stopped, a local
ingest of the same folder finds everything unchanged (the labels are the local paths).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.helpers import MODELS_DIR, PROJECT_ROOT

pytestmark = [pytest.mark.model, pytest.mark.slow]

PROTOKOLL = (
    "# Protokoll Vergleichsring 6\n\n"
    "Das Jobcenter Eulenburg stellte seine Werkstatt für junge Erwachsene vor. "
    "Die Teilnehmenden lernen dort drei Monate lang in kleinen Gruppen. "
    "Zwei Drittel fanden danach eine Ausbildung oder Arbeit.\n"
)
BERICHT = (
    "# Evaluationsbericht Eulenburg\n\n"
    "Die Evaluation der Werkstatt zeigt eine hohe Zufriedenheit der Teilnehmenden. "
    "Betriebe aus der Region bieten Praktika an und übernehmen viele Teilnehmende.\n"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def blok(data_dir: Path, *arguments: str) -> list[str]:
    return [sys.executable, "-m", "blok", "--data-dir", str(data_dir), *arguments]


def environment(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("BLOK_API_KEY", "BLOK_DATA_DIR")
    }
    env.update(
        PYTHONPATH=str(PROJECT_ROOT),
        BLOK_EMBEDDING__MODELS_DIR=str(MODELS_DIR),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HAYSTACK_TELEMETRY_ENABLED="False",
        **extra,
    )
    return env


def run(command: list[str], **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, env=environment(**extra), capture_output=True, text=True, timeout=600
    )


def wait_for_health(url: str, service: subprocess.Popen[str], timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert service.poll() is None, "the service stopped"
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError("the service did not start")


def test_ingest_hands_its_files_to_the_running_service(tmp_path: Path) -> None:
    data_dir, corpus = tmp_path / "data", tmp_path / "korpus"
    (corpus / "vr6").mkdir(parents=True)
    (corpus / "vr6" / "protokoll.md").write_text(PROTOKOLL, encoding="utf-8")
    (corpus / "vr6" / "_manifest.yaml").write_text(
        "defaults:\n  kind: protokoll\n  ring: vr6\n  visibility: ring:vr6\n", encoding="utf-8"
    )
    (corpus / "bericht.md").write_text(BERICHT, encoding="utf-8")
    (corpus / "bericht.meta.yaml").write_text(
        "kind: evaluationsbericht\ndate: 2023-04\ntopics: [Werkstatt]\n", encoding="utf-8"
    )
    (corpus / "falsch.pdf").write_text("kein PDF", encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    service = subprocess.Popen(
        blok(data_dir, "serve", "--port", str(port)),
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        wait_for_health(url, service)
        assert json.loads((data_dir / "service.json").read_text())["url"] == url

        refused = run(blok(data_dir, "ingest", str(corpus), "--no-progress"))
        assert refused.returncode == 2, refused.stderr
        assert url in refused.stderr and "blok api-keys create" in refused.stderr
        assert "stop the service" in refused.stderr
        pruned = run(blok(data_dir, "ingest", str(corpus), "--prune"), BLOK_API_KEY="x")
        assert pruned.returncode == 2 and "--prune" in pruned.stderr
        hidden = (data_dir / "service.json").rename(tmp_path / "service.json")
        locked = run(blok(data_dir, "ingest", str(corpus), "--no-progress"))
        assert locked.returncode == 2 and "open in another process" in locked.stderr
        hidden.rename(data_dir / "service.json")

        created = run(blok(data_dir, "api-keys", "create", "buero-cli", "--role", "office"))
        assert created.returncode == 0, created.stderr
        key = created.stdout.split()[-1]
        reader = run(blok(data_dir, "api-keys", "create", "leser", "--role", "reader"))
        reader_key = reader.stdout.split()[-1]
        forbidden = run(blok(data_dir, "ingest", str(corpus), "--api-key", reader_key))
        assert forbidden.returncode == 1 and "office or admin" in forbidden.stderr

        report_path = tmp_path / "report.json"
        handed = run(
            blok(data_dir, "ingest", str(corpus), "--no-progress", "--report", str(report_path)),
            BLOK_API_KEY=key,
        )
        assert handed.returncode == 3, handed.stderr  # falsch.pdf is skipped
        assert "3 files: 2 indexed, 0 unchanged, 1 skipped" in handed.stdout
        assert "skipped falsch.pdf: [unsupported_format]" in handed.stdout
        report = json.loads(report_path.read_text())
        by_name = {entry["source"]: entry for entry in report["entries"]}
        assert by_name["protokoll.md"]["path"] == str((corpus / "vr6" / "protokoll.md").resolve())

        headers = {"X-API-Key": key}
        body = {"query": "Werkstatt für junge Erwachsene in Eulenburg", "top_k": 5}
        hits = httpx.post(f"{url}/v1/search", json=body, headers=headers).json()["results"]
        protokoll = next(hit for hit in hits if hit["source_name"] == "protokoll.md")
        assert (protokoll["kind"], protokoll["ring"]) == ("protokoll", "vr6")  # from the manifest
        assert protokoll["title"] == "Protokoll Vergleichsring 6"  # inferred on the server

        again = run(blok(data_dir, "ingest", str(corpus), "--no-progress"), BLOK_API_KEY=key)
        assert "3 files: 0 indexed, 2 unchanged, 1 skipped" in again.stdout, again.stderr
    finally:
        service.send_signal(signal.SIGINT)
        service.wait(timeout=120)
    assert not (data_dir / "service.json").exists()
    local = run(blok(data_dir, "ingest", str(corpus), "--no-progress"))
    assert "3 files: 0 indexed, 2 unchanged, 1 skipped" in local.stdout, local.stderr
