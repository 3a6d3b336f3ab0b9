"""The IRO assignments page through Streamlit's AppTest on a real SQLite file: the committee
assigns IROs to an assessor and takes them back; the assessor's form then lists them."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from accounts_helpers import sign_in
from streamlit.testing.v1 import AppTest

from services import rating
from survey import audit
from survey.db import create_db_engine
from survey.settings import get_settings
from tests.test_rating_form import ASSESSOR, CHAIR, OTHER, prepare

APP = str(Path(__file__).resolve().parent.parent / "navigation.py")


@pytest.fixture
def engine(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("MATERIALITY_DATABASE_URL", url)
    monkeypatch.setenv("MATERIALITY_ADMIN_PASSWORD", "a committee password for the assignments page")
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
    engine = create_db_engine(url)
    prepare(engine, tmp_path)
    yield engine
    audit.require_accounts(False)
    st.cache_data.clear()
    st.cache_resource.clear()
    get_settings.cache_clear()
    engine.dispose()


def open_page(email: str, role: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    sign_in(at, role, email)
    at.session_state["chosen_assessment"] = "2025"
    at.switch_page("app_pages/iro_assignments.py")
    at.run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_the_committee_assigns_and_takes_back(engine):
    at = open_page(CHAIR, "committee")
    assert at.title[0].value == "IRO assignments: 2025"
    summary = at.dataframe[0].value
    assert summary.values.tolist() == [[ASSESSOR, "N1, R1"]]
    assert at.selectbox(key="assign_who").options[:2] == [ASSESSOR, OTHER]  # assessors first
    at.selectbox(key="assign_who").set_value(OTHER)
    at.multiselect(key="assign_iros").set_value(["N2", "P1"])
    button(at, "Assign").click().run()
    assert not at.exception
    assert at.success[0].value == f"2 IRO(s) assigned to {OTHER}."
    assert at.dataframe[0].value.values.tolist() == [[ASSESSOR, "N1, R1"], [OTHER, "N2, P1"]]
    at.selectbox(key="assign_who").set_value(OTHER)
    at.multiselect(key="assign_iros").set_value(["P1"])
    button(at, "Take back").click().run()
    assert at.success[0].value == f"1 IRO(s) taken back from {OTHER}."
    sheet = rating.rating_sheet(engine=engine, assessment_key="2025", assessor=OTHER, role="assessor")
    assert [item.code for item in sheet.items] == ["N2"]


def test_an_assessor_cannot_open_the_page(engine):
    at = AppTest.from_file(APP, default_timeout=90)
    sign_in(at, "assessor", ASSESSOR)
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/iro_assignments.py")
