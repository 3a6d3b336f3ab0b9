"""The survey form over HTTP (Starlette's test client on the real routes and a real SQLite file):
every state of the page, drafts, one response per link, the anti-forgery field, text cleaning,
a database that is locked, full or read-only, and the committee's preview."""

from __future__ import annotations

import re
import sqlite3
import threading
from html import unescape
from pathlib import Path

import pytest
import streamlit as st
from accounts_helpers import sign_in
from PIL import Image
from sqlalchemy import event, func, select
from starlette.applications import Starlette
from starlette.testclient import TestClient
from streamlit.testing.v1 import AppTest

from services import responding as service
from survey import i18n
from survey.assessments import create_assessment, set_status
from survey.db import create_db_engine, transaction
from survey.issuing import issue_invitations, issue_open_link
from survey.models import Comment, Invitation, Rating, Response, Topic
from survey.settings import get_settings
from web.survey import SurveyWeb

EN, ZH = i18n.STRINGS["en"], i18n.STRINGS["zh"]


@pytest.fixture
def engine(tmp_path, catalog):
    """An open assessment `2021` in a fresh SQLite file."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'survey.db'}")
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=catalog)
        set_status(session=session, key="2021", status="open")
    yield engine
    engine.dispose()


def client_for(engine) -> TestClient:
    return TestClient(Starlette(routes=SurveyWeb(lambda: engine).routes()), base_url="http://survey.test")


@pytest.fixture
def client(engine):
    with client_for(engine) as client:
        yield client


def new_link(engine, group="clients", channel="Official website", language="zh") -> str:
    with transaction(engine) as session:
        (link,) = issue_invitations(
            session=session, assessment_key="2021", group=group, channel=channel, language=language
        )
    return link.token


def text_of(html: str) -> str:
    """The page's text without tags, whitespace folded."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def full_answers(catalog, html: str, skip=()) -> dict[str, str]:
    data = form_fields(html)
    for i, topic in enumerate(catalog.topics):
        if topic.key not in skip:
            data[f"rating-{topic.key}"] = "dont_know" if i == 0 else str(1 + i % 5)
    return data


def count(engine, model) -> int:
    with transaction(engine, write=False) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_link_shows_the_whole_form_in_the_invitation_language(engine, client, catalog):
    token = new_link(engine, language="zh")
    page = client.get("/survey", params={"token": token})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    html, text = page.text, text_of(page.text)
    assert '<html lang="zh-Hans">' in html and f"<h1>{ZH['title.importance']}</h1>" in html
    assert "2021年度重要性评估" in text and "客户" in text and "隐私保护" in text and "约 5 分钟" in text
    assert '<details class="about">' in html  # the introduction folds away on a phone
    assert html.count("<fieldset") == len(catalog.topics) == 16
    assert html.count("<legend>") == len(catalog.topics)
    assert f'<legend><h2><span class="number">1.</span> {catalog.topics[0].name_zh}</h2></legend>' in html
    assert catalog.topics[0].description_zh in text
    first = html.split("<fieldset")[1].split("</fieldset>")[0]
    assert "该议题对您有多重要？" in first
    labels = re.findall(r'type="radio" name="rating-[a-z_]+" value="([^"]+)"> <span>([^<]+)</span>', first)
    assert labels == [
        ("1", "1 · 不重要"),
        ("2", "2 · 略微重要"),
        ("3", "3 · 一般重要"),
        ("4", "4 · 非常重要"),
        ("5", "5 · 极其重要"),
        ("dont_know", "不清楚"),
    ]
    assert " checked>" not in html
    assert html.count('maxlength="1000"') == 16 and 'name="suggestion"' in html
    assert "已回答 0/16 个议题" in text
    assert ZH["save"] in text and ZH["submit"] in text
    assert "<script>" not in html and " on" not in re.sub(r'"[^"]*"', "", html)  # no inline script
    with transaction(engine, write=False) as session:
        assert session.scalar(select(Invitation.opened_at)) is not None
    assert count(engine, Response) == 0


def test_the_language_is_chosen_by_link_and_kept_on_reload(engine, client):
    token = new_link(engine, language="zh")
    english = client.get("/survey", params={"token": token, "lang": "en"})
    assert EN["title.importance"] in english.text and '<html lang="en">' in english.text
    assert 'aria-current="true">English' in english.text
    assert english.cookies.get("survey_lang") == "en"
    reload = client.get("/survey", params={"token": token})  # the browser keeps the cookie
    assert EN["title.importance"] in reload.text
    assert "1 · Not important" in reload.text
    back = client.get("/survey", params={"token": token, "lang": "zh"})
    assert ZH["title.importance"] in back.text
    client.cookies.clear()
    assert ZH["title.importance"] in client.get("/survey", params={"token": token}).text


