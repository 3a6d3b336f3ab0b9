"""In Chromium, against `streamlit run app.py`: a deep link asked for while signed out opens after
signing in with e-mail and password; the sign-in survives a reload and a new tab; signing out
ends it on the server (the other tab is signed out too); every response carries the security
headers. Screenshots of the sign-in page at desktop and phone width."""

from __future__ import annotations

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, settle, sign_in_form, streamlit_app
from playwright.sync_api import expect, sync_playwright

from services import accounts
from survey.assessments import set_status
from survey.db import create_db_engine, transaction
from survey.demo import create_demo

pytestmark = pytest.mark.browser
PASSWORD = "the first admin's password"
SCREEN, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}


def wait(page) -> None:
    settle(page, pause_ms=300, timeout_ms=60_000)


def test_sign_in_deep_link_reload_new_tab_and_sign_out(tmp_path):
    url = f"sqlite:///{tmp_path / 'accounts.db'}"
    engine = create_db_engine(url)
    with transaction(engine) as session:
        create_demo(session=session)
        set_status(session=session, key="2020", status="closed")
    engine.dispose()
    with streamlit_app(url, tmp_path / "streamlit.log", password=PASSWORD) as base, sync_playwright() as pw:
        engine = create_db_engine(url)
        accounts.add_account(
            engine=engine, email="auditor@example.com", role="auditor", password="an auditor's password"
        )
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=SCREEN)
        page = context.new_page()
        answer = page.goto(f"{base}/matrix?x=1")
        assert page.url == f"{base}/sign-in?next=%2Fmatrix%3Fx%3D1"
        headers = answer.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        page.screenshot(path=str(tmp_path / "sign_in_1440.png"))

        sign_in_form(page, "not the password")
        expect(page.locator("#message")).to_have_text("That e-mail address and password do not match.")
        assert page.url.endswith("/sign-in")  # the form posts back; the deep link is kept in it
        sign_in_form(page, PASSWORD)
        expect(page.get_by_role("heading", name="Materiality matrix")).to_be_visible(timeout=60_000)
        assert page.url == f"{base}/matrix?x=1"
        cookie = next(c for c in context.cookies() if c["name"] == accounts.SESSION_COOKIE)
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["expires"] > 0
        assert page.evaluate("document.cookie").find(accounts.SESSION_COOKIE) == -1  # not readable by scripts
        expect(page.get_by_text("Signed in as admin@localhost (admin)")).to_be_visible()

        page.reload()
        expect(page.get_by_role("heading", name="Materiality matrix")).to_be_visible(timeout=60_000)
        expect(page.get_by_role("heading", name="Committee sign-in")).to_have_count(0)

        tab = context.new_page()
        tab.goto(f"{base}/channels")
        expect(tab.get_by_role("heading", name="Agreement")).to_be_visible(timeout=60_000)
        expect(tab.get_by_test_id("stSidebarNav").get_by_text("Accounts", exact=True)).to_be_visible()

        wait(page)
        page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Committee sign-in")).to_be_visible(timeout=30_000)
        page.reload()
        expect(page.get_by_role("heading", name="Committee sign-in")).to_be_visible(timeout=30_000)
        assert "/sign-in?next=" in page.url
        tab.reload()  # the session ended on the server: the other tab is signed out as well
        expect(tab.get_by_role("heading", name="Committee sign-in")).to_be_visible(timeout=30_000)
        assert accounts.session_account(engine=engine, cookie=cookie["value"]) is None

        # an auditor sees the audit trail, with the sign-ins and the failed one, and no Accounts page
        sign_in_form(tab, "an auditor's password", email="auditor@example.com")
        expect(tab.get_by_text("Signed in as auditor@example.com (auditor)")).to_be_visible(timeout=60_000)
        nav = tab.get_by_test_id("stSidebarNav")
        expect(nav.get_by_text("Accounts", exact=True)).to_have_count(0)
        nav.get_by_text("Audit trail", exact=True).click()
        expect(tab.get_by_text("hash chain intact")).to_be_visible(timeout=60_000)
        wait(tab)
        tab.screenshot(path=str(tmp_path / "audit_1440.png"), full_page=True)

        phone = browser.new_context(viewport=PHONE).new_page()
        phone.goto(base)
        expect(phone.get_by_role("heading", name="Committee sign-in")).to_be_visible(timeout=30_000)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width
        phone.screenshot(path=str(tmp_path / "sign_in_390.png"))
        browser.close()
        engine.dispose()
