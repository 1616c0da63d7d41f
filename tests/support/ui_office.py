"""Helpers of the office page tests: sign in by form, read a page's CSRF token, wait for a job."""

from __future__ import annotations

import re
import time

import httpx

from core.accounts import AccountStore
from tests.support.helpers import TEST_PASSWORD

ADMIN = "verwalterin"
HOSTILE_NAME = '<img src=x onerror="window.__pwned=5">.md'
HOSTILE_UPLOAD_TITLE = '<script>window.__pwned = 6</script>"onerror=alert(7)'


def ensure_admin(accounts: AccountStore) -> str:
    """The office tests' admin account (created once per world)."""
    if accounts.find_account(ADMIN) is None:
        accounts.create_account(ADMIN, roles=["admin"], rings=[], password=TEST_PASSWORD)
    return ADMIN


def sign_in_by_form(client: httpx.Client, name: str, password: str = TEST_PASSWORD) -> None:
    """Post the sign-in form like a browser; the client keeps the session cookie."""
    client.cookies.clear()
    response = client.post("/anmelden", data={"name": name, "password": password, "weiter": "/"})
    assert response.status_code == 303, response.text


def csrf_field(html: str) -> str:
    """The CSRF token of the page's forms."""
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def csrf_of(client: httpx.Client, path: str = "/verwaltung") -> str:
    """The CSRF token read from an office page, as a browser's form has it."""
    return csrf_field(client.get(path).text)


def wait_for_job(client: httpx.Client, job_path: str, timeout: float = 180.0) -> str:
    """The job page once the job has finished (it no longer asks to be refreshed)."""
    deadline = time.monotonic() + timeout
    while True:
        html = client.get(job_path).text
        if "data-aktualisieren" not in html:
            return html
        assert time.monotonic() < deadline, "the upload job did not finish"
        time.sleep(0.5)
