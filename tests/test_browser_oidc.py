"""Signing in through OpenID Connect (`st.login`) against a real provider on loopback: the npm
package oidc-provider (tests/oidc, installed by `npm ci` there), started by the fixture. The
address the provider vouches for maps to an account and its role; an address without an
account is told so and sees no committee page."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, free_port, settle, streamlit_app
from playwright.sync_api import expect, sync_playwright

from services import accounts
from survey.db import create_db_engine

pytestmark = pytest.mark.browser
PROVIDER = Path(__file__).resolve().parent / "oidc"
CLIENT_ID, CLIENT_SECRET = "materiality", "a client secret for the tests"


@pytest.fixture
def provider(tmp_path):
    """oidc-provider on a free loopback port; yields (issuer, redirect port of the app)."""
    node = shutil.which("node")
    if node is None or not (PROVIDER / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("Node.js and tests/oidc's packages are needed: run `npm ci` in tests/oidc")
    port, app_port = free_port(), free_port()
    log = (tmp_path / "provider.log").open("w")
    process = subprocess.Popen(
        [
            node,
            "provider.mjs",
            str(port),
            f"http://127.0.0.1:{app_port}/oauth2callback",
            CLIENT_ID,
            CLIENT_SECRET,
        ],
        cwd=PROVIDER,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=2):
                    break
            except OSError:
                assert process.poll() is None, (tmp_path / "provider.log").read_text()
                assert time.monotonic() < deadline, "the provider did not come up"
                time.sleep(0.2)
        yield issuer, app_port
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def provider_sign_in(page, email: str) -> None:
    """The provider's own (development) login form, then its consent screen."""
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill("anything")
    page.locator('button[type="submit"]').click()
    consent = page.locator('button[type="submit"]', has_text="Continue")
    if consent.count():
        consent.click()


def test_an_identity_provider_sign_in_maps_to_the_accounts_role(tmp_path, provider):
    issuer, app_port = provider
    home = tmp_path / "home"
    (home / ".streamlit").mkdir(parents=True)
    (home / ".streamlit" / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        'cookie_secret = "a long random cookie secret for the tests"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
        'client_kwargs = { prompt = "login", scope = "openid profile email" }\n'
    )
    url = f"sqlite:///{tmp_path / 'oidc.db'}"
    engine = create_db_engine(url)
    accounts.add_account(engine=engine, email="Ines@Example.com", role="auditor", password=None)
    with (
        streamlit_app(
            url,
            tmp_path / "streamlit.log",
            password="the first admin's pw",
            port=app_port,
            env={"HOME": str(home)},
        ) as base,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        page.goto(f"{base}/matrix")
        expect(page.get_by_role("heading", name="Committee sign-in")).to_be_visible(timeout=30_000)
        page.get_by_role("link", name="Sign in with your organisation").click()
        settle(page, pause_ms=500, timeout_ms=60_000)
        page.screenshot(path=str(tmp_path / "organisation_page.png"))
        page.get_by_role("button", name="Sign in with your organisation").click()
        page.wait_for_url(f"{issuer}/**", timeout=30_000)
        provider_sign_in(page, "ines@example.com")
        expect(page.get_by_text("Signed in as ines@example.com (auditor)")).to_be_visible(timeout=60_000)
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav.get_by_text("Audit trail", exact=True)).to_be_visible()
        expect(nav.get_by_text("Accounts", exact=True)).to_have_count(0)
        expect(nav.get_by_text("Campaign", exact=True)).to_have_count(0)
        page.reload()  # st.login's own cookie keeps the sign-in
        expect(page.get_by_text("Signed in as ines@example.com (auditor)")).to_be_visible(timeout=60_000)
        settle(page, pause_ms=300, timeout_ms=60_000)
        page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{issuer}/session/end**", timeout=30_000)  # the provider asks to confirm
        page.locator('button[type="submit"]').first.click()
        expect(page.get_by_role("heading", name="Committee sign-in")).to_be_visible(timeout=30_000)
        page.goto(f"{base}/matrix")  # signed out here and at the provider
        expect(page.get_by_role("heading", name="Committee sign-in")).to_be_visible(timeout=30_000)
        expect(page.get_by_role("heading", name="Materiality matrix")).to_have_count(0)

        # an address the provider vouches for, but without an account here
        stranger = browser.new_context().new_page()
        stranger.goto(f"{base}/organisation")
        stranger.get_by_role("button", name="Sign in with your organisation").click()
        stranger.wait_for_url(f"{issuer}/**", timeout=30_000)
        provider_sign_in(stranger, "stranger@example.com")
        expect(
            stranger.get_by_text("stranger@example.com has no account here: ask an admin to add it.")
        ).to_be_visible(timeout=60_000)
        expect(stranger.get_by_test_id("stSidebarNav")).to_have_count(0)
        stranger.goto(f"{base}/matrix")
        expect(stranger.get_by_role("heading", name="Materiality matrix")).to_have_count(0)
        browser.close()
    rows = [
        r["action"] for r in __import__("services.audit", fromlist=["audit_rows"]).audit_rows(engine=engine)
    ]
    engine.dispose()
    assert "account.add" in rows
