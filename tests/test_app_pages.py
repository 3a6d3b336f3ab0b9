"""The committee's pages, run through Streamlit's AppTest on real SQLite files: the demo
assessments, an empty assessment, one with a single respondent and no management ratings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from accounts_helpers import sign_in
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from analysis.pipeline import analyse
from render.matrix import matrix_chart, matrix_frame
from services import fieldwork
from survey.assessments import create_assessment, load_index
from survey.db import create_db_engine, transaction
from survey.demo import create_demo
from survey.methods import method_history
from survey.models import Response
from survey.reads import load_assessment_data, topic_comments
from survey.responses import RatingIn, ResponseIn, record_response
from survey.settings import get_settings

APP = str(Path(__file__).resolve().parent.parent / "navigation.py")
PASSWORD = "committee password for the page tests"
# each page and the start of its title
PAGES = {
    "app_pages/overview.py": "Materiality assessment",
    "app_pages/matrix.py": "Materiality matrix: ",
    "app_pages/whatif.py": "What-if and method: ",
    "app_pages/channels.py": "Stakeholder channel map: ",
    "app_pages/year_over_year.py": "Year over year: ",
    "app_pages/campaign.py": "Campaign: ",
    "app_pages/new_assessment.py": "New assessment",
    "app_pages/imports.py": "Import responses into ",
    "app_pages/reports.py": "Reports: ",
}


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, catalog) -> Path:
    """The demo database, built once; each test works on its own copy."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = create_db_engine(f"sqlite:///{path}")
    with transaction(engine) as session:
        create_demo(session=session, catalog=catalog)
    engine.dispose()
    return path


def point_app_at(url: str, monkeypatch) -> None:
    monkeypatch.setenv("MATERIALITY_DATABASE_URL", url)
    monkeypatch.setenv("MATERIALITY_ADMIN_PASSWORD", PASSWORD)
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def demo_db(tmp_path, monkeypatch, demo_template):
    """A copy of the demo database with an empty assessment `2021` added; the app points at it."""
    path = tmp_path / "app.db"
    shutil.copy(demo_template, path)
    url = f"sqlite:///{path}"
    point_app_at(url, monkeypatch)
    engine = create_db_engine(url)
    yield engine
    st.cache_resource.clear()
    st.cache_data.clear()
    get_settings.cache_clear()
    engine.dispose()


def add_empty_assessment(engine, catalog, key: str = "2021") -> None:
    with transaction(engine) as session:
        create_assessment(session=session, key=key, year=int(key), catalog=catalog)


def signed_in(page: str, assessment: str | None = None) -> AppTest:
    """A committee member's session on `page` (signed in as the sign-in page does)."""
    at = AppTest.from_file(APP, default_timeout=60)
    sign_in(at)
    if assessment is not None:
        at.session_state["chosen_assessment"] = assessment
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "warning", "error", "success", "text")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_demo_data(demo_db, page):
    at = signed_in(page, "2020")
    assert at.title[0].value.startswith(PAGES[page])


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_assessment(demo_db, catalog, page):
    add_empty_assessment(demo_db, catalog)
    at = signed_in(page, "2021")
    assert at.title[0].value.startswith(PAGES[page])


# The column that tells each table of the pages apart (AppTest finds plain tables by position only).
TABLES = {
    "overview_groups": "links_issued",
    "overview_headline": "stability",
    "matrix_topics": "Stability (chance of the same tier)",
    "matrix_breakdown": "group_name",
    "whatif_moves": "tier_after",
    "import_columns": "read as",
}


def frame(at: AppTest, key: str):
    """The table a page shows under `key`."""
    for table in at.dataframe:
        value = table.value
        if TABLES[key] in value.columns:
            return value
    raise AssertionError(f"no table {key} on the page")


def test_committee_pages_need_the_password(demo_db):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert at.title[0].value == "Committee sign-in"
    for page in PAGES:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)
    at.text_input(key="email").input("admin@localhost")
    at.text_input(key="password").input("not the password")
    at.button(key="sign_in_submit").click().run()
    assert [e.value for e in at.error] == ["That e-mail address and password do not match."]
    assert at.title[0].value == "Committee sign-in"
    at.text_input(key="email").input("admin@localhost")
    at.text_input(key="password").input(PASSWORD)
    at.button(key="sign_in_submit").click().run()
    assert not at.exception
    at.switch_page("app_pages/matrix.py").run()
    assert at.title[0].value.startswith("Materiality matrix: ")


