"""Every committee page in headless Chromium at a laptop's 1440 x 900 and a phone's 390 x 844:
no sideways scroll, no raw keys in the text a committee member reads, every chart drawn.

The screenshots of the overview, the matrix and the channel map are taken at both sizes into the
test's folder; with ``MATERIALITY_SCREENSHOTS`` set to a folder (``docs/screenshots`` for the
README) they are copied there too."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, settle, sign_in_form, streamlit_app
from playwright.sync_api import Page, expect, sync_playwright

from survey.db import create_db_engine, transaction
from survey.demo import create_demo

pytestmark = pytest.mark.browser

PASSWORD = "committee pages password"
SIZES = {"wide": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
PAGES = {
    "Overview": "overview",
    "Materiality matrix": "matrix",
    "What-if and method": "whatif",
    "Channel map": "channel_map",
    "Year over year": "year_over_year",
    "Campaign": "campaign",
    "New assessment": "new_assessment",
    "Reports": "reports",
}
SHOWN = {"overview", "matrix", "channel_map"}
RAW_KEYS = re.compile(r"\b(business_impact|p_tier|jenks|kmeans|gmm|open_link|group_weights|n_tiers)\b")
CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
    .every(chart => chart.querySelector('svg.marks, canvas.marks'))"""
SIDEWAYS = """() => {
    const root = document.documentElement;
    const main = document.querySelector('[data-testid="stMain"]');
    return [root.scrollWidth - root.clientWidth, main ? main.scrollWidth - main.clientWidth : 0];
}"""


def wait(page: Page) -> None:
    settle(page, pause_ms=400, timeout_ms=120_000)
    page.wait_for_function(CHARTS_DRAWN, timeout=60_000)
    page.wait_for_timeout(500)


def open_page(page: Page, title: str, phone: bool) -> None:
    if phone:
        page.get_by_test_id("stExpandSidebarButton").first.click(force=True)
        page.wait_for_timeout(400)
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    wait(page)
    if phone and page.get_by_test_id("stSidebarCollapseButton").count():
        page.get_by_test_id("stSidebarCollapseButton").locator("button").first.click(force=True)
        page.wait_for_timeout(500)


def whole_page_screenshot(page: Page, path: Path, size: dict) -> None:
    """The page with all of its content: the viewport made as tall as the main area's content."""
    height = page.evaluate(
        "() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || document.body.scrollHeight"
    )
    page.set_viewport_size({"width": size["width"], "height": min(max(size["height"], height), 5000)})
    page.wait_for_timeout(600)
    page.wait_for_function(CHARTS_DRAWN, timeout=60_000)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    page.wait_for_timeout(300)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("committee")
    url = f"sqlite:///{folder / 'committee.db'}"
    engine = create_db_engine(url)
    with transaction(engine) as session:
        create_demo(session=session)
    engine.dispose()
    with streamlit_app(url, folder / "streamlit.log", password=PASSWORD) as base:
        yield base


@pytest.mark.parametrize("size", list(SIZES))
def test_committee_pages_fit_the_screen_and_speak_plain_words(app_url, size, tmp_path):
    phone = size == "phone"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=SIZES[size]).new_page()
        page.goto(app_url)
        expect(page.get_by_role("heading", name="Committee sign-in")).to_be_visible(timeout=120_000)
        sign_in_form(page, PASSWORD)
        expect(page.get_by_text("Responses by group")).to_be_visible(timeout=120_000)
        wait(page)
        problems = []
        for title, name in PAGES.items():
            open_page(page, title, phone)
            charts = {"Materiality matrix": 1, "Channel map": 2, "Overview": 0}.get(title, 0)
            if charts:
                expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(charts, timeout=120_000)
                wait(page)
            over = page.evaluate(SIDEWAYS)
            if max(over) > 1:
                problems.append(f"{title}: scrolls sideways by {max(over)} px at {size}")
            text = page.get_by_test_id("stMain").inner_text()
            raw = sorted(set(RAW_KEYS.findall(text)))
            if raw:
                problems.append(f"{title}: raw keys {raw} at {size}")
            if title == "Materiality matrix":
                box = page.get_by_test_id("stVegaLiteChart").first.bounding_box()
                if not phone:
                    assert box and box["width"] >= 800, box  # the matrix is the page's hero
            if name in SHOWN:
                if charts:
                    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(charts, timeout=60_000)
                    wait(page)
                shot = tmp_path / f"app_{name}{'_phone' if phone else ''}.png"
                whole_page_screenshot(page, shot, SIZES[size])
                target = os.environ.get("MATERIALITY_SCREENSHOTS")
                if target:
                    shutil.copy(shot, Path(target) / shot.name)
        browser.close()
    assert not problems, "\n".join(problems)
