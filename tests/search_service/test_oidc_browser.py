"""Sign-in through the identity provider in Debian's Chromium: the button, the round trip, axe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.search_service.test_oidc import oidc_settings, person
from tests.search_service.test_ui_browser import CHROMIUM, CHROMIUM_ARGS, axe_violations
from tests.support.helpers import make_settings
from tests.support.oidc_provider import LoopbackProvider, run_provider
from tests.support.ui_world import serve

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]


@pytest.fixture(scope="module")
def provider() -> Iterator[LoopbackProvider]:
    with run_provider() as running:
        yield running


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, provider: LoopbackProvider) -> Iterator[str]:
    """The app under uvicorn (an empty store is enough here) with the provider configured."""
    settings = make_settings(Path(tmp_path_factory.mktemp("oidc-ui")), oidc=oidc_settings(provider))
    with serve(settings) as (url, _):
        yield url


@pytest.fixture()
def page(base_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = chromium.new_context(base_url=base_url, locale="de-DE", bypass_csp=True)
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        yield tab
        chromium.close()


def test_the_button_signs_in_at_the_provider_and_comes_back_signed_in(
    page: Any, provider: LoopbackProvider
) -> None:
    provider.person = person("paula", ["reader"], ["VR 3"])
    page.goto("/anmelden?weiter=/ring")
    assert axe_violations(page) == []
    with page.expect_navigation(url="**/ring"):
        page.get_by_role("link", name="Mit Dienstkonto anmelden").click()
    header = page.get_by_role("navigation", name="Konto")
    assert "Angemeldet als paula" in header.inner_text()
    assert "VR 3" in header.inner_text()
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["blok_session"]["httpOnly"] and cookies["blok_session"]["sameSite"] == "Lax"
    assert "blok_oidc" not in cookies  # the pending sign-in's secrets are gone
    with page.expect_navigation():
        page.get_by_role("button", name="Abmelden").click()
    assert "Sie sind abgemeldet" in page.content()
