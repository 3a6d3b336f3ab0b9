"""The Import page in headless Chromium against `streamlit run app.py`: a file that is not what
its name says is refused in the app's words, a good export is previewed and imported with the
progress bar (the work runs in a child process of the server), at desktop and phone widths."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, sign_in_form, streamlit_app
from browser import settle as settle_run
from playwright.sync_api import Page, expect, sync_playwright

from survey.db import create_db_engine, transaction
from survey.demo import create_demo

pytestmark = pytest.mark.browser

PASSWORD = "browser committee password"
EXPORT = Path(__file__).parent / "fixtures" / "imports" / "long.csv"
SCREENS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def app_server(tmp_path, catalog) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'committee.db'}"
    engine = create_db_engine(url)
    with transaction(engine) as session:
        create_demo(session=session, catalog=catalog)
    engine.dispose()
    with streamlit_app(url, tmp_path / "streamlit.log", password=PASSWORD) as base:
        yield base


def settle(page: Page) -> None:
    settle_run(page, pause_ms=300, timeout_ms=60_000)


def sign_in_to_import(page: Page, base: str, *, phone: bool) -> None:
    page.goto(base)
    sign_in_form(page, PASSWORD)
    expect(page.get_by_role("heading", name="Committee sign-in")).to_have_count(0, timeout=60_000)
    settle(page)
    if phone:  # the sidebar is folded away
        page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_test_id("stSidebarNav").get_by_text("Import", exact=True).click()
    expect(page.get_by_role("heading", name="Import responses into")).to_be_visible(timeout=60_000)
    settle(page)
    if phone:
        page.get_by_test_id("stSidebarCollapseButton").click()
        settle(page)


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_the_import_page_refuses_a_false_workbook_and_imports_an_export(app_server, tmp_path, screen):
    base = app_server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=SCREENS[screen]).new_page()
        sign_in_to_import(page, base, phone=screen == "phone")
        mapping = page.get_by_label("Mapping (YAML, optional): what the export cannot say itself")
        assert mapping.input_value() == ""
        assert mapping.get_attribute("placeholder").startswith(
            "Leave empty when the file's header says it all"
        )
        upload = page.get_by_test_id("stFileUploaderDropzoneInput")
        upload.set_input_files(
            files=[
                {"name": "random.xlsx", "mimeType": "application/octet-stream", "buffer": os.urandom(3000)}
            ]
        )
        settle(page)
        expect(page.get_by_text("named like an Excel workbook but is not one")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("the file has no rows")).to_have_count(0)
        expect(page.get_by_text("--format")).to_have_count(0)
        page.screenshot(path=str(tmp_path / f"import_refused_{screen}.png"), full_page=True)
        no_sideways_scroll(page)
        upload.set_input_files(str(EXPORT))
        settle(page)
        expect(page.get_by_text("No problems found.")).to_be_visible(timeout=60_000)
        page.get_by_role("button", name="Import 3 responses").click()
        expect(page.get_by_text("added 3 to assessment")).to_be_visible(timeout=60_000)
        settle(page)
        page.screenshot(path=str(tmp_path / f"import_done_{screen}.png"), full_page=True)
        no_sideways_scroll(page)
        browser.close()
