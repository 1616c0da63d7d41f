"""Two `blok serve` replicas on one PostgreSQL registry share sign-in, sessions and limits.

Each replica runs as its own process on the CI PostgreSQL. The store is not shared here: an
embedded store's folder belongs to one process, and no Qdrant server runs here, so each replica
has a store of its own and the test checks what the replicas share through the database: a token
issued by one is accepted by the other and revoked on both by signing out on either; failed
sign-ins counted by one lock the account on the other; an upload queued on one is a job both
list.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from core.accounts import AccountStore
from core.persistence.registry import Registry
from evaluation.bench_ui import blok_serve
from tests.support.helpers import TEST_PASSWORD, make_settings
from tests.support.postgres import fresh_schema, postgres_url

pytestmark = [pytest.mark.model, pytest.mark.slow, pytest.mark.postgres]

RIGHT = {"name": "buero", "password": TEST_PASSWORD}
WRONG = {"name": "buero", "password": "falsch-falsch-falsch"}


def test_two_replicas_share_sessions_limits_and_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh_schema(postgres_url()) as url:
        monkeypatch.setenv("BLOK_REGISTRY__URL", url)
        registry = Registry(url)
        try:
            AccountStore(registry).create_account(
                "buero", roles=["office"], rings=[], password=TEST_PASSWORD
            )
        finally:
            registry.close()
        first, second = make_settings(tmp_path / "eins"), make_settings(tmp_path / "zwei")
        with blok_serve(first, quiet=True) as one, blok_serve(second, quiet=True) as two:
            token = httpx.post(f"{one}/v1/auth/token", json=RIGHT).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            me = httpx.get(f"{two}/v1/auth/me", headers=headers)
            assert me.status_code == 200 and me.json()["name"] == "buero"

            upload = httpx.post(
                f"{two}/v1/documents",
                headers=headers,
                files=[("files", ("notiz.md", b"# Notiz\n\nDas Jobcenter berichtet.\n"))],
            )
            assert upload.status_code == 202, upload.text
            listed = httpx.get(f"{one}/v1/ingest/jobs", headers=headers).json()["jobs"]
            assert upload.json()["job_id"] in {job["job_id"] for job in listed}

            assert httpx.delete(f"{two}/v1/auth/token", headers=headers).status_code == 204
            for replica in (one, two):  # signed out on both
                assert httpx.get(f"{replica}/v1/auth/me", headers=headers).status_code == 401

            limit = first.access.failed_signin_limit
            statuses = [
                httpx.post(f"{(one, two)[n % 2]}/v1/auth/token", json=WRONG).status_code
                for n in range(limit)
            ]
            assert statuses == [401] * limit  # counted on both replicas together
            for replica in (one, two):  # locked on both, the right password too
                assert httpx.post(f"{replica}/v1/auth/token", json=RIGHT).status_code == 429
