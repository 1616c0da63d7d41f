"""Audit log, query log, feedback and knowledge gaps, through the real app, CLI and registry."""

from __future__ import annotations

import getpass
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from blok.cli import main
from core.persistence.query_log import normalize_question
from core.persistence.registry import Registry
from core.persistence.retention import LogRetention
from search_service.rate_limits import RateLimiter
from search_service.schemas import AskRequest, SearchRequest
from tests.search_service.test_api import assert_error_shape
from tests.support.helpers import ask_response, context_of, search_response
from tests.support.registry_sql import sql_execute, sql_rows
from tests.support.worlds import ACCOUNTS, GENERIC_QUERY, LeakWorld

ADMIN_VIEWS = ("/v1/admin/audit", "/v1/admin/queries", "/v1/admin/gaps")
NOWHERE = {"ring": "vr9"}  # no document of the access corpus is in ring 9: nothing is found


def query_log_rows(world: LeakWorld) -> list[dict[str, Any]]:
    return sql_rows(context_of(world.client).registry, "SELECT * FROM query_log ORDER BY id")


def gaps_by_question(world: LeakWorld) -> dict[str, dict[str, Any]]:
    response = world.call("buero", "GET", "/v1/admin/gaps", params={"limit": 500})
    assert response.status_code == 200, response.text
    return {gap["question"]: gap for gap in response.json()["gaps"]}


@pytest.mark.model
def test_the_office_views_need_the_office_or_admin_role(access_world: LeakWorld) -> None:
    for path in ADMIN_VIEWS:
        anonymous = access_world.call("anonymous", "GET", path)
        assert anonymous.status_code == 401, path
        assert_error_shape(anonymous.json(), "unauthorized")
        for caller in ("leser-vr1", "leser-ohne-ring", "schluessel-vr2"):
            forbidden = access_world.call(caller, "GET", path)
            assert forbidden.status_code == 403, (path, caller)
            assert_error_shape(forbidden.json(), "forbidden")
        for caller in ("buero", "admin"):
            assert access_world.call(caller, "GET", path).status_code == 200, (path, caller)
        bad = access_world.call("buero", "GET", path, params={"limit": 0})
        assert bad.status_code == 422
        assert_error_shape(bad.json(), "invalid_request")


@pytest.mark.model
def test_every_search_and_question_is_logged_with_its_figures(access_world: LeakWorld) -> None:
    before = len(query_log_rows(access_world))
    query = "Wie begleiten Fachkräfte die Arbeitsaufnahme im Projekt?"
    search = access_world.call(
        "leser-vr1", "POST", "/v1/search", json={"query": query, "top_k": 4}
    ).json()
    empty = access_world.call(
        "leser-vr1", "POST", "/v1/search", json={"query": query, "filters": NOWHERE}
    ).json()
    ask = access_world.call("schluessel-vr2", "POST", "/v1/ask", json={"query": query}).json()
    rows = query_log_rows(access_world)[before:]
    assert [row["endpoint"] for row in rows] == ["search", "search", "ask"]
    assert [row["result_count"] for row in rows] == [
        len(search["results"]),
        0,
        len(ask["passages"]),
    ]
    assert rows[0]["result_count"] > 0 and 0 < rows[0]["top_score"] <= 1
    assert empty["results"] == [] and rows[1]["top_score"] is None
    assert json.loads(rows[1]["filters"]) == {"ring": ["vr9"]}
    assert rows[2]["abstained"] == int(ask["abstained"])
    assert ask["answer_id"] == rows[2]["id"]
    assert all(row["query"] == query for row in rows)

    listed = access_world.call("buero", "GET", "/v1/admin/queries", params={"limit": 3}).json()
    assert [entry["id"] for entry in listed["entries"]] == [row["id"] for row in reversed(rows)]
    older = access_world.call(
        "buero", "GET", "/v1/admin/queries", params={"before_id": listed["next_before_id"]}
    ).json()
    assert all(entry["id"] < rows[0]["id"] for entry in older["entries"])


@pytest.mark.model
def test_in_process_searches_and_questions_are_not_logged(access_world: LeakWorld) -> None:
    context = context_of(access_world.client)  # as the CLI and the evaluation call it
    before = len(query_log_rows(access_world))
    search_response(context.searcher, SearchRequest(query=GENERIC_QUERY))
    answer = ask_response(context.searcher, AskRequest(query=GENERIC_QUERY))
    assert answer.answer_id is None and len(query_log_rows(access_world)) == before


