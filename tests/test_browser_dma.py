"""The double-materiality pages in headless Chromium against `streamlit run app.py` on the demo
data: the matrix with one point per topic and both threshold lines, at desktop and phone width,
with no sideways scrolling; screenshots of every page are kept in the test's folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, sign_in_form, streamlit_app
from browser import settle as settle_run
from playwright.sync_api import Page, expect, sync_playwright

from services.assessments import create_demo
from survey.db import create_db_engine

pytestmark = pytest.mark.browser

PASSWORD = "browser committee password for double materiality"
POINTS = 'path[aria-roledescription="point"][aria-label*="Topic: "]'
# the page's entry in the navigation and the start of its heading
PAGES = {
    "IRO register": "IRO register: 2020",
    "IRO rating": "Rating: 2020",
    "Double-materiality matrix": "Double-materiality matrix: 2020",
    "Calibration and sign-off": "Calibration and sign-off: 2020",
}
SHOTS = Path("/tmp/dma_screenshots")


def settle(page: Page) -> None:
    settle_run(page, pause_ms=400, timeout_ms=60_000)


def sideways_scroll(page: Page) -> int:
    """How far the page could scroll sideways, in pixels (0: it fits the window)."""
    return page.evaluate(
        "Math.max(...[document.documentElement, ...document.querySelectorAll('[data-testid=stMain], "
        "[data-testid=stMainBlockContainer]')].map(e => e.scrollWidth - e.clientWidth))"
    )


def test_double_materiality_pages_at_desktop_and_phone_width(tmp_path):
    url = f"sqlite:///{tmp_path / 'dma.db'}"
    engine = create_db_engine(url)
    create_demo(engine=engine)
    engine.dispose()
    SHOTS.mkdir(exist_ok=True)
    with (
        streamlit_app(url, tmp_path / "streamlit.log", password=PASSWORD) as base,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        page.goto(base)
        sign_in_form(page, PASSWORD)
        expect(page.get_by_text("Responses by group")).to_be_visible(timeout=60_000)
        settle(page)
        for title, heading in PAGES.items():
            page.set_viewport_size({"width": 1440, "height": 900})
            settle(page)
            page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
            expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=60_000)
            settle(page)
            if title == "Double-materiality matrix":
                chart = page.get_by_test_id("stVegaLiteChart").first
                expect(chart.locator(POINTS)).to_have_count(16, timeout=30_000)
                expect(chart.locator('[aria-label*="Topic: Climate change"]')).to_have_count(1)
                expect(chart.get_by_text("impact threshold 3")).to_have_count(1)
                expect(chart.get_by_text("financial threshold 3")).to_have_count(1)
            for width, height in ((1440, 900), (390, 844)):
                page.set_viewport_size({"width": width, "height": height})
                settle(page)
                page.wait_for_timeout(600)  # charts re-fit to the new width
                if title == "Double-materiality matrix" and width < 600:
                    page.get_by_test_id("stVegaLiteChart").first.scroll_into_view_if_needed()
                shot = tmp_path / f"{title.replace(' ', '_')}_{width}.png"
                page.screenshot(path=str(shot), full_page=False)
                shutil.copy(shot, SHOTS / shot.name)
                assert sideways_scroll(page) <= 1, f"{title} scrolls sideways at {width} px"
        browser.close()