def test_a_draft_is_saved_and_resumed_from_the_same_link(engine, client, catalog):
    token = new_link(engine, language="en")
    html = client.get("/survey", params={"token": token}).text
    data = {
        **form_fields(html),
        "rating-emissions": "2",
        "rating-customer_service": "dont_know",
        "rating-recruitment": "9",  # outside the scale: no answer
        "comment-emissions": "Fewer trucks",
        "action": "save",
    }
    saved = client.post(f"/survey?token={token}&lang=en", data=data)
    assert saved.status_code == 200 and EN["saved"] in text_of(saved.text)
    with transaction(engine, write=False) as session:
        draft = session.scalar(select(Invitation.draft))
    assert draft["ratings"] == {"emissions": 2, "customer_service": None}
    assert draft["comments"] == {"emissions": "Fewer trucks"}

    with client_for(engine) as later:  # another browser, days later
        page = later.get("/survey", params={"token": token})
    assert EN["resumed"] in text_of(page.text)
    assert 'name="rating-emissions" value="2" checked' in page.text
    assert 'name="rating-customer_service" value="dont_know" checked' in page.text
    assert 'name="rating-recruitment" value="1">' in page.text
    assert 'name="comment-emissions" maxlength="1000" value="Fewer trucks"' in page.text
    assert "2 of 16 topics answered" in text_of(page.text)
    assert count(engine, Response) == 0


def test_autosave_keeps_the_draft_and_refuses_other_forms(engine, client):
    token = new_link(engine)
    fields = form_fields(client.get("/survey", params={"token": token}).text)
    kept = client.post(f"/survey/draft?token={token}", data={**fields, "rating-emissions": "4"})
    assert kept.status_code == 204
    with transaction(engine, write=False) as session:
        assert session.scalar(select(Invitation.draft))["ratings"] == {"emissions": 4}
    forged = client.post(f"/survey/draft?token={token}", data={"csrf": "0" * 64, "rating-emissions": "1"})
    assert forged.status_code == 403
    other = new_link(engine)
    borrowed = client.post(f"/survey/draft?token={other}", data={**fields, "rating-emissions": "1"})
    assert borrowed.status_code == 403  # the field fits one link only
    assert client.post("/survey/draft?token=nonsense", data=fields).status_code == 409
    with transaction(engine, write=False) as session:
        drafts = session.scalars(select(Invitation.draft).order_by(Invitation.id)).all()
    assert drafts == [{"ratings": {"emissions": 4}, "comments": {}, "suggestion": ""}, None]


def test_a_submission_stores_exactly_the_answers_once(engine, client, catalog):
    token = new_link(engine)
    html = client.get("/survey", params={"token": token}).text
    data = full_answers(catalog, html)
    data["comment-recruitment"] = "<script>alert(1)</script>\x00 fair\x07 pay\r\nplease"
    data["comment-emissions"] = "   "
    data["suggestion"] = "=cmd|' /C calc'!A0\x1b"
    done = client.post(f"/survey?token={token}", data={**data, "action": "submit"})
    assert done.status_code == 200 and ZH["thanks"] in text_of(done.text)
    assert "<fieldset" not in done.text
    with transaction(engine, write=False) as session:
        (response,) = session.scalars(select(Response)).all()
        stored = dict(session.execute(select(Topic.key, Rating.value).join(Rating)).all())
        comments = sorted(session.scalars(select(Comment.text)).all())
        invitation = session.scalar(select(Invitation))
    assert response.invitation_id == invitation.id and invitation.submitted_at is not None
    assert response.language == "zh" and response.source == "web"
    assert stored == {t.key: None if i == 0 else 1 + i % 5 for i, t in enumerate(catalog.topics)}
    # NUL and control characters gone, line ends kept as newlines; the text itself stored as given
    assert comments == ["<script>alert(1)</script> fair pay\nplease", "=cmd|' /C calc'!A0"]
    assert invitation.draft is None

    again = client.get("/survey", params={"token": token})
    assert again.status_code == 410 and ZH["already_submitted"] in again.text
    assert "<fieldset" not in again.text
    resent = client.post(f"/survey?token={token}", data={**data, "action": "submit"})
    assert resent.status_code == 410 and ZH["already_submitted"] in resent.text
    assert count(engine, Response) == 1


