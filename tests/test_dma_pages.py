"""The double-materiality pages through Streamlit's AppTest, on a real SQLite copy of the demo
(the 2020 assessment with its 40-IRO register) and on an assessment without a register."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from accounts_helpers import sign_in
from streamlit.testing.v1 import AppTest

from services import dma, rating
from services.assessments import create_assessment, create_demo
from survey.db import create_db_engine
from survey.iro_catalog import load_named_catalog
from survey.settings import get_settings

APP = str(Path(__file__).resolve().parent.parent / "navigation.py")
PAGES = {
    "app_pages/iro_register.py": "IRO register: ",
    "app_pages/dma_ratings.py": "Rating: ",
    "app_pages/dma_matrix.py": "Double-materiality matrix: ",
    "app_pages/dma_signoff.py": "Calibration and sign-off: ",
}


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dma") / "demo.db"
    engine = create_db_engine(f"sqlite:///{path}")
    create_demo(engine=engine)
    create_assessment(engine=engine, key="2025", year=2025, catalog=load_named_catalog("esrs-2023"))
    engine.dispose()
    return path


@pytest.fixture
def engine(tmp_path, monkeypatch, demo_file):
    path = tmp_path / "app.db"
    shutil.copy(demo_file, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("MATERIALITY_DATABASE_URL", url)
    monkeypatch.setenv("MATERIALITY_ADMIN_PASSWORD", "a committee password for the dma pages")
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
    engine = create_db_engine(url)
    yield engine
    st.cache_data.clear()
    st.cache_resource.clear()
    get_settings.cache_clear()
    engine.dispose()


def page(name: str, assessment: str, actor: str = "ann@example.com", role: str = "committee") -> AppTest:
    """`name` as the signed-in account `actor` of `role` sees it."""
    at = AppTest.from_file(APP, default_timeout=90)
    sign_in(at, role, actor)
    at.session_state["chosen_assessment"] = assessment
    at.switch_page(name)
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "text", "code")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


# The column that tells each table apart (AppTest finds plain tables by position only).
TABLES = {"dma_topics": "decision", "rating_progress": "share", "cal_ratings": "rationale"}


def table(at: AppTest, key: str):
    for element in at.dataframe:
        if TABLES[key] in element.value.columns:
            return element.value
    raise AssertionError(f"no table {key}")


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_with_and_without_a_register(engine, name):
    at = page(name, "2020")
    assert at.title[0].value.startswith(PAGES[name])
    at = page(name, "2025")
    assert at.title[0].value.startswith(PAGES[name])
    if name != "app_pages/iro_register.py":
        assert "No IRO register yet" in texts(at)


def test_matrix_page_shows_the_demo_decisions(engine):
    at = page("app_pages/dma_matrix.py", "2020")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["IROs"] == "40" and metrics["Material topics"] == "9 of 16"
    assert metrics["Flagged for calibration"] == "2"
    assert len(at.get("vega_lite_chart")) >= 1
    topics = table(at, "dma_topics")
    assert len(topics) == 16
    assert topics.set_index("name").loc["Climate change", "decision"] == "Material on both"


def test_rating_page_saves_an_assessors_ratings_and_refuses_a_missing_rationale(engine):
    at = page("app_pages/dma_ratings.py", "2020", actor="new.assessor@example.com", role="assessor")
    assert "No IROs are assigned to you in this assessment." in texts(
        at
    )  # an assessor rates what is assigned
    rating.assign(
        engine=engine,
        assessment_key="2020",
        iros=["CUS-3", "SUP-1"],
        assessor="new.assessor@example.com",
        actor="ann@example.com",
    )
    at = page("app_pages/dma_ratings.py", "2020", actor="new.assessor@example.com", role="assessor")
    assert [o.split(":")[0] for o in at.selectbox(key="rate_iro").options] == ["CUS-3", "SUP-1"]
    progress = table(at, "rating_progress")
    assert len(progress) == 4 and (progress["share"] == 1.0).all()
    at.selectbox(key="rate_iro").set_value("CUS-3").run()  # an actual positive impact: scale and scope
    assert {r.key for r in at.radio} == {"rate_scale", "rate_scope"}
    at.radio(key="rate_scale").set_value(3)
    at.radio(key="rate_scope").set_value(4)
    at.text_area(key="why_scale").input("Consoles in nine languages")
    [b for b in at.button if b.label == "Save my ratings"][0].click().run()
    assert (
        "the ratings of new.assessor@example.com, row 2, column 'rationale': a rationale is required"
        in texts(at)
    )
    assert "new.assessor@example.com" not in set(
        dma.dma_inputs(engine=engine, assessment_key="2020").ratings["assessor"]
    )
    at.radio(key="rate_scale").set_value(3)
    at.radio(key="rate_scope").set_value(4)
    at.text_area(key="why_scale").input("Consoles in nine languages")
    at.text_area(key="why_scope").input("Every customer can use them")
    [b for b in at.button if b.label == "Save my ratings"][0].click().run()
    assert not at.exception
    ratings = dma.dma_inputs(engine=engine, assessment_key="2020").ratings
    mine = ratings[ratings["assessor"] == "new.assessor@example.com"]
    assert sorted(zip(mine["criterion"], mine["value"], strict=True)) == [("scale", 3), ("scope", 4)]


def test_register_page_is_read_only_for_an_auditor_and_carries_last_year_forward(engine):
    at = page("app_pages/iro_register.py", "2020", actor="audrey@example.com", role="auditor")
    assert "Your role can read this page but not change it." in texts(at)
    assert [b for b in at.button if b.label == "Save the register"][0].disabled
    at = page("app_pages/iro_register.py", "2025")
    assert "No IRO register yet" not in texts(at)  # the register page is where one starts
    [b for b in at.button if b.label == "Carry last year's register forward"][0].click().run()
    assert "40 IROs." in texts(at)  # 2020's register, without its ratings
    carried = dma.dma_inputs(engine=engine, assessment_key="2025")
    assert len(carried.register) == 40 and carried.ratings.empty
    assert carried.events["actor"].tolist() == ["ann@example.com"]


def test_signoff_page_calibrates_and_signs_off(engine):
    at = page("app_pages/dma_signoff.py", "2020")
    assert "2 IRO(s) still flagged for calibration" in texts(at)
    assert [b for b in at.button if b.label == "Sign off"][0].disabled
    for iro, criterion, value in (("SUP-1", "scope", 4), ("CLI-3", "likelihood", 3)):
        at.selectbox(key="cal_iro").set_value(iro).run()
        at.selectbox(key="cal_criterion").set_value(criterion).run()
        assert len(table(at, "cal_ratings")) == 4
        at.select_slider(key="cal_value").set_value(value)
        at.text_area(key="cal_why").input(f"Agreed in the calibration meeting on {iro}")
        [b for b in at.button if b.label == "Set the consensus value"][0].click().run()
        assert not at.exception, at.exception
    assert "No criterion has assessors 2 or more points apart" in texts(at)
    at.text_input(key="signoff_note").input("Steering committee, 20 October 2020")
    [b for b in at.button if b.label == "Sign off"][0].click().run()
    assert not at.exception
    assert dma.dma_inputs(engine=engine, assessment_key="2020").state == "signed_off"
    assert "Signed off: the register, the ratings and the thresholds are locked." in texts(at)
