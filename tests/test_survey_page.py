"""The survey page and the sign-in gate, run through Streamlit's AppTest on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from survey import i18n
from survey.assessments import create_assessment, set_status
from survey.db import create_db_engine, transaction
from survey.issuing import issue_invitations, issue_open_link
from survey.models import Account, Comment, Invitation, Rating, Response
from survey.settings import get_settings

APP = str(Path(__file__).resolve().parent.parent / "navigation.py")
SURVEY = "app_pages/survey.py"
EN, ZH = i18n.STRINGS["en"], i18n.STRINGS["zh"]


@pytest.fixture
def database(tmp_path, monkeypatch, catalog):
    """An open assessment `2021` in a fresh SQLite file the app is pointed at."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("MATERIALITY_DATABASE_URL", url)
    monkeypatch.setenv("MATERIALITY_ADMIN_PASSWORD", "correct horse battery staple")
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
    engine = create_db_engine(url)
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=catalog)
        set_status(session=session, key="2021", status="open")
    yield engine
    st.cache_resource.clear()
    get_settings.cache_clear()
    engine.dispose()


def new_link(engine, group="clients", channel="Official website", language="zh") -> str:
    with transaction(engine) as session:
        (link,) = issue_invitations(
            session=session, assessment_key="2021", group=group, channel=channel, language=language
        )
    return link.token