def test_two_tabs_submitting_at_once_store_one_response(engine, catalog):
    token = new_link(engine)
    with client_for(engine) as client:
        data = full_answers(catalog, client.get("/survey", params={"token": token}).text)
    start = threading.Barrier(8)
    statuses: list[int] = []

    def tab() -> None:
        with client_for(engine) as own:
            start.wait()
            statuses.append(own.post(f"/survey?token={token}", data={**data, "action": "submit"}).status_code)

    tabs = [threading.Thread(target=tab) for _ in range(8)]
    for t in tabs:
        t.start()
    for t in tabs:
        t.join()
    assert sorted(statuses) == [200] + [410] * 7
    assert count(engine, Response) == 1
    assert count(engine, Rating) == len(catalog.topics)


def test_missing_answers_are_counted_and_the_page_opens_at_the_first(engine, client, catalog):
    token = new_link(engine, language="en")
    html = client.get("/survey", params={"token": token}).text
    skipped = ["recruitment", "emissions", "community_engagement"]
    data = full_answers(catalog, html, skip=skipped)
    data["comment-emissions"] = "kept"
    page = client.post(f"/survey?token={token}&lang=en", data={**data, "action": "submit"})
    assert page.status_code == 422
    text = text_of(page.text)
    assert EN["missing_summary"].format(count=3) in text
    assert text.count(EN["required"]) == 3
    order = [t.key for t in catalog.topics if t.key in skipped]
    # the form's address ends in #missing: the browser opens the answer page at the first gap
    assert 'action="/survey?token=' in page.text and '#missing"' in page.text
    first = page.text.split(f'id="topic-{order[0]}"')[1].split("</fieldset>")[0]
    assert 'id="missing"' in first and EN["missing_here"].format(count=3) in text_of(first)
    assert page.text.count('class="topic missing"') == 3
    assert 'name="comment-emissions" maxlength="1000" value="kept"' in page.text
    assert page.text.count(" checked>") == len(catalog.topics) - 3
    assert count(engine, Response) == 0
    with transaction(engine, write=False) as session:  # nothing typed is lost
        assert len(session.scalar(select(Invitation.draft))["ratings"]) == len(catalog.topics) - 3

    for key in skipped:
        data[f"rating-{key}"] = "3"
    done = client.post(f"/survey?token={token}&lang=en", data={**data, "action": "submit"})
    assert done.status_code == 200 and EN["thanks"] in done.text
    assert count(engine, Response) == 1


def test_closed_used_unknown_and_malformed_links_get_a_polite_page(engine, client, catalog):
    token = new_link(engine, language="en")
    with transaction(engine) as session:
        set_status(session=session, key="2021", status="closed")
    closed = client.get("/survey", params={"token": token})
    assert closed.status_code == 410 and EN["closed"] in closed.text and "<fieldset" not in closed.text
    posted = client.post(f"/survey?token={token}", data={"action": "submit"})
    assert posted.status_code == 410 and EN["closed"] in posted.text

    unknown = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in ("", "short", "%00", "\x00", "x" * 300, "<script>", unknown):
        page = client.get("/survey", params={"token": bad})
        assert page.status_code == 404, bad
        assert EN["invalid_link"] in text_of(page.text) and ZH["invalid_link"] in text_of(page.text)
        assert "<fieldset" not in page.text and "&lt;script&gt;" not in page.text
    assert client.get("/survey").status_code == 404
    assert client.post("/survey?token=short", data={"action": "submit"}).status_code == 404


def test_internal_assessors_rate_business_impact(engine, client):
    token = new_link(engine, group="management", channel="Internal assessment workshop", language="en")
    page = client.get("/survey", params={"token": token}).text
    assert EN["title.business_impact"] in page
    assert "How significant is this topic to the company&#39;s business?" in page
    assert "1 · No impact" in page and "5 · Critical impact" in page
    assert "As an internal assessor you rate how significant" in text_of(page)


def test_an_open_link_keeps_nothing_before_submission(engine, client, catalog):
    with transaction(engine) as session:
        link, _ = issue_open_link(session=session, assessment_key="2021", group="community", language="en")
    html = client.get("/survey", params={"token": link.token}).text
    assert EN["open_link"] in text_of(html)
    assert EN["save"] not in html and 'data-draft-url=""' in html
    fields = form_fields(html)
    half = client.post(
        f"/survey?token={link.token}", data={**fields, "rating-emissions": "4", "action": "submit"}
    )
    assert half.status_code == 422
    with transaction(engine, write=False) as session:
        assert session.scalar(select(Invitation.draft_saved_at)) is None
    for _ in range(2):  # two strangers on the same link
        done = client.post(
            f"/survey?token={link.token}", data={**full_answers(catalog, html), "action": "submit"}
        )
        assert EN["thanks"] in done.text
    assert " checked>" not in client.get("/survey", params={"token": link.token}).text
    assert count(engine, Response) == 2


