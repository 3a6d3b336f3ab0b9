"""The committee's app in headless Chromium against `streamlit run app.py` on the demo data:
sign in, the matrix with its 16 topics, the channel map, the Excel report downloaded and opened;
an anonymous visitor gets no committee page, while a survey link still works."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, sign_in_form, streamlit_app
from browser import settle as settle_run
from playwright.sync_api import Page, expect, sync_playwright

from survey import i18n
from survey.assessments import create_assessment, set_status
from survey.db import create_db_engine, transaction
from survey.demo import create_demo
from survey.issuing import issue_invitations

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "browser committee password"
SCREEN = {"width": 1680, "height": 1050}
MATRIX_POINTS = 'path[aria-roledescription="point"][aria-label*="Topic: "]'


@pytest.fixture
def app_server(tmp_path, catalog) -> Iterator[tuple[str, str]]:
    """The app on a free port over the demo data plus an open assessment `2021`; yields the base
    URL and a survey token of that assessment."""
    url = f"sqlite:///{tmp_path / 'committee.db'}"
    engine = create_db_engine(url)
    with transaction(engine) as session:
        create_demo(session=session, catalog=catalog)
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=catalog)
        set_status(session=session, key="2021", status="open")
        (link,) = issue_invitations(session=session, assessment_key="2021", group="employees", language="en")
    engine.dispose()
    with streamlit_app(url, tmp_path / "streamlit.log", password=PASSWORD) as base:
        yield base, link.token


def settle(page: Page) -> None:
    """Wait until Streamlit has finished its current run (committee pages take longer)."""
    settle_run(page, pause_ms=300, timeout_ms=60_000)


def open_page(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    settle(page)


def test_committee_reads_the_matrix_and_downloads_the_workbook(app_server, tmp_path):
    base, _ = app_server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=SCREEN, accept_downloads=True).new_page()
        page.goto(base)
        sign_in_form(page, "not it")
        expect(page.get_by_text("That e-mail address and password do not match.")).to_be_visible(
            timeout=20_000
        )
        sign_in_form(page, PASSWORD)
        expect(page.get_by_text("Responses by group")).to_be_visible(timeout=60_000)
        page.get_by_test_id("stSidebar").get_by_role("combobox").first.click()
        page.get_by_role("option", name="2020").click()
        expect(page.get_by_text("Headline result")).to_be_visible(timeout=60_000)
        settle(page)
        page.screenshot(path=str(tmp_path / "app_overview.png"), full_page=True)

        open_page(page, "Materiality matrix")
        chart = page.get_by_test_id("stVegaLiteChart")
        expect(chart.locator(MATRIX_POINTS)).to_have_count(16, timeout=30_000)
        expect(chart.locator(f'{MATRIX_POINTS}[aria-label*="Privacy and data security"]')).to_have_count(1)
        page.screenshot(path=str(tmp_path / "app_matrix.png"), full_page=False)

        open_page(page, "Channel map")
        expect(page.get_by_role("heading", name="Agreement")).to_be_visible(timeout=30_000)
        expect(
            page.get_by_test_id("stVegaLiteChart").first.get_by_text("Stakeholder group", exact=True)
        ).to_be_visible()
        page.screenshot(path=str(tmp_path / "app_channel_map.png"), full_page=False)

        open_page(page, "Campaign")
        expect(page.get_by_role("heading", name="Issue survey links")).to_be_visible(timeout=30_000)
        page.screenshot(path=str(tmp_path / "app_campaign.png"), full_page=False)
        open_page(page, "Import")
        expect(page.get_by_text("Export file")).to_be_visible(timeout=30_000)
        bad = b"response_id,group,topic,dimension,value\nr1,employees,health_safety,importance,7\n"
        page.locator('input[type="file"]').set_input_files(
            files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": bad}]
        )
        expect(page.get_by_text("1 problem(s) found")).to_be_visible(timeout=30_000)
        settle(page)
        page.screenshot(path=str(tmp_path / "app_import.png"), full_page=False)

        open_page(page, "Reports")
        button = page.get_by_role("button", name="The workbook (Excel)")
        expect(button).to_be_visible(timeout=120_000)
        with page.expect_download(timeout=60_000) as download:
            button.click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        browser.close()

    assert saved.name == "2020-report.xlsx"
    workbook = openpyxl.load_workbook(saved, read_only=True)
    assert "Topics" in workbook.sheetnames and "Method" in workbook.sheetnames
    topic_rows = [
        row for row in workbook["Topics"].iter_rows(values_only=True) if row and row[0] in range(1, 17)
    ]
    names = {cell for row in topic_rows for cell in row if isinstance(cell, str)}
    assert len(topic_rows) == 16 and "Privacy and data security" in names


def test_anonymous_visitors_get_the_sign_in_page_and_survey_links_still_work(app_server):
    base, token = app_server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=SCREEN).new_page()
        for path in ("matrix", "channels", "reports", "campaign", ""):
            page.goto(f"{base}/{path}")
            expect(page.get_by_role("heading", name="Committee sign-in")).to_be_visible(timeout=30_000)
            settle(page)
            expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(0)
            expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
            expect(page.get_by_text("Headline result")).to_have_count(0)

        page.goto(f"{base}/survey?token={token}")
        expect(page.get_by_role("heading", name=i18n.STRINGS["en"]["title.importance"])).to_be_visible(
            timeout=30_000
        )
        expect(page.locator("fieldset")).to_have_count(16)
        expect(page.get_by_role("heading", name="Committee sign-in")).to_have_count(0)
        browser.close()
