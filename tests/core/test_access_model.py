"""The access model without a store: tokens per visibility, conditions per caller, accounts, CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from blok.cli import main
from core.access import ANONYMOUS, SYSTEM, Principal, Role, access_conditions, may_see
from core.accounts import AccountStore
from core.errors import ConflictError, InvalidRequestError
from core.filters import FieldMatch
from core.metadata import DocumentMetadata, visibility_tokens
from core.persistence.registry import Registry
from core.settings import Settings
from ingest.metadata_sources import load_metadata
from tests.support.registry_sql import sql_rows

READER_VR3 = Principal("r", "account", frozenset({Role.READER}), frozenset({"vr3"}))


def test_visibility_is_stored_as_access_tokens() -> None:
    assert visibility_tokens("public") == ["public"]
    assert visibility_tokens("ring:vr3,vr5") == ["ring:vr3", "ring:vr5"]
    metadata = DocumentMetadata(visibility="ring: VR 5, vr3, vr5")
    assert metadata.visibility == "ring:vr5,vr3"
    assert metadata.payload_fields()["visibility"] == ["ring:vr5", "ring:vr3"]


@pytest.mark.parametrize(
    ("principal", "conditions"),
    [
        (ANONYMOUS, [FieldMatch("visibility", ("public",))]),
        (READER_VR3, [FieldMatch("visibility", ("programme", "public", "ring:vr3"))]),
        (Principal("o", "account", frozenset({Role.OFFICE})), []),
        (Principal("a", "api_key", frozenset({Role.ADMIN})), []),
        (SYSTEM, []),
        # Rings without the reader role grant nothing beyond public.
        (
            Principal("x", "account", frozenset(), frozenset({"vr3"})),
            [FieldMatch("visibility", ("public",))],
        ),
    ],
)
def test_access_conditions_follow_roles_and_rings(
    principal: Principal, conditions: list[FieldMatch]
) -> None:
    assert access_conditions(principal) == conditions


def test_may_see_agrees_with_the_conditions() -> None:
    assert may_see(ANONYMOUS, "public") and not may_see(ANONYMOUS, "programme")
    assert may_see(READER_VR3, "ring:vr1,vr3") and not may_see(READER_VR3, "ring:vr1")
    assert not may_see(READER_VR3, "office") and may_see(SYSTEM, "office")


def test_default_visibility_applies_only_where_the_sidecar_names_none(tmp_path: Path) -> None:
    named = tmp_path / "a.md"
    named.write_text("# A", encoding="utf-8")
    (tmp_path / "a.meta.yaml").write_text("visibility: public\n", encoding="utf-8")
    unnamed = tmp_path / "b.md"
    unnamed.write_text("# B", encoding="utf-8")
    assert load_metadata(named, "office").visibility == "public"
    assert load_metadata(unnamed, "ring:VR 2").visibility == "ring:vr2"
    assert load_metadata(unnamed).visibility == "programme"
    with pytest.raises(ValidationError):
        Settings(access={"default_visibility": "geheim"})


def test_accounts_keep_only_hashes_and_check_their_input(registry_location: Path | str) -> None:
    registry = Registry(registry_location)
    accounts = AccountStore(registry)
    accounts.create_account("Greta", roles=["reader"], rings=["VR 4"], password="x" * 12)
    stored = sql_rows(registry, "SELECT password_hash FROM accounts")[0]["password_hash"]
    assert stored.startswith("$argon2id$") and "x" * 12 not in stored
    assert accounts.verify_password("greta", "x" * 12) is not None
    assert accounts.verify_password("greta", "y" * 12) is None
    assert accounts.verify_password("niemand", "x" * 12) is None
    with pytest.raises(ConflictError):
        accounts.create_account("GRETA", roles=["reader"], rings=[], password="x" * 12)
    for name, roles, rings, password in (
        ("hans", ["reader"], [], "kurz"),
        ("hans", ["chef"], [], "x" * 12),
        ("hans", [], [], "x" * 12),
        ("hans", ["reader"], ["Ring A"], "x" * 12),
        ("hans meier", ["reader"], [], "x" * 12),
    ):
        with pytest.raises(InvalidRequestError):
            accounts.create_account(name, roles=roles, rings=rings, password=password)
    _, key = accounts.create_api_key("intranet", roles=["reader"], rings=[])
    assert key not in str(sql_rows(registry, "SELECT * FROM api_keys"))
    registry.close()


def test_users_commands(
    tmp_path: Path,
    registry_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BLOK_REGISTRY__URL", registry_url)
    base = ["--data-dir", str(tmp_path)]
    assert main([*base, "users", "ensure-admin"]) == 0
    first = capsys.readouterr().out
    assert "password (shown only now)" in first
    assert main([*base, "users", "ensure-admin"]) == 0
    assert "exists" in capsys.readouterr().out
    assert main([*base, "users", "add", "ida", "--role", "reader", "--ring", "vr3"]) == 0
    password = capsys.readouterr().out.strip().rsplit(" ", 1)[1]
    assert main([*base, "users", "set-rings", "ida", "vr5", "VR 7"]) == 0
    assert main([*base, "users", "disable", "ida"]) == 0
    assert main([*base, "users", "list"]) == 0
    listing = capsys.readouterr().out
    assert "ida\troles=reader\trings=vr5,vr7\tdisabled" in listing
    assert "argon2" not in listing and password not in listing
    assert main([*base, "users", "add", "ida", "--role", "reader"]) == 1
    assert main([*base, "api-keys", "create", "wiki", "--role", "reader"]) == 0
    key_id = capsys.readouterr().out.split()[1]
    assert main([*base, "api-keys", "revoke", key_id]) == 0
    assert main([*base, "api-keys", "list"]) == 0
    assert "revoked=" in capsys.readouterr().out
    registry = Registry.open(Settings(data_dir=tmp_path))
    accounts = AccountStore(registry)
    admin_password = first.split("(shown only now): ", 1)[1].split()[0]
    assert accounts.verify_password("admin", admin_password) is not None
    registry.close()
