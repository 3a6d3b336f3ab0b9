"""The e-mail flow end to end in headless Chromium: the committee uploads a contact list on the
Campaign page, is warned about the address links would carry, sends the invitations through a
real SMTP server (aiosmtpd), a stakeholder opens the mailed link and answers, and the reminder
goes only to those who have not answered."""

from __future__ import annotations

import re

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, settle, sign_in_form, streamlit_app
from playwright.sync_api import Page, expect, sync_playwright
from smtp_server import smtp_server

from survey import i18n
from survey.assessments import create_assessment, set_status
from survey.db import create_db_engine, transaction
from survey.settings import get_settings
from survey.tokens import new_mail_key

pytestmark = pytest.mark.browser

PASSWORD = "browser committee password"
SCREEN = {"width": 1400, "height": 1000}
EN = i18n.STRINGS["en"]
CONTACTS = (
    b"email,group,language,name\n"
    b"ana@example.com,employees,en,Ana\n"
    b"li.wei@example.cn,clients,zh,\xe6\x9d\x8e\xe4\xbc\x9f\n"
    b"bo@example.org,investors,en,Bo\n"
)
LINK = re.compile(r"http://127\.0\.0\.1:\d+/survey\?token=[A-Za-z0-9_-]+")


def wait(page: Page) -> None:
    settle(page, pause_ms=300, timeout_ms=60_000)


def answer_survey(page: Page, link: str, topics: int) -> None:
    """A stakeholder opens the mailed link and rates every topic on the survey form."""
    page.goto(link)
    expect(page.get_by_role("heading", name=EN["title.importance"], level=1)).to_be_visible(timeout=30_000)
    groups = page.locator("fieldset")
    expect(groups).to_have_count(topics)
    for n in range(topics):
        groups.nth(n).get_by_label(EN["dont_know"], exact=True).check()
        expect(page.locator("#progress")).to_have_text(EN["progress"].format(answered=n + 1, total=topics))
    page.get_by_role("button", name=EN["submit"]).click()
    expect(page.get_by_text(EN["thanks"])).to_be_visible(timeout=20_000)


def test_contacts_invitations_and_reminders_from_the_campaign_page(tmp_path, catalog, monkeypatch):
    url = f"sqlite:///{tmp_path / 'mail.db'}"
    engine = create_db_engine(url)
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=catalog)
        set_status(session=session, key="2021", status="open")
    engine.dispose()
    with smtp_server() as server:
        for name, value in {
            "MATERIALITY_SMTP_URL": server.url,
            "MATERIALITY_MAIL_FROM": "ESG Committee <esg@example.com>",
            "MATERIALITY_MAIL_KEY": new_mail_key(),
            "MATERIALITY_MAIL_PER_MINUTE": "10000",
            "MATERIALITY_BASE_URL": "http://localhost:8501",  # not where the app runs
            "MATERIALITY_COMPANY_NAME": "Acme Holdings",
        }.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        with (
            streamlit_app(url, tmp_path / "streamlit.log", password=PASSWORD) as base,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport=SCREEN).new_page()
            page.goto(base)
            sign_in_form(page, PASSWORD)
            wait(page)
            page.get_by_test_id("stSidebarNav").get_by_text("Campaign", exact=True).click()
            expect(page.get_by_role("heading", name="Invitations by e-mail")).to_be_visible(timeout=60_000)
            wait(page)

            expect(
                page.get_by_text("Links will carry http://localhost:8501 (set by MATERIALITY_BASE_URL)")
            ).to_be_visible()
            warning = page.get_by_test_id("stAlert").filter(has_text="You are using this app at")
            expect(warning).to_contain_text(base)
            page.get_by_text(f"Use {base} in the links instead").click()
            wait(page)

            page.locator('input[type="file"]').first.set_input_files(
                files=[{"name": "contacts.csv", "mimeType": "text/csv", "buffer": CONTACTS}]
            )
            expect(page.get_by_text("would add 3 contacts to assessment '2021'")).to_be_visible(
                timeout=30_000
            )
            page.get_by_role("button", name="Add 3 contacts").click()
            expect(page.get_by_text("added 3 contacts to assessment '2021'")).to_be_visible(timeout=30_000)
            wait(page)
            page.get_by_text("Preview: the invitation to ana@example.com").click()
            expect(page.get_by_text("Subject: Acme Holdings asks for your view")).to_be_visible()
            page.screenshot(path=str(tmp_path / "campaign_mail.png"), full_page=True)
            page.get_by_role("button", name="Send 3 invitations").click()
            expect(page.get_by_text("3 invitations sent, 0 failed")).to_be_visible(timeout=60_000)
            wait(page)

            links = {
                m["To"]: LINK.findall(m.get_body(("plain",)).get_content())[0]
                for m in server.mailbox.messages
            }
            assert sorted(links) == ["ana@example.com", "bo@example.org", "li.wei@example.cn"]
            assert all(link.startswith(f"{base}/survey?token=") for link in links.values())
            chinese = server.mailbox.to("li.wei@example.cn")[0]
            assert "李伟，您好" in chinese.get_body(("plain",)).get_content()

            respondent = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
            answer_survey(respondent, links["ana@example.com"], len(catalog.topics))

            server.mailbox.messages.clear()
            days = page.get_by_label("Remind those last mailed at least (days) ago")
            days.fill("0")
            days.press("Enter")
            wait(page)
            page.get_by_role("button", name="Send 2 reminders (only to those who have not answered)").click()
            expect(page.get_by_text("2 reminders sent, 0 failed")).to_be_visible(timeout=60_000)
            reminded = {m["To"]: m for m in server.mailbox.messages}
            assert sorted(reminded) == ["bo@example.org", "li.wei@example.cn"]
            assert (
                LINK.findall(reminded["bo@example.org"].get_body(("plain",)).get_content())[0]
                == links["bo@example.org"]
            )
            browser.close()
    get_settings.cache_clear()
