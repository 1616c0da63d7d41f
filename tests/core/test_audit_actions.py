"""Audit actions: one word per action, and entries of earlier releases read in today's words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blok.cli import main
from core.audit_actions import AuditAction, stored_action
from core.persistence.registry import Registry
from core.settings import Settings
from tests.support.registry_sql import sql_execute

STATE = json.dumps({"title": "Protokoll VR 3", "status": "indexed"})
WITHDRAWN = json.dumps({"title": "Protokoll VR 3", "status": "withdrawn"})
# Rows as earlier releases wrote them: a prune deletion was recorded as `document.withdraw`
# without a state after; the office's withdrawal always had one.
OLD_ROWS = [
    ("cli:anna", "document.withdraw", "pruned0000000001", STATE, None),
    ("account:buero", "document.withdraw", "hidden0000000001", STATE, WITHDRAWN),
    ("system", "account.add", "alt", None, None),
]


def test_stored_actions_read_in_todays_words() -> None:
    assert stored_action("document.withdraw", None) is AuditAction.DOCUMENT_DELETE
    assert stored_action("document.withdraw", {"status": "withdrawn"}) is (
        AuditAction.DOCUMENT_WITHDRAW
    )
    assert stored_action("document.delete", None) is AuditAction.DOCUMENT_DELETE
    assert stored_action("something.else", None) == "something.else"


def test_entries_of_earlier_releases_are_listed(
    tmp_path: Path,
    registry_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BLOK_REGISTRY__URL", registry_url)
    registry = Registry.open(Settings(data_dir=tmp_path / "data"))
    try:
        for row in OLD_ROWS:
            sql_execute(
                registry,
                "INSERT INTO audit_log (at, actor, action, target, before, after) "
                "VALUES ('2025-01-01T00:00:00+00:00', ?, ?, ?, ?, ?)",
                row,
            )
        entries = registry.audit.entries()
    finally:
        registry.close()
    assert [(entry.action, entry.target) for entry in entries] == [
        ("account.add", "alt"),
        (AuditAction.DOCUMENT_WITHDRAW, "hidden0000000001"),
        (AuditAction.DOCUMENT_DELETE, "pruned0000000001"),
    ]
    assert main(["--data-dir", str(tmp_path / "data"), "audit", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [entry["action"] for entry in listed] == [
        "account.add",
        "document.withdraw",
        "document.delete",
    ]
    assert main(["--data-dir", str(tmp_path / "data"), "audit"]) == 0
    assert "document.delete" in capsys.readouterr().out
