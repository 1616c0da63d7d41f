"""Failed sign-ins cannot lock the staff out, and forwarded addresses count only from proxies.

Wrong passwords for a named account limit that account from that address only; unknown names
limit only further unknown names from that address. `X-Forwarded-For` names the client only
when the peer is one of `BLOK_SERVER__FORWARDED_ALLOW_IPS` (none by default), and uvicorn
itself trusts no forwarded header (it would trust 127.0.0.1).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from blok.commands.serve import server_config
from search_service.app import create_app
from search_service.rate_limits import RateLimiter
from tests.support.helpers import TEST_PASSWORD, context_of, make_settings
from tests.support.ui_world import free_port
from tests.support.worlds import LeakWorld

pytestmark = pytest.mark.model

NAME = "carla"
WRONG = {"name": NAME, "password": "falsches-passwort"}
RIGHT = {"name": NAME, "password": TEST_PASSWORD}


@pytest.fixture
def limiter(access_world: LeakWorld) -> Iterator[RateLimiter]:
    """The access world's sign-in limiter, empty before and after the test, and Carla's account."""
    accounts = context_of(access_world.client).accounts
    if accounts.find_account(NAME) is None:
        accounts.create_account(NAME, roles=["office"], rings=[], password=TEST_PASSWORD)
    signin_limiter: RateLimiter = access_world.client.app.state.signin_limiter  # type: ignore[attr-defined]
    signin_limiter.clear()
    yield signin_limiter
    signin_limiter.clear()


def from_address(app: Any, address: str) -> TestClient:
    """A client of the running app (no second start-up) whose requests come from `address`."""
    return TestClient(app, client=(address, 40_000))


def sign_in_status(client: TestClient, body: dict[str, str], **headers: str) -> int:
    return client.post("/v1/auth/token", json=body, headers=headers).status_code


def test_wrong_passwords_lock_the_account_only_from_the_attackers_address(
    access_world: LeakWorld, limiter: RateLimiter
) -> None:
    attacker = from_address(access_world.client.app, "203.0.113.7")
    for _ in range(limiter.limit):
        assert sign_in_status(attacker, WRONG) == 401
    assert sign_in_status(attacker, WRONG) == 429
    assert sign_in_status(attacker, RIGHT) == 429  # the attacker cannot go on guessing
    staff = from_address(access_world.client.app, "198.51.100.20")
    assert sign_in_status(staff, RIGHT) == 200
    assert sign_in_status(staff, WRONG) == 401  # and a typo there counts on its own


def test_unknown_names_limit_only_unknown_names_from_that_address(
    access_world: LeakWorld, limiter: RateLimiter
) -> None:
    shared = from_address(access_world.client.app, "192.0.2.44")  # e.g. one office's NAT
    for n in range(limiter.limit):
        assert sign_in_status(shared, {"name": f"niemand{n}", "password": "x"}) == 401
    assert sign_in_status(shared, {"name": "noch-einer", "password": "x"}) == 429
    assert sign_in_status(shared, WRONG) == 401  # known accounts are not locked from there
    assert sign_in_status(shared, RIGHT) == 200
    elsewhere = from_address(access_world.client.app, "192.0.2.45")
    assert sign_in_status(elsewhere, {"name": "noch-einer", "password": "x"}) == 401


def test_forwarded_addresses_are_ignored_unless_the_peer_is_a_trusted_proxy(
    access_world: LeakWorld, limiter: RateLimiter
) -> None:
    spoofer = from_address(access_world.client.app, "203.0.113.8")
    for n in range(limiter.limit):
        assert sign_in_status(spoofer, WRONG, **{"X-Forwarded-For": f"10.9.9.{n}"}) == 401
    assert sign_in_status(spoofer, WRONG, **{"X-Forwarded-For": "10.9.9.99"}) == 429


def app_behind_proxy(world: LeakWorld, proxies: list[str]) -> FastAPI:
    """An app with trusted proxies on the access world's running context (no second start)."""
    server = world.settings.server.model_copy(update={"forwarded_allow_ips": proxies})
    app = create_app(world.settings.model_copy(update={"server": server}))
    app.state.context = context_of(world.client)
    app.state.signin_limiter = world.client.app.state.signin_limiter  # type: ignore[attr-defined]
    return app


def test_behind_a_trusted_proxy_the_forwarded_client_address_counts(
    access_world: LeakWorld, limiter: RateLimiter
) -> None:
    app = app_behind_proxy(access_world, ["10.0.0.1"])
    proxy = from_address(app, "10.0.0.1")
    # The client the trusted chain names is the last address before the proxy; an address the
    # client wrote itself in front of it changes nothing.
    for n in range(limiter.limit):
        chain = f"172.16.{n}.1, 198.51.100.7"
        assert sign_in_status(proxy, WRONG, **{"X-Forwarded-For": chain}) == 401
    assert sign_in_status(proxy, RIGHT, **{"X-Forwarded-For": "198.51.100.7"}) == 429
    assert sign_in_status(proxy, RIGHT, **{"X-Forwarded-For": "198.51.100.8"}) == 200
    untrusted = from_address(app, "10.0.0.2")
    for n in range(limiter.limit):
        assert sign_in_status(untrusted, WRONG, **{"X-Forwarded-For": f"198.51.100.{n}"}) == 401
    assert sign_in_status(untrusted, WRONG, **{"X-Forwarded-For": "198.51.100.99"}) == 429


@pytest.mark.slow
def test_blok_serve_trusts_no_forwarded_header_from_loopback(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(server_config(app, "127.0.0.1", port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        limit = settings.access.failed_signin_limit
        url = f"http://127.0.0.1:{port}/v1/auth/token"
        with httpx.Client() as client:
            statuses = [
                client.post(url, json=WRONG, headers={"X-Forwarded-For": f"10.1.1.{n}"}).status_code
                for n in range(limit + 1)
            ]
        assert statuses == [401] * limit + [429]  # all from 127.0.0.1, whatever the header said
    finally:
        server.should_exit = True
        thread.join(30)