@pytest.mark.model
def test_the_query_log_and_feedback_hold_no_identity(access_world: LeakWorld) -> None:
    answer = access_world.call("leser-vr2", "POST", "/v1/ask", json={"query": GENERIC_QUERY})
    access_world.call("schluessel-vr2", "POST", "/v1/search", json={"query": GENERIC_QUERY})
    access_world.call(
        "leser-vr2",
        "POST",
        "/v1/feedback",
        json={"answer_id": answer.json()["answer_id"], "helpful": True, "comment": "gut"},
    )
    registry = context_of(access_world.client).registry
    columns = {row["name"] for row in sql_rows(registry, "PRAGMA table_info(query_log)")}
    assert columns == {
        "id",
        "at",
        "endpoint",
        "query",
        "normalized_query",
        "filters",
        "result_count",
        "top_score",
        "abstained",
    }
    stored = str(sql_rows(registry, "SELECT * FROM query_log")) + str(
        sql_rows(registry, "SELECT * FROM feedback")
    )
    secrets = [value for headers in access_world.headers.values() for value in headers.values()]
    secrets += [value.removeprefix("Bearer ") for value in secrets]
    for identity in [*ACCOUNTS, "schluessel-vr2", "testclient", *secrets]:
        assert identity not in stored, identity


@pytest.mark.model
def test_feedback_is_stored_and_checked(access_world: LeakWorld) -> None:
    question = "Wer bezahlt das Coaching im Projekt Kupferkessel?"
    answer = access_world.call("buero", "POST", "/v1/ask", json={"query": question}).json()
    answer_id = answer["answer_id"]
    sent = {"answer_id": answer_id, "helpful": False, "comment": "  Die Kosten fehlen.  "}
    response = access_world.call("anonymous", "POST", "/v1/feedback", json=sent)
    assert response.status_code == 201, response.text
    assert response.json()["answer_id"] == answer_id and response.json()["helpful"] is False
    stored = context_of(access_world.client).query_log.feedback(answer_id)
    assert [(item.helpful, item.comment) for item in stored] == [(False, "Die Kosten fehlen.")]
    listed = access_world.call("buero", "GET", "/v1/admin/queries").json()["entries"]
    [shown] = [entry for entry in listed if entry["id"] == answer_id]
    assert [(item["helpful"], item["comment"]) for item in shown["feedback"]] == [
        (False, "Die Kosten fehlen.")
    ]

    unknown = access_world.call(
        "buero", "POST", "/v1/feedback", json={"answer_id": 10**9, "helpful": True}
    )
    assert unknown.status_code == 404
    assert_error_shape(unknown.json(), "not_found")
    access_world.call("buero", "POST", "/v1/search", json={"query": question})
    search_id = query_log_rows(access_world)[-1]["id"]  # a search is no answer
    assert (
        access_world.call(
            "buero", "POST", "/v1/feedback", json={"answer_id": search_id, "helpful": True}
        ).status_code
        == 404
    )
    for bad in (
        {"answer_id": answer_id, "helpful": "ja"},
        {"answer_id": answer_id},
        {"helpful": True},
        {"answer_id": 0, "helpful": True},
        {"answer_id": answer_id, "helpful": True, "comment": "x" * 2001},
        {"answer_id": answer_id, "helpful": True, "name": "anna"},
    ):
        invalid = access_world.call("buero", "POST", "/v1/feedback", json=bad)
        assert invalid.status_code == 422, bad
        assert_error_shape(invalid.json(), "invalid_request")
    assert len(context_of(access_world.client).query_log.feedback(answer_id)) == 1