def test_overview_and_matrix_show_the_demo_result(demo_db):
    at = signed_in("app_pages/overview.py", "2020")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Topics"] == "16" and metrics["Responses"] == "510" and metrics["Status"] == "closed"
    groups = frame(at, "overview_groups")
    assert groups["responses"].sum() == 510 and len(groups) == 8
    headline = frame(at, "overview_headline")
    assert len(headline) == 7 and set(headline["stability"]) <= {"stable", "uncertain"}

    at = signed_in("app_pages/matrix.py", "2020")
    topics = frame(at, "matrix_topics")
    assert len(topics) == 16 and list(topics["Tier"]).count("high") == 7
    assert "Business ethics and anti-corruption" in set(topics["Topic"])  # full names
    assert len(at.get("vega_lite_chart")) == 1
    at.selectbox(key="matrix_topic").set_value("climate_change").run()
    assert at.subheader[1].value == "Climate change"
    breakdown = frame(at, "matrix_breakdown")
    assert len(breakdown) == 8 and breakdown["n"].sum() > 0


def test_pages_on_a_single_respondent_without_management_ratings(demo_db, catalog):
    add_empty_assessment(demo_db, catalog, "2022")
    with transaction(demo_db) as session:
        index = load_index(session=session, assessment_key="2022")
        record_response(
            session=session,
            index=index,
            response_in=ResponseIn(
                group="clients",
                ratings=[RatingIn(topic=t.key, value=1 + i % 5) for i, t in enumerate(catalog.topics)],
            ),
        )
    for page in PAGES:
        at = signed_in(page, "2022")
        assert at.title[0].value.startswith(PAGES[page])
    at = signed_in("app_pages/overview.py", "2022")
    assert "No management ratings yet" in texts(at)
    at = signed_in("app_pages/matrix.py", "2022")
    assert "No topic has ratings on both axes yet" in texts(at)
    assert frame(at, "matrix_breakdown")["suppressed"].all()  # one respondent: withheld


def test_an_empty_assessment_says_so(demo_db, catalog):
    add_empty_assessment(demo_db, catalog)
    for page in (
        "app_pages/matrix.py",
        "app_pages/channels.py",
        "app_pages/whatif.py",
        "app_pages/year_over_year.py",
    ):
        at = signed_in(page, "2021")
        assert "No responses yet" in texts(at), page


def test_comments_are_plain_text_and_small_groups_are_withheld(demo_db, catalog):
    link = "[click me](https://example.com/phish) <img src=x onerror=alert(1)>"
    with transaction(demo_db) as session:
        index = load_index(session=session, assessment_key="2020")
        for group, comment in (("employees", link), ("regulators", "who wrote this is easy to tell")):
            record_response(
                session=session,
                index=index,
                response_in=ResponseIn(
                    group=group,
                    ratings=[RatingIn(topic="emissions", value=4)],
                    comments={"emissions": comment},
                ),
            )
        # regulators: 10 responses (over the minimum of 5); a new tiny group would be withheld
        shown, withheld = topic_comments(
            session=session, assessment_key="2020", topic="emissions", min_group_size=11
        )
    assert list(shown["text"]) == [link] and withheld == 1
    at = signed_in("app_pages/matrix.py", "2020")
    at.selectbox(key="matrix_topic").set_value("emissions").run()
    assert link in [t.value for t in at.text]
    assert all(link not in m.value for m in at.markdown)


