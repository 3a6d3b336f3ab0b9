"""The committee's pages, run through Streamlit's AppTest on real SQLite files: the demo
assessments, an empty assessment, one with a single respondent and no management ratings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from survey.db import create_db_engine, transaction
from survey.demo import create_demo
from survey.settings import get_settings
from survey.store import create_assessment

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PASSWORD = "committee password for the page tests"
PAGES = [
    "app_pages/overview.py",
    "app_pages/matrix.py",
    "app_pages/whatif.py",
    "app_pages/channels.py",
    "app_pages/year_over_year.py",
    "app_pages/campaign.py",
    "app_pages/new_assessment.py",
    "app_pages/imports.py",
    "app_pages/reports.py",
]


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
    at.session_state["committee_signed_in"] = True
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
    assert at.title, f"{page} has no title"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_assessment(demo_db, catalog, page):
    add_empty_assessment(demo_db, catalog)
    at = signed_in(page, "2021")
    assert at.title
