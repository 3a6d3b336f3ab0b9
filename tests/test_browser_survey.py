"""A respondent's whole visit in headless Chromium against `streamlit run app.py`: open a real
invitation link on a phone-sized screen, rate every topic, submit, and come back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, settle, streamlit_app
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from survey import i18n
from survey.assessments import create_assessment, set_status
from survey.db import create_db_engine, transaction
from survey.issuing import issue_invitations
from survey.models import Invitation, Rating, Response, Topic

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
EN, ZH = i18n.STRINGS["en"], i18n.STRINGS["zh"]


@pytest.fixture
def app_server(tmp_path, catalog) -> Iterator[tuple[str, object, str]]:
    """The app on a free port over a fresh SQLite file; yields (base url, engine, token)."""
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    engine = create_db_engine(url)
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=catalog)
        set_status(session=session, key="2021", status="open")
        (link,) = issue_invitations(
            session=session, assessment_key="2021", group="clients", channel="Official website", language="zh"
        )
    try:
        with streamlit_app(url, tmp_path / "streamlit.log", password="browser-test-password") as base:
            yield base, engine, link.token
    finally:
        engine.dispose()


def test_respondent_answers_on_a_phone_and_cannot_submit_twice(app_server, catalog, tmp_path):
    base, engine, token = app_server
    chosen = {t.key: 1 + i % 5 for i, t in enumerate(catalog.topics)}
    chosen[catalog.topics[3].key] = None  # don't know
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
        page = phone.new_page()
        page.goto(f"{base}/survey?token={token}")
        expect(page.get_by_role("heading", name=ZH["title.importance"])).to_be_visible(timeout=30_000)
        expect(page.get_by_text(ZH["privacy"].split("。")[0].replace("**", ""))).to_be_visible()
        # No committee page is offered: no sidebar navigation, no sign-in form on the survey.
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        # Fits a phone: nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        page.get_by_text("English", exact=True).click()
        expect(page.get_by_role("heading", name=EN["title.importance"])).to_be_visible(timeout=20_000)
        settle(page)
        labels = catalog.scale.labels["importance"]["en"]
        groups = page.get_by_test_id("stRadio")
        expect(groups).to_have_count(len(catalog.topics))
        for n, topic in enumerate(catalog.topics):
            value = chosen[topic.key]
            option = EN["dont_know"] if value is None else f"{value} · {labels[value - 1]}"
            groups.nth(n).get_by_text(option, exact=True).click()
            progress = EN["progress"].format(answered=n + 1, total=len(catalog.topics))
            expect(page.get_by_text(progress)).to_be_visible(timeout=20_000)
        page.get_by_label(EN["comment"]).first.fill("Please publish the data")
        page.get_by_label(EN["comment"]).first.press("Enter")
        settle(page)
        page.screenshot(path=str(tmp_path / "phone-filled.png"), full_page=False)
        page.get_by_role("button", name=EN["submit"]).click()
        expect(page.get_by_text(EN["thanks"])).to_be_visible(timeout=20_000)

        with transaction(engine, write=False) as session:
            responses = session.scalars(select(Response)).all()
            stored = dict(
                session.execute(
                    select(Topic.key, Rating.value).join(Rating, Rating.topic_id == Topic.id)
                ).all()
            )
            invitation = session.scalar(select(Invitation))
        assert len(responses) == 1
        assert responses[0].invitation_id == invitation.id and invitation.submitted_at is not None
        assert stored == chosen

        again = browser.new_context(viewport=PHONE).new_page()
        again.goto(f"{base}/survey?token={token}")
        expect(again.get_by_text(ZH["already_submitted"])).to_be_visible(timeout=30_000)
        expect(again.get_by_test_id("stRadio")).to_have_count(0)
        again.goto(f"{base}/survey?token=not-a-real-token")
        expect(again.get_by_text(EN["invalid_link"])).to_be_visible(timeout=30_000)
        again.goto(f"{base}/overview")  # a committee page, without sign-in
        expect(again.get_by_role("heading", name="Committee sign-in")).to_be_visible(timeout=30_000)
        expect(again.get_by_test_id("stMetric")).to_have_count(0)
        browser.close()
    with transaction(engine, write=False) as session:
        assert len(session.scalars(select(Response)).all()) == 1
