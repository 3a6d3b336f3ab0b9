"""An assessor on the IRO rating form in headless Chromium against `streamlit run app.py`: the
sign-in and back, the form at desktop (1440 px) and phone (390 px, JavaScript off) sizes, a
rating without its rationale and the jump to it, saving; every state checked with axe-core
(WCAG 2.2 A and AA), the page for a role that does not rate and the form after sign-off
included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, sign_in_form, streamlit_app
from playwright.sync_api import Browser, Page, expect, sync_playwright

from services import dma
from survey import audit
from survey.db import create_db_engine
from tests.dma_fixtures import write_ratings
from tests.test_rating_form import ASSESSOR, CHAIR, PASSWORD, my_ratings, prepare

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
AXE = Path(__file__).resolve().parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture
def app_server(tmp_path) -> Iterator[tuple[str, object]]:
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    engine = create_db_engine(url)
    try:
        prepare(engine, tmp_path)
    finally:
        audit.require_accounts(False)
    try:
        with streamlit_app(url, tmp_path / "streamlit.log", password="browser-test-password") as base:
            yield base, engine
    finally:
        engine.dispose()


@pytest.fixture
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def violations(page: Page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: "tag", values: tags}}))
            .violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}))""",
        WCAG,
    )


def test_an_assessor_rates_on_a_desktop_and_on_a_phone(app_server, chromium, tmp_path):
    base, engine = app_server
    found = {}
    shots = tmp_path / "shots"
    shots.mkdir()

    page = chromium.new_context(viewport=DESKTOP, bypass_csp=True).new_page()
    page.goto(f"{base}/rate")
    sign_in_form(page, PASSWORD, email=ASSESSOR)
    expect(page.get_by_role("heading", name="IROs to rate")).to_be_visible()
    assert page.url == f"{base}/rate"
    found["list desktop"] = violations(page)
    page.screenshot(path=str(shots / "desktop-list.png"), full_page=True)
    page.get_by_role("link", name="2025 (2025)").click()
    expect(page.get_by_text("0 of 5 criteria rated")).to_be_visible()
    fits(page, DESKTOP["width"])
    found["form desktop"] = violations(page)
    page.screenshot(path=str(shots / "desktop-form.png"), full_page=True)

    page.locator("#c-0-scale").get_by_label("4 · high").check()
    page.locator("#c-0-scope").get_by_label("3 · moderate: a region, a share of staff").check()
    page.locator("#why-0-scope").fill("Two towns downwind")
    page.get_by_role("button", name="Save my ratings").click()
    expect(page.get_by_text("1 answer to correct; nothing was saved yet")).to_be_visible()
    assert page.url.endswith("/rate/2025#first-error")
    expect(page.locator("#first-error")).to_be_in_viewport()
    found["error desktop"] = violations(page)
    page.screenshot(path=str(shots / "desktop-error.png"))
    assert my_ratings(engine, ASSESSOR) == {}

    page.locator("#why-0-scale").fill("NOx above the permit twice last winter")
    page.get_by_role("button", name="Save my ratings").click()
    expect(page.get_by_text("Saved: 2 ratings.")).to_be_visible()
    expect(page.get_by_text("2 of 5 criteria rated")).to_be_visible()
    found["saved desktop"] = violations(page)
    assert my_ratings(engine, ASSESSOR) == {
        ("N1", "scale"): (4, "NOx above the permit twice last winter"),
        ("N1", "scope"): (3, "Two towns downwind"),
    }

    phone = chromium.new_context(viewport=PHONE, bypass_csp=True, java_script_enabled=False).new_page()
    phone.goto(f"{base}/rate/2025")
    sign_in_form(phone, PASSWORD, email=ASSESSOR)
    expect(phone.get_by_text("2 of 5 criteria rated")).to_be_visible()
    assert phone.url == f"{base}/rate/2025"
    assert phone.locator("#c-0-scale").get_by_label("4 · high").is_checked()
    fits(phone, PHONE["width"])
    phone.screenshot(path=str(shots / "phone-form.png"))
    phone.screenshot(path=str(shots / "phone-form-full.png"), full_page=True)
    phone.locator("#c-1-magnitude").get_by_label("2 · minor").check()
    phone.get_by_role("button", name="Save my ratings").click()
    expect(phone.get_by_text("Give the reason for this rating", exact=False).first).to_be_visible()
    fits(phone, PHONE["width"])
    phone.screenshot(path=str(shots / "phone-error.png"))

    axe_phone = chromium.new_context(viewport=PHONE, bypass_csp=True).new_page()
    axe_phone.context.add_cookies(page.context.cookies())
    axe_phone.goto(f"{base}/rate/2025")
    found["form phone"] = violations(axe_phone)
    axe_phone.goto(f"{base}/rate")
    found["list phone"] = violations(axe_phone)

    auditor = chromium.new_context(viewport=DESKTOP, bypass_csp=True).new_page()
    auditor.goto(f"{base}/rate")
    sign_in_form(auditor, PASSWORD, email="audit@example.com")
    expect(
        auditor.get_by_text("Your role (auditor) reads the assessment but does not rate IROs.")
    ).to_be_visible()
    found["403"] = violations(auditor)

    sign_off(engine, tmp_path)
    page.goto(f"{base}/rate/2025")
    expect(page.get_by_role("heading", name="Signed off: read-only")).to_be_visible()
    assert page.get_by_role("button", name="Save my ratings").count() == 0
    found["signed off"] = violations(page)
    page.screenshot(path=str(shots / "desktop-signed-off.png"))
    assert {state: v for state, v in found.items() if v} == {}
    assert len(found) == 8


def sign_off(engine, folder) -> None:
    """Every IRO rated, the thresholds set, the one disagreement settled, signed off."""
    dma.import_ratings(engine=engine, assessment_key="2025", path=write_ratings(folder), actor=CHAIR)
    dma.set_thresholds(
        engine=engine, assessment_key="2025", impact=3, financial=2.5, reason="policy", actor=CHAIR
    )
    dma.advance(engine=engine, assessment_key="2025", actor=CHAIR)
    dma.set_consensus(
        engine=engine,
        assessment_key="2025",
        iro_id="N2",
        criterion="scope",
        value=3,
        rationale="Two of five",
        actor=CHAIR,
    )
    dma.sign_off(engine=engine, assessment_key="2025", actor=CHAIR, reason="Board meeting")
