"""Several app servers on one PostgreSQL database, as behind a load balancer: two `streamlit run`
processes on different ports. A survey submitted through each lands once; the committee's
overview on one server shows the response submitted through the other without a restart; and
neither server's log holds a survey token."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, sign_in_form, streamlit_app
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import func, select

from survey import i18n
from survey.assessments import create_assessment, set_status
from survey.db import create_db_engine, transaction
from survey.issuing import issue_invitations
from survey.models import Invitation, Rating, Response

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "scale-out committee password"
EN = i18n.STRINGS["en"]


@contextmanager
def app_server(database_url: str, log_path: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port, logging at debug level; yields its URL."""
    with streamlit_app(database_url, log_path, password=PASSWORD, debug_log=True) as base:
        yield base


def answer_survey(page: Page, base: str, token: str, n_topics: int, value: int) -> None:
    page.goto(f"{base}/survey?token={token}")
    expect(page.get_by_role("heading", name=EN["title.importance"], level=1)).to_be_visible(timeout=30_000)
    groups = page.locator("fieldset")
    expect(groups).to_have_count(n_topics)
    for n in range(n_topics):
        groups.nth(n).get_by_role("radio").nth(value - 1).check()
        expect(page.locator("#progress")).to_have_text(EN["progress"].format(answered=n + 1, total=n_topics))
    page.get_by_role("button", name=EN["submit"]).click()
    expect(page.get_by_text(EN["thanks"])).to_be_visible(timeout=30_000)


def responses_shown(page: Page) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text="Responses")
    expect(metric).to_have_count(1, timeout=30_000)
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def test_two_app_servers_on_one_postgres_database(postgres_schema_url, catalog, tmp_path):
    engine = create_db_engine(postgres_schema_url)
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=catalog)
        set_status(session=session, key="2021", status="open")
        links = issue_invitations(
            session=session, assessment_key="2021", group="clients", count=2, language="en"
        )
    logs = [tmp_path / "server-a.log", tmp_path / "server-b.log"]
    n_topics = len(catalog.topics)
    with ExitStack() as servers, sync_playwright() as playwright:
        server_a = servers.enter_context(app_server(postgres_schema_url, logs[0]))
        server_b = servers.enter_context(app_server(postgres_schema_url, logs[1]))
        assert server_a != server_b
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        committee = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        committee.goto(server_a)
        sign_in_form(committee, PASSWORD)
        assert responses_shown(committee) == "0"

        answer_survey(browser.new_context().new_page(), server_a, links[0].token, n_topics, 4)
        answer_survey(browser.new_context().new_page(), server_b, links[1].token, n_topics, 2)

        # The same committee session on server A, rerun: it counts the response sent through B.
        committee.bring_to_front()
        committee.get_by_role("heading", level=1).first.click()
        committee.keyboard.press("r")  # Streamlit's rerun key
        expect(committee.get_by_test_id("stMetric").filter(has_text="Responses")).to_contain_text(
            "2", timeout=30_000
        )
        browser.close()

    with transaction(engine, write=False) as session:
        stored = session.execute(
            select(Response.invitation_id, func.count()).group_by(Response.invitation_id)
        ).all()
        values = dict(
            session.execute(
                select(Response.invitation_id, func.avg(Rating.value))
                .join(Rating, Rating.response_id == Response.id)
                .group_by(Response.invitation_id)
            ).all()
        )
        submitted = session.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.submitted_at.is_not(None))
        )
    assert sorted(stored) == sorted([(links[0].invitation_id, 1), (links[1].invitation_id, 1)])
    assert {k: float(v) for k, v in values.items()} == {
        links[0].invitation_id: 4.0,
        links[1].invitation_id: 2.0,
    }
    assert submitted == 2
    engine.dispose()

    for log in logs:
        text = log.read_text()
        assert "You can now view your Streamlit app" in text or "Local URL" in text
        for link in links:
            assert link.token not in text, f"{log.name} holds a survey token"