def test_a_form_from_elsewhere_is_refused_with_the_answers_kept(engine, client, catalog):
    token = new_link(engine, language="en")
    data = full_answers(catalog, client.get("/survey", params={"token": token}).text)
    data["comment-emissions"] = "my words"
    forged = {**data, "csrf": "f" * 64, "action": "submit"}
    refused = client.post(f"/survey?token={token}", data=forged)
    assert refused.status_code == 403 and EN["stale_form"] in text_of(refused.text)
    assert 'value="my words"' in refused.text and refused.text.count(" checked>") == len(catalog.topics)
    cross = client.post(
        f"/survey?token={token}",
        data={**data, "action": "submit"},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    sneaky = client.post(
        f"/survey?token={token}", data={**data, "action": "submit"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert sneaky.status_code == 403
    assert count(engine, Response) == 0
    fresh = form_fields(refused.text)  # the page that said no carries a good field
    done = client.post(f"/survey?token={token}", data={**data, **fresh, "action": "submit"})
    assert done.status_code == 200 and count(engine, Response) == 1


@pytest.mark.parametrize("trouble", ["locked", "full", "read-only"])
def test_a_database_in_trouble_asks_to_try_again_and_keeps_the_answers(tmp_path, catalog, trouble):
    path = tmp_path / "trouble.db"
    engine = create_db_engine(f"sqlite:///{path}")
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=catalog)
        set_status(session=session, key="2021", status="open")
    token = new_link(engine, language="en")
    with client_for(engine) as client:
        html = client.get("/survey", params={"token": token}).text
    # a long suggestion needs new pages of the file (overflow pages), which a full disk refuses
    data = {**full_answers(catalog, html), "comment-emissions": "keep me", "action": "submit"}
    data["suggestion"] = "需要更多页面" * 600

    @event.listens_for(engine, "connect")
    def _trouble(dbapi_connection, _record):  # runs after the engine's own settings
        if trouble == "locked":
            dbapi_connection.execute("PRAGMA busy_timeout = 200")
        elif trouble == "full":  # the file may not grow: SQLite says "database or disk is full"
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")
        else:
            dbapi_connection.execute("PRAGMA query_only = ON")

    engine.dispose()  # new connections from here on
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("VACUUM")  # no free pages left inside the file
    holder.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if trouble == "locked":
        holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        with client_for(engine) as client:
            page = client.post(f"/survey?token={token}", data=data)
            saved = client.post(f"/survey?token={token}", data={**data, "action": "save"})
            autosave = client.post(f"/survey/draft?token={token}", data=data)
            shown = client.get("/survey", params={"token": token})
    finally:
        holder.close()
    assert page.status_code == 503 and page.headers["retry-after"] == "60"
    assert EN["try_again_title"] in page.text and EN["try_again"] in text_of(page.text)
    assert "Traceback" not in page.text and "sqlite" not in page.text.lower()
    assert 'value="keep me"' in page.text and page.text.count(" checked>") == len(catalog.topics)
    assert saved.status_code == 503 and 'value="keep me"' in saved.text
    assert autosave.status_code == 503
    if trouble != "locked":  # reading still works; a locked file in WAL mode can be read as well
        assert shown.status_code == 200
    engine.dispose()
    event.remove(engine, "connect", _trouble)
    assert count(engine, Response) == 0


def test_hostile_text_is_shown_as_text(engine, client):
    token = new_link(engine, language="en")
    fields = form_fields(client.get("/survey", params={"token": token}).text)
    payload = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    client.post(
        f"/survey/draft?token={token}", data={**fields, "comment-emissions": payload, "suggestion": payload}
    )
    page = client.get("/survey", params={"token": token}).text
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_company_logo_and_contact_come_from_the_settings(engine, client, tmp_path, monkeypatch):
    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 40), (11, 79, 138)).save(logo)
    monkeypatch.setenv("MATERIALITY_COMPANY_NAME", "Acme <Holdings>")
    monkeypatch.setenv("MATERIALITY_SURVEY_CONTACT", "esg@acme.example")
    monkeypatch.setenv("MATERIALITY_COMPANY_LOGO", str(logo))
    get_settings.cache_clear()
    try:
        page = client.get("/survey", params={"token": new_link(engine, language="en")}).text
        image = client.get("/survey/logo")
        unknown = client.get("/survey", params={"token": "nope"}).text
    finally:
        get_settings.cache_clear()
    assert '<span class="company">Acme &lt;Holdings&gt;</span>' in page
    assert '<img class="logo" src="/survey/logo" alt="">' in page
    assert '<a href="mailto:esg@acme.example">esg@acme.example</a>' in page
    assert EN["contact"] in text_of(page)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content == logo.read_bytes()
    assert "esg@acme.example" in unknown  # whom to ask, also when the link is broken
    monkeypatch.delenv("MATERIALITY_COMPANY_LOGO")
    get_settings.cache_clear()
    try:
        assert client.get("/survey/logo").status_code == 404  # no logo set
    finally:
        get_settings.cache_clear()