def open_survey(token: str | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.switch_page(SURVEY)
    if token is not None:
        at.query_params["token"] = token
    at.run()
    assert not at.exception, at.exception
    return at


def rate(at: AppTest, language: str, topic: str, value) -> None:
    at.radio(key=f"survey_rate_{language}_{topic}").set_value(value)


def answer_all(at: AppTest, catalog, language: str, skip: tuple[str, ...] = ()) -> None:
    for i, topic in enumerate(catalog.topics):
        if topic.key not in skip:
            rate(at, language, topic.key, "dont_know" if i == 0 else 1 + i % 5)
    at.run()
    assert not at.exception, at.exception


def infos(at: AppTest) -> list[str]:
    return [element.value for element in at.info]


def count(engine, model) -> int:
    with transaction(engine, write=False) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_valid_link_shows_the_whole_form_in_the_invitation_language(database, catalog):
    token = new_link(database, language="zh")
    at = open_survey(token)
    assert at.title[0].value == ZH["title.importance"]
    text = "\n".join(m.value for m in at.markdown)
    assert "2021年度重要性评估" in text and "客户" in text and "隐私保护" in text and "约 5 分钟" in text
    radios = at.radio
    assert len(radios) == len(catalog.topics)
    assert radios[0].label == "该议题对您有多重要？"
    assert radios[0].options == [
        "1 · 不重要",
        "2 · 略微重要",
        "3 · 一般重要",
        "4 · 非常重要",
        "5 · 极其重要",
        "不清楚",
    ]
    assert all(r.value is None for r in radios)
    assert [s.value for s in at.subheader][:2] == [
        f"1. {catalog.topics[0].name_zh}",
        f"2. {catalog.topics[1].name_zh}",
    ]
    assert at.caption[1].value == catalog.topics[0].description_zh
    assert at.get("progress")[0].proto.text == "已回答 0/16 个议题"
    assert at.button(key="survey_save").label == ZH["save"]
    with transaction(database, write=False) as session:
        assert session.scalar(select(Invitation.opened_at)) is not None
    assert count(database, Response) == 0


def test_draft_is_saved_and_resumed_from_the_same_link(database, catalog):
    token = new_link(database)
    at = open_survey(token)
    rate(at, "zh", "emissions", 2)
    rate(at, "zh", "customer_service", "dont_know")
    at.text_input(key="survey_comment_zh_emissions").input("Fewer trucks")
    at.run()
    assert at.get("progress")[0].proto.text == "已回答 2/16 个议题"
    at.button(key="survey_save").click().run()
    assert [s.value for s in at.success] == [ZH["saved"]]
    with transaction(database, write=False) as session:
        draft = session.scalar(select(Invitation.draft))
    assert draft["ratings"] == {"emissions": 2, "customer_service": None}
    assert draft["comments"] == {"emissions": "Fewer trucks"}

    later = open_survey(token)  # a new visit: a new browser session
    assert [s.value for s in later.success] == [ZH["resumed"]]
    assert later.radio(key="survey_rate_zh_emissions").value == 2
    assert later.radio(key="survey_rate_zh_customer_service").value == "dont_know"
    assert later.radio(key="survey_rate_zh_recruitment").value is None
    assert later.text_input(key="survey_comment_zh_emissions").value == "Fewer trucks"
    assert count(database, Response) == 0


def test_submit_stores_exactly_the_answers_and_a_second_visit_is_refused(database, catalog):
    token = new_link(database)
    at = open_survey(token)
    answer_all(at, catalog, "zh")
    at.text_input(key="survey_comment_zh_recruitment").input("<script>alert(1)</script>")
    at.text_area(key="survey_suggestion_zh").input("=cmd|' /C calc'!A0")
    at.button(key="survey_submit").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [ZH["thanks"]]
    assert len(at.radio) == 0
    with transaction(database, write=False) as session:
        (response,) = session.scalars(select(Response)).all()
        values = session.execute(select(Rating.value).order_by(Rating.topic_id)).scalars().all()
        comments = sorted(session.execute(select(Comment.text)).scalars().all())
    assert response.invitation_id is not None and response.language == "zh"
    assert values == [None] + [1 + i % 5 for i in range(1, len(catalog.topics))]
    assert comments == ["<script>alert(1)</script>", "=cmd|' /C calc'!A0"]  # stored, never rendered

    again = open_survey(token)
    assert infos(again) == [ZH["already_submitted"]]
    assert len(again.radio) == 0 and not again.button
    assert count(database, Response) == 1


def test_closed_assessment_and_bad_tokens_get_a_polite_uninformative_message(database, catalog):
    token = new_link(database, language="en")
    with transaction(database) as session:
        set_status(session=session, key="2021", status="closed")
    closed = open_survey(token)
    assert infos(closed) == [EN["closed"]] and len(closed.radio) == 0

    unknown = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (None, "", "short", "%00", "x" * 300, unknown):
        at = open_survey(bad)
        assert infos(at) == [EN["invalid_link"], ZH["invalid_link"]], bad
        assert len(at.radio) == 0 and len(at.title) == 0


def test_language_switch_keeps_answers(database, catalog):
    token = new_link(database, language="zh")
    at = open_survey(token)
    rate(at, "zh", "emissions", 5)
    at.run()
    at.segmented_control(key="survey_lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == EN["title.importance"]
    assert at.radio(key="survey_rate_en_emissions").value == 5
    assert at.radio(key="survey_rate_en_emissions").options[0] == "1 · Not important"
    assert at.get("progress")[0].proto.text == "1 of 16 topics answered"
    at.segmented_control(key="survey_lang").set_value("zh").run()
    assert at.radio(key="survey_rate_zh_emissions").value == 5


def test_missing_answers_are_marked_next_to_their_questions(database, catalog):
    token = new_link(database, language="en")
    at = open_survey(token)
    skipped = ("recruitment", "emissions", "community_engagement")
    answer_all(at, catalog, "en", skip=skipped)
    at.button(key="survey_submit").click().run()
    errors = [e.value for e in at.error]
    assert errors.count(EN["required"]) == 3
    assert EN["missing"].format(count=3) in errors
    assert count(database, Response) == 0
    # each message sits right after its topic's rating
    blocks = list(at.main.children.values())
    for topic in skipped:
        radio_at = next(
            i for i, b in enumerate(blocks) if getattr(b, "key", None) == f"survey_rate_en_{topic}"
        )
        assert blocks[radio_at + 1].value == EN["required"]

    rate(at, "en", "recruitment", 3)
    at.run()
    assert [e.value for e in at.error].count(EN["required"]) == 2
    for topic in skipped[1:]:
        rate(at, "en", topic, "dont_know")
    at.run()
    assert not at.error
    at.button(key="survey_submit").click().run()
    assert [s.value for s in at.success] == [EN["thanks"]]
    assert count(database, Response) == 1


def test_internal_assessors_rate_business_impact(database, catalog):
    token = new_link(database, group="management", channel="Internal assessment workshop", language="en")
    at = open_survey(token)
    assert at.title[0].value == EN["title.business_impact"]
    assert at.radio[0].label == "How significant is this topic to the company's business?"
    assert at.radio[0].options[0] == "1 · No impact" and at.radio[0].options[4] == "5 · Critical impact"
    assert EN["why.business_impact"] in [m.value for m in at.markdown]


def test_open_link_keeps_nothing_before_submission(database, catalog):
    with transaction(database) as session:
        link, _ = issue_open_link(session=session, assessment_key="2021", group="community", language="en")
    at = open_survey(link.token)
    assert [w.value for w in at.warning] == [EN["open_link"]]
    assert "survey_save" not in [b.key for b in at.button]
    rate(at, "en", "emissions", 4)
    at.run()
    with transaction(database, write=False) as session:
        assert session.scalar(select(Invitation.draft_saved_at)) is None
    answer_all(at, catalog, "en")
    at.button(key="survey_submit").click().run()
    assert [s.value for s in at.success] == [EN["thanks"]]
    assert len(open_survey(link.token).radio) == len(catalog.topics)  # the next person starts afresh


def test_without_sign_in_only_the_survey_and_sign_in_are_reachable(database):
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert at.title[0].value == "Committee sign-in"
    with pytest.raises(ValueError, match="Could not find a navigation page") as refused:
        at.switch_page("app_pages/overview.py")  # the committee's pages are not registered at all
    known = str(refused.value).split("Known pages:")[1]
    assert "login.py" in known and "survey.py" in known and "overview.py" not in known

    at.text_input(key="email").input("admin@localhost")
    at.text_input(key="password").input("wrong")
    at.button(key="sign_in_submit").click().run()
    assert [e.value for e in at.error] == ["That e-mail address and password do not match."]
    at.text_input(key="email").input("admin@localhost")
    at.text_input(key="password").input("correct horse battery staple")
    at.button(key="sign_in_submit").click().run()
    assert not at.exception
    assert at.title[0].value == "Materiality assessment 2021"  # the overview
    at.switch_page("app_pages/overview.py").run()
    assert [m.label for m in at.metric][:1] == ["Topics"]
    at.button(key="sign_out").click().run()
    assert at.title[0].value == "Committee sign-in"


def test_first_start_generates_a_password_and_stores_only_its_hash(database, monkeypatch, capsys):
    monkeypatch.delenv("MATERIALITY_ADMIN_PASSWORD")
    get_settings.cache_clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    printed = capsys.readouterr().out
    password = printed.split("only its hash is stored):")[1].split()[0]
    assert len(password) == 20
    with transaction(database, write=False) as session:
        stored = session.scalar(select(Account.password_hash).where(Account.email == "admin@localhost"))
    assert stored.startswith("scrypt$") and password not in stored
    at.text_input(key="email").input("admin@localhost")
    at.text_input(key="password").input(password)
    at.button(key="sign_in_submit").click().run()
    assert at.title[0].value != "Committee sign-in"