@pytest.mark.model
def test_gaps_group_weak_questions_most_frequent_first(
    access_world: LeakWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    frequent = "Gibt es Zuschüsse für Fahrräder in VR 9?"
    for wording in (frequent, "  gibt es ZUSCHÜSSE für   Fahrräder in VR 9?", frequent.upper()):
        access_world.call(
            "leser-vr1", "POST", "/v1/search", json={"query": wording, "filters": NOWHERE}
        )
    rare = "Welche Sprachkurse bietet VR 9 an?"
    asked = access_world.call(
        "leser-vr1", "POST", "/v1/ask", json={"query": rare, "filters": NOWHERE}
    ).json()
    assert asked["abstained"] is True
    access_world.call(
        "leser-vr1",
        "POST",
        "/v1/feedback",
        json={"answer_id": asked["answer_id"], "helpful": False},
    )
    gaps = gaps_by_question(access_world)
    first, second = normalize_question(frequent), normalize_question(rare)
    assert gaps[first]["count"] == 3 and gaps[first]["abstained"] == 0
    assert gaps[second] | {"last_asked": None} == {
        "question": second,
        "count": 1,
        "last_asked": None,
        "abstained": 1,
        "not_helpful": 1,
    }
    order = list(gaps)
    assert order.index(first) < order.index(second)

    strong = "Wie integriert das Jobcenter Zitronenfalter Langzeitarbeitslose?"
    access_world.call("buero", "POST", "/v1/search", json={"query": strong})
    assert normalize_question(strong) not in gaps_by_question(access_world)
    context = context_of(access_world.client)
    monkeypatch.setattr(context.settings.answer, "weak_score", 1.0)  # every passage is weak now
    response = access_world.call("buero", "GET", "/v1/admin/gaps", params={"limit": 500})
    assert response.json()["weak_score"] == 1.0
    assert normalize_question(strong) in {gap["question"] for gap in response.json()["gaps"]}


@pytest.mark.model
def test_api_key_actions_over_the_api_are_audited_without_the_key(
    access_world: LeakWorld,
) -> None:
    created = access_world.call(
        "admin", "POST", "/v1/api-keys", json={"name": "wiki", "roles": ["reader"]}
    ).json()
    access_world.call("admin", "DELETE", f"/v1/api-keys/{created['key_id']}")
    page = access_world.call("buero", "GET", "/v1/admin/audit", params={"limit": 1}).json()
    revoked = page["entries"][0]
    assert revoked["action"] == "api_key.revoke" and revoked["actor"] == "account:admin"
    assert revoked["target"] == created["key_id"]
    assert revoked["before"]["revoked_at"] is None and revoked["after"]["revoked_at"]
    older = access_world.call(
        "buero", "GET", "/v1/admin/audit", params={"limit": 1, "before_id": page["next_before_id"]}
    ).json()["entries"][0]
    assert older["action"] == "api_key.create" and older["before"] is None
    assert older["after"] == {"name": "wiki", "roles": ["reader"], "rings": [], "revoked_at": None}
    everything = access_world.call("admin", "GET", "/v1/admin/audit", params={"limit": 500})
    assert created["key"] not in everything.text


def test_account_commands_are_audited_without_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = ["--data-dir", str(tmp_path)]
    assert main([*base, "users", "add", "ida", "--role", "reader", "--ring", "vr3"]) == 0
    password = capsys.readouterr().out.strip().rsplit(" ", 1)[1]
    assert main([*base, "users", "set-rings", "ida", "vr5"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("ein-neues-langes-passwort\n"))
    assert main([*base, "users", "reset-password", "ida", "--password-stdin"]) == 0
    assert main([*base, "users", "disable", "ida"]) == 0
    assert main([*base, "users", "enable", "ida"]) == 0
    assert main([*base, "users", "ensure-admin"]) == 0
    admin_password = capsys.readouterr().out.split("(shown only now): ", 1)[1].split()[0]
    assert main([*base, "api-keys", "create", "wiki", "--role", "reader"]) == 0
    printed = capsys.readouterr().out
    key_id, key = printed.split()[1], printed.rsplit(" ", 1)[1].strip()
    assert main([*base, "api-keys", "revoke", key_id]) == 0
    capsys.readouterr()

    assert main([*base, "audit", "--json", "--limit", "100"]) == 0
    shown = capsys.readouterr().out
    entries = list(reversed(json.loads(shown)))
    assert [(entry["action"], entry["target"]) for entry in entries] == [
        ("account.create", "ida"),
        ("account.set_rings", "ida"),
        ("account.reset_password", "ida"),
        ("account.disable", "ida"),
        ("account.enable", "ida"),
        ("account.create", "admin"),
        ("api_key.create", key_id),
        ("api_key.revoke", key_id),
    ]
    assert {entry["actor"] for entry in entries} == {f"cli:{getpass.getuser()}"}
    assert entries[0]["before"] is None
    assert entries[0]["after"] == {"roles": ["reader"], "rings": ["vr3"], "active": True}
    assert (entries[1]["before"]["rings"], entries[1]["after"]["rings"]) == (["vr3"], ["vr5"])
    assert entries[2]["after"]["note"] == "password changed, sessions ended"
    assert (entries[3]["after"]["active"], entries[4]["after"]["active"]) == (False, True)
    assert entries[5]["after"]["roles"] == ["admin"]
    connection = sqlite3.connect(tmp_path / "blok.db")
    hashes = [row[0] for row in connection.execute("SELECT password_hash FROM accounts")]
    hashes += [row[0] for row in connection.execute("SELECT key_hash FROM api_keys")]
    connection.close()
    for secret in (password, "ein-neues-langes-passwort", admin_password, key, *hashes):
        assert secret not in shown
    assert main([*base, "audit", "--limit", "1"]) == 0
    assert "api_key.revoke" in capsys.readouterr().out


def test_the_audit_log_refuses_secrets_and_pages(registry_location: Path | str) -> None:
    registry = Registry(registry_location)
    try:
        audit = registry.audit
        with pytest.raises(ValueError, match="secrets"):
            audit.record(actor="system", action="x", target="y", after={"password_hash": "h"})
        for n in range(5):
            audit.record(actor="system", action="test", target=str(n))
        first = audit.entries(limit=2)
        assert [entry.target for entry in first] == ["4", "3"]
        rest = audit.entries(limit=10, before_id=first[-1].id)
        assert [entry.target for entry in rest] == ["2", "1", "0"]
    finally:
        registry.close()


def test_old_knowledge_gaps_move_into_the_query_log(tmp_path: Path) -> None:
    path = tmp_path / "blok.db"
    with sqlite3.connect(path) as old_release:  # a registry as a release before the query log
        old_release.execute(
            "CREATE TABLE knowledge_gaps (id INTEGER PRIMARY KEY AUTOINCREMENT, asked_at TEXT "
            "NOT NULL, query TEXT NOT NULL, filters TEXT NOT NULL, top_score REAL NOT NULL);"
        )
        for query in ("Wohngeld  für Studierende?", "wohngeld für studierende?"):
            old_release.execute(
                "INSERT INTO knowledge_gaps (asked_at, query, filters, top_score) "
                "VALUES ('2024-01-02T03:04:05+00:00', ?, '{}', 0.5)",
                (query,),
            )
    old_release.close()
    registry = Registry(path)
    try:
        log = registry.query_log
        old = "SELECT 1 FROM sqlite_master WHERE name = 'knowledge_gaps'"
        assert not sql_rows(registry, old)
        [gap] = log.gaps(weak_score=0.0)
        assert (gap.question, gap.count, gap.abstained) == ("wohngeld für studierende?", 2, 2)
    finally:
        registry.close()
    registry = Registry(path)
    try:
        assert registry.query_log.gaps(weak_score=0.0) == [gap]  # migrated once
    finally:
        registry.close()


@pytest.mark.model
def test_feedback_is_rate_limited_per_address(access_world: LeakWorld) -> None:
    app = access_world.client.app
    question = "Wer bezahlt das Coaching im Projekt Kupferkessel?"
    answer_id = access_world.call("anonymous", "POST", "/v1/ask", json={"query": question}).json()[
        "answer_id"
    ]
    saved = app.state.feedback_limiter  # type: ignore[attr-defined]
    app.state.feedback_limiter = RateLimiter(  # type: ignore[attr-defined]
        saved.events, bucket="feedback-test", limit=2, window_seconds=3600, message=saved.message
    )
    try:
        sent = {"answer_id": answer_id, "helpful": True}
        for _ in range(2):
            accepted = access_world.call("anonymous", "POST", "/v1/feedback", json=sent)
            assert accepted.status_code == 201
        refused = access_world.call("anonymous", "POST", "/v1/feedback", json=sent)
        assert refused.status_code == 429
        assert_error_shape(refused.json(), "too_many_requests")
        assert int(refused.headers["Retry-After"]) > 0
        # Signing in does not lift the limit of the address.
        assert access_world.call("buero", "POST", "/v1/feedback", json=sent).status_code == 429
    finally:
        app.state.feedback_limiter = saved  # type: ignore[attr-defined]
    assert len(context_of(access_world.client).query_log.feedback(answer_id)) == 2


def test_entries_past_their_retention_are_pruned(registry_location: Path | str) -> None:
    registry = Registry(registry_location)
    query_log, audit = registry.query_log, registry.audit
    old_id = query_log.record("ask", "Alte Frage?", {}, result_count=1, top_score=0.9)
    query_log.add_feedback(old_id, helpful=False)
    new_id = query_log.record("ask", "Neue Frage?", {}, result_count=1, top_score=0.9)
    audit.record(actor="system", action="account.add", target="alt")
    audit.record(actor="system", action="account.add", target="neu")
    long_ago = "2022-01-01T00:00:00+00:00"
    sql_execute(registry, "UPDATE query_log SET at = ? WHERE id = ?", (long_ago, old_id))
    sql_execute(registry, "UPDATE audit_log SET at = ? WHERE target = 'alt'", (long_ago,))
    now = [0.0]
    retention = LogRetention(registry, query_days=365, audit_days=1095, clock=lambda: now[0])

    retention.prune_if_due()
    assert [row["id"] for row in sql_rows(registry, "SELECT id FROM query_log")] == [new_id]
    assert sql_rows(registry, "SELECT * FROM feedback") == []
    assert [entry.target for entry in audit.entries()] == ["neu"]

    sql_execute(registry, "UPDATE query_log SET at = ?", (long_ago,))
    now[0] += 3600  # within the day: not pruned again
    retention.prune_if_due()
    assert len(sql_rows(registry, "SELECT id FROM query_log")) == 1
    now[0] += 24 * 3600
    retention.prune_if_due()
    assert sql_rows(registry, "SELECT id FROM query_log") == []
    keep_all = LogRetention(registry, query_days=0, audit_days=0).prune()
    assert (keep_all.queries, keep_all.audit_entries) == (0, 0)
    assert [entry.target for entry in audit.entries()] == ["neu"]
    registry.close()
