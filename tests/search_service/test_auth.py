"""Sign-in, tokens, API keys and account changes, through the real app and registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.accounts import AccountStore
from core.errors import TooManyRequestsError
from core.persistence.registry import Registry
from search_service.app import create_app
from search_service.rate_limits import RateLimiter
from tests.search_service.test_api import assert_error_shape
from tests.support.helpers import TEST_PASSWORD, answer_body, context_of, make_settings, sign_in
from tests.support.worlds import GENERIC_QUERY, LeakWorld


def accounts_of(world: LeakWorld) -> AccountStore:
    return context_of(world.client).accounts


def visible_stems(
    world: LeakWorld, headers: dict[str, str], query: str = GENERIC_QUERY
) -> set[str]:
    response = world.client.post("/v1/search", json={"query": query, "top_k": 50}, headers=headers)
    assert response.status_code == 200, response.text
    by_id = {document_id: stem for stem, document_id in world.document_ids.items()}
    return {by_id[hit["document_id"]] for hit in response.json()["results"]}


@pytest.fixture
def limiter(access_world: LeakWorld) -> Iterator[RateLimiter]:
    signin_limiter: RateLimiter = access_world.client.app.state.signin_limiter  # type: ignore[attr-defined]
    signin_limiter.clear()
    yield signin_limiter
    signin_limiter.clear()


@pytest.mark.model
def test_sign_in_returns_an_expiring_token_and_me_describes_the_caller(
    access_world: LeakWorld,
) -> None:
    accounts_of(access_world).create_account(
        "anna", roles=["reader"], rings=["VR 3", "vr1"], password=TEST_PASSWORD
    )
    response = access_world.client.post(
        "/v1/auth/token", json={"name": "ANNA", "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == access_world.settings.access.token_ttl_minutes * 60
    expires_at = dt.datetime.fromisoformat(body["expires_at"])
    assert expires_at > dt.datetime.now(dt.UTC)
    me = access_world.client.get(
        "/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json() == {
        "name": "anna",
        "kind": "account",
        "roles": ["reader"],
        "rings": ["vr1", "vr3"],
    }
    assert access_world.client.get("/v1/auth/me").json()["kind"] == "anonymous"


@pytest.mark.model
def test_wrong_passwords_are_rejected_and_repeated_failures_get_429(
    access_world: LeakWorld, limiter: RateLimiter
) -> None:
    accounts_of(access_world).create_account(
        "bernd", roles=["reader"], rings=[], password=TEST_PASSWORD
    )
    wrong = {"name": "bernd", "password": "falsches-passwort"}
    unknown = access_world.client.post(
        "/v1/auth/token", json={"name": "niemand", "password": "falsches-passwort"}
    )
    assert unknown.status_code == 401
    limiter.clear()  # the unknown name counted against this client's address too
    for _ in range(limiter.limit):
        response = access_world.client.post("/v1/auth/token", json=wrong)
        assert response.status_code == 401
        assert_error_shape(response.json(), "unauthorized")
        assert answer_body(response) == answer_body(unknown)  # no hint which was wrong
    for body in (wrong, {"name": "bernd", "password": TEST_PASSWORD}):
        blocked = access_world.client.post("/v1/auth/token", json=body)
        assert blocked.status_code == 429
        assert_error_shape(blocked.json(), "too_many_requests")
        assert int(blocked.headers["retry-after"]) >= 1
    limiter.clear()
    sign_in(access_world.client, "bernd", TEST_PASSWORD)


def test_the_limiter_forgets_failures_after_the_window(registry_location: Path | str) -> None:
    now = [1000.0]
    registry = Registry(registry_location)
    limiter = RateLimiter(
        registry.rate_events,
        bucket="test",
        limit=2,
        window_seconds=60,
        message="Too many events.",
        clock=lambda: now[0],
    )
    try:
        limiter.record(["name:x", "address:a"])
        now[0] += 10
        limiter.record(["name:x", "address:a"])
        with pytest.raises(TooManyRequestsError, match="Too many") as refused:
            limiter.check(["name:x"])
        assert refused.value.retry_after_seconds == 50
        limiter.check(["name:y"])
        now[0] += 51  # the first event left the window
        limiter.check(["name:x", "address:a"])
        limiter.record(["name:x"])
        limiter.reset("name:x")
        limiter.check(["name:x"])
    finally:
        registry.close()


def test_replicas_on_one_registry_share_their_limits(registry_location: Path | str) -> None:
    """Two service processes (two registries opened on one database) count together."""
    replicas = [Registry(registry_location), Registry(registry_location)]
    limiters = [
        RateLimiter(
            replica.rate_events, bucket="signin", limit=3, window_seconds=60, message="Zu viele."
        )
        for replica in replicas
    ]
    other = RateLimiter(
        replicas[0].rate_events, bucket="feedback", limit=3, window_seconds=60, message="x"
    )
    try:
        limiters[0].record(["address:a"])
        limiters[1].record(["address:a"])
        limiters[0].check(["address:a"])
        limiters[1].record(["address:a"])
        for limiter in limiters:
            with pytest.raises(TooManyRequestsError):
                limiter.check(["address:a"])
        other.check(["address:a"])  # another limiter's bucket
        limiters[1].clear()
        limiters[0].check(["address:a"])
    finally:
        for replica in replicas:
            replica.close()


@pytest.mark.model
def test_a_disabled_account_stops_working_at_once(access_world: LeakWorld) -> None:
    accounts = accounts_of(access_world)
    accounts.create_account("carla", roles=["office"], rings=[], password=TEST_PASSWORD)
    headers = sign_in(access_world.client, "carla", TEST_PASSWORD)
    assert access_world.client.get("/v1/auth/me", headers=headers).status_code == 200
    accounts.set_active("carla", False)
    for method, path, body in (
        ("GET", "/v1/auth/me", None),
        ("POST", "/v1/search", {"query": GENERIC_QUERY}),
        ("POST", "/v1/ask", {"query": GENERIC_QUERY}),
        ("GET", f"/v1/documents/{access_world.document_ids['oeffentlich']}/file", None),
    ):
        response = access_world.client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, path
        assert_error_shape(response.json(), "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"
    refused = access_world.client.post(
        "/v1/auth/token", json={"name": "carla", "password": TEST_PASSWORD}
    )
    assert refused.status_code == 401
    accounts.set_active("carla", True)
    assert access_world.client.get("/v1/auth/me", headers=headers).status_code == 401
    sign_in(access_world.client, "carla", TEST_PASSWORD)


@pytest.mark.model
def test_ring_changes_apply_to_the_next_request(access_world: LeakWorld) -> None:
    accounts = accounts_of(access_world)
    accounts.create_account("dora", roles=["reader"], rings=[], password=TEST_PASSWORD)
    headers = sign_in(access_world.client, "dora", TEST_PASSWORD)
    assert "ring-zwei" not in visible_stems(access_world, headers)
    accounts.set_rings("dora", ["vr2"])
    assert {"ring-zwei", "ring-eins-zwei"} <= visible_stems(access_world, headers)
    accounts.set_rings("dora", [])
    assert not {"ring-zwei", "ring-eins-zwei"} & visible_stems(access_world, headers)


@pytest.mark.model
def test_expired_invalid_and_signed_out_tokens_are_refused(access_world: LeakWorld) -> None:
    accounts = accounts_of(access_world)
    account = accounts.create_account("emil", roles=["reader"], rings=[], password=TEST_PASSWORD)
    expired = accounts.issue_token(account, dt.timedelta(seconds=-1))
    headers = sign_in(access_world.client, "emil", TEST_PASSWORD)
    for bad in (
        {"Authorization": f"Bearer {expired.token}"},
        {"Authorization": "Bearer erfunden"},
        {"Authorization": "Basic ZW1pbDpwYXNz"},
        {"Authorization": "Bearer"},
        {"X-API-Key": "blok_erfunden"},
        {**headers, "X-API-Key": "blok_erfunden"},
    ):
        response = access_world.client.post(
            "/v1/search", json={"query": GENERIC_QUERY}, headers=bad
        )
        assert response.status_code == 401, bad
        assert_error_shape(response.json(), "unauthorized")
    assert access_world.client.delete("/v1/auth/token", headers=headers).status_code == 204
    assert access_world.client.get("/v1/auth/me", headers=headers).status_code == 401


@pytest.mark.model
def test_a_new_password_ends_the_sessions(access_world: LeakWorld) -> None:
    accounts = accounts_of(access_world)
    accounts.create_account("frida", roles=["reader"], rings=[], password=TEST_PASSWORD)
    headers = sign_in(access_world.client, "frida", TEST_PASSWORD)
    accounts.set_password("frida", "ein-ganz-neues-passwort")
    assert access_world.client.get("/v1/auth/me", headers=headers).status_code == 401
    sign_in(access_world.client, "frida", "ein-ganz-neues-passwort")


@pytest.mark.model
def test_admins_manage_api_keys_and_a_revoked_key_stops_working(
    access_world: LeakWorld,
) -> None:
    call = access_world.call
    new_key = {"name": "intranet", "roles": ["reader"], "rings": ["vr1"]}
    assert call("anonymous", "POST", "/v1/api-keys", json=new_key).status_code == 401
    forbidden = call("buero", "POST", "/v1/api-keys", json=new_key)
    assert forbidden.status_code == 403
    assert_error_shape(forbidden.json(), "forbidden")
    created = call("admin", "POST", "/v1/api-keys", json=new_key)
    assert created.status_code == 201
    key: dict[str, Any] = created.json()
    assert key["key"].startswith("blok_") and key["rings"] == ["vr1"]
    listed = call("admin", "GET", "/v1/api-keys").json()["api_keys"]
    assert any(entry["key_id"] == key["key_id"] for entry in listed)
    assert key["key"] not in str(listed)
    headers = {"X-API-Key": key["key"]}
    assert "ring-eins" in visible_stems(access_world, headers)
    revoked = call("admin", "DELETE", f"/v1/api-keys/{key['key_id']}")
    assert revoked.json()["revoked_at"]
    response = access_world.client.post(
        "/v1/search", json={"query": GENERIC_QUERY}, headers=headers
    )
    assert response.status_code == 401


@pytest.mark.model
def test_responses_carry_security_headers_and_no_cors_by_default(
    access_world: LeakWorld,
) -> None:
    origin = {"Origin": "https://fremd.example"}
    for response in (
        access_world.client.get("/health", headers=origin),
        access_world.client.post("/v1/search", json={}, headers=origin),
        access_world.client.get("/v1/documents/0000000000000000/file"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "access-control-allow-origin" not in response.headers
    assert access_world.client.get("/v1/auth/me").headers["cache-control"] == "no-store"


def test_cors_answers_only_the_configured_origins(tmp_path: Any) -> None:
    settings = make_settings(tmp_path, server={"cors_origins": ["https://intranet.example"]})
    client = TestClient(create_app(settings))  # no lifespan: /health needs no context
    preflight = {"Access-Control-Request-Method": "POST"}
    allowed = client.options(
        "/v1/search", headers={"Origin": "https://intranet.example", **preflight}
    )
    assert allowed.headers["access-control-allow-origin"] == "https://intranet.example"
    other = client.get("/health", headers={"Origin": "https://fremd.example"})
    assert "access-control-allow-origin" not in other.headers