def test_the_committee_preview_shows_a_group_form_without_a_link(engine, client):
    query = service.preview_query(engine=engine, assessment_key="2021", group="management")
    page = client.get(f"/survey/preview?{query}")
    assert page.status_code == 200
    assert EN["preview"] in text_of(page.text) and EN["title.business_impact"] in page.text
    assert page.text.count("<fieldset") == 16 and page.text.count(" disabled") >= 16 * 6
    assert EN["submit"] not in page.text and 'name="csrf" value=""' in page.text
    chinese = client.get(f"/survey/preview?{query}&lang=zh")
    assert ZH["title.business_impact"] in chinese.text
    tampered = query.replace("group=management", "group=clients")
    assert client.get(f"/survey/preview?{tampered}").status_code == 404
    expired = service.preview_query(engine=engine, assessment_key="2021", group="clients", now=1_000_000)
    assert client.get(f"/survey/preview?{expired}").status_code == 404
    assert client.get("/survey/preview").status_code == 404
    assert count(engine, Invitation) == 0


def test_the_committee_preview_page_links_to_a_working_preview(engine, client, monkeypatch):
    monkeypatch.setenv("MATERIALITY_DATABASE_URL", str(engine.url))
    monkeypatch.setenv("MATERIALITY_ADMIN_PASSWORD", "a committee secret")
    get_settings.cache_clear()
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "navigation.py"), default_timeout=60)
        sign_in(at, "committee")
        at.run()  # the committee's pages are registered once signed in
        at.switch_page("app_pages/survey_preview.py")
        at.run()
        assert not at.exception, at.exception
        at.selectbox(key="preview_group").set_value("employees").run()
        assert not at.exception, at.exception
        (button,) = at.get("link_button")
    finally:
        st.cache_resource.clear()
        get_settings.cache_clear()
    url = button.proto.url
    assert url.startswith("/survey/preview?assessment=2021&group=employees&expires=")
    page = client.get(url)
    assert page.status_code == 200 and "Employees" in page.text and EN["preview"] in text_of(page.text)
    assert count(engine, Invitation) == 0


@pytest.mark.postgres
def test_on_postgresql_nul_is_dropped_and_two_tabs_store_one_response(postgres_schema_url, catalog):
    engine = create_db_engine(postgres_schema_url)
    try:
        with transaction(engine) as session:
            create_assessment(session=session, key="2021", year=2021, catalog=catalog)
            set_status(session=session, key="2021", status="open")
        token = new_link(engine, language="en")
        with client_for(engine) as client:
            data = full_answers(catalog, client.get("/survey", params={"token": token}).text)
            data |= {"comment-emissions": "less\x00 waste\x1b", "suggestion": "water\x00", "action": "save"}
            assert (
                client.post(f"/survey?token={token}", data=data).status_code == 200
            )  # PostgreSQL took the draft
        data["action"] = "submit"
        start = threading.Barrier(6)
        statuses: list[int] = []

        def tab() -> None:
            with client_for(engine) as own:
                start.wait()
                statuses.append(own.post(f"/survey?token={token}", data=data).status_code)

        tabs = [threading.Thread(target=tab) for _ in range(6)]
        for t in tabs:
            t.start()
        for t in tabs:
            t.join()
        assert sorted(statuses) == [200] + [410] * 5
        with transaction(engine, write=False) as session:
            assert session.scalar(select(func.count()).select_from(Response)) == 1
            assert sorted(session.scalars(select(Comment.text)).all()) == ["less waste", "water"]
    finally:
        engine.dispose()