def test_what_if_moves_topics_and_a_saved_method_is_logged(demo_db):
    at = signed_in("app_pages/whatif.py", "2020")
    assert not frame(at, "whatif_moves")["moved"].any()  # the controls start at the method in force
    at.radio(key="whatif_tiers").set_value(3).run()
    moves = frame(at, "whatif_moves")
    assert "low" in set(moves["tier_after"]) and moves["moved"].any()
    at.radio(key="whatif_tiers").set_value(2)
    at.selectbox(key="whatif_tiering").set_value("thresholds").run()
    at.number_input(key="whatif_cut_2_0").set_value(4.25).run()
    moves = frame(at, "whatif_moves")
    moved = moves[moves["moved"]]
    assert len(moved) >= 3 and set(moved["tier_after"]) == {"material"}
    assert (moves.loc[moves["tier_after"] == "high", "combined_score"] >= 4.25).all()
    assert f"**{len(moved)} topic(s) change tier**" in [m.value for m in at.markdown][0]

    at.button(key="method_save").click().run()
    assert any("Say why" in e.value for e in at.error)
    at.text_area(key="method_reason").input("Only topics above 4.25 are reported as high.")
    at.button(key="method_save").click().run()
    assert not at.exception
    with transaction(demo_db, write=False) as session:
        history = method_history(session=session, assessment_key="2020")
    assert len(history) == 1 and history["author"][0] == "committee@example.com"  # the account signed in
    assert history["config"][0]["tiering"] == {"method": "thresholds", "n_tiers": 2, "thresholds": [4.25]}
    assert history["config"][0]["resamples"] == 1000  # saved with the full resamples
    log = [t.value for t in at.text]
    assert "committee@example.com" in log and "Only topics above 4.25 are reported as high." in log
    assert any("tiering.method: jenks -> thresholds" in t for t in log)
    at = signed_in("app_pages/matrix.py", "2020")  # the saved method is now in force
    topics = frame(at, "matrix_topics")
    assert list(topics["Tier"]).count("high") == len(moves[moves["tier_after"] == "high"])


BAD_EXPORT = (
    b"response_id,group,topic,dimension,value\n"
    b"r1,employees,health_safety,importance,7\n"
    b"r1,employees,not_a_topic,importance,3\n"
    b"r2,aliens,health_safety,importance,4\n"
)


def test_import_preview_lists_every_problem_and_imports_nothing(demo_db):
    at = signed_in("app_pages/imports.py", "2020")
    at.file_uploader(key="import_file").set_value(("bad.csv", BAD_EXPORT, "text/csv")).run()
    assert not at.exception
    assert "3 problem(s) found" in at.error[0].value
    listed = at.text[0].value
    assert "bad.csv, row 2" in listed and "7" in listed
    assert "not_a_topic" in listed and "aliens" in listed
    assert "import_run" not in [b.key for b in at.button]  # nothing to import until fixed


def test_import_of_a_good_file_with_the_progress_bar(demo_db):
    export = (Path(__file__).parent / "fixtures" / "imports" / "long.csv").read_bytes()
    at = signed_in("app_pages/imports.py", "2020")
    at.file_uploader(key="import_file").set_value(("long.csv", export, "text/csv")).run()
    assert not at.error, [e.value for e in at.error]
    assert "long" in at.markdown[0].value and len(frame(at, "import_columns")) == 7
    at.button(key="import_run").click().run()
    assert not at.exception and "added" in at.success[-1].value
    with transaction(demo_db, write=False) as session:
        sources = session.scalars(select(Response.source).where(Response.source == "import:long")).all()
    assert len(sources) > 0


def test_matrix_of_an_assessment_without_ratings_after_one_with_ratings(demo_db, catalog):
    """Once raised a TypeError: the previous year's positions of no topics came out as text."""
    add_empty_assessment(demo_db, catalog)
    with transaction(demo_db) as session:
        data = load_assessment_data(session=session, assessment_key="2021")
        previous = load_assessment_data(session=session, assessment_key="2020")
    result = analyse(data, None, previous)
    frame_, _, _, _ = matrix_frame(result)
    assert frame_.empty and frame_["business_previous"].dtype == float
    spec = matrix_chart(result).to_dict()
    assert spec["layer"] and result.topics["tier"].isna().all()


def test_a_page_run_reads_the_versions_once_and_new_links_show_at_once(demo_db):
    """A run with warm caches opens three transactions (the sign-in's session check, the
    assessment list, then the versions of the chosen one), however many results the page shows;
    links issued since then show at once."""
    at = signed_in("app_pages/overview.py", "2020")
    issued = int({m.label: m.value for m in at.metric}["Survey links issued"])
    begun: list[object] = []

    def count(connection) -> None:
        begun.append(connection)

    event.listen(Engine, "begin", count)
    try:
        at.run()
    finally:
        event.remove(Engine, "begin", count)
    assert not at.exception and len(begun) == 3
    fieldwork.issue_links(engine=demo_db, assessment_key="2020", group="clients", count=3)
    at.run()
    assert int({m.label: m.value for m in at.metric}["Survey links issued"]) == issued + 3
