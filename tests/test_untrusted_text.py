"""Text that looks like HTML, script, a Markdown link or a spreadsheet formula, given as a
respondent's comment or suggestion or as a topic name, stays inert text: stored as given, shown
as plain text on the committee's page, escaped in report.html, never a formula in report.xlsx or
the CSV files, never a link in the Markdown disclosure."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
import streamlit as st
from accounts_helpers import sign_in
from sqlalchemy import select
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from cli import app
from survey.assessments import create_assessment, set_status
from survey.catalog import Catalog
from survey.db import create_db_engine, transaction
from survey.issuing import issue_invitations
from survey.models import Comment
from survey.reads import topic_comments
from survey.responding import Answers, submit
from survey.settings import get_settings

APP = str(Path(__file__).resolve().parent.parent / "navigation.py")
SCRIPT = "<script>alert(1)</script>"
IMAGE = '<img src=x onerror="alert(2)">'
LINK = "[click](http://evil.example)"
FORMULA = '=HYPERLINK("http://evil.example","x")'
PAYLOADS = [SCRIPT, IMAGE, LINK, FORMULA, "@SUM(1+1)", "+1+2", "-2+3"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def hostile_catalog(catalog: Catalog) -> Catalog:
    topics = list(catalog.topics)
    topics[0] = replace(topics[0], name_en=FORMULA)
    topics[1] = replace(topics[1], name_en=SCRIPT)
    topics[2] = replace(topics[2], name_en=LINK, description_en=IMAGE)
    return replace(catalog, topics=topics)


@pytest.fixture
def hostile(tmp_path, monkeypatch, catalog):
    """Assessment 2021 with hostile topic names and respondents who wrote hostile comments."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("MATERIALITY_DATABASE_URL", url)
    monkeypatch.setenv("MATERIALITY_ADMIN_PASSWORD", "a committee secret")
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
    engine = create_db_engine(url)
    hostile_topics = hostile_catalog(catalog)
    keys = [t.key for t in hostile_topics.topics]
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=hostile_topics)
        set_status(session=session, key="2021", status="open")
        links = issue_invitations(session=session, assessment_key="2021", group="clients", count=6)
        links += issue_invitations(session=session, assessment_key="2021", group="management", count=6)
    for i, link in enumerate(links):
        with transaction(engine) as session:
            submit(
                session=session,
                token=link.token,
                answers=Answers(
                    ratings={k: 1 + (i + j) % 5 for j, k in enumerate(keys)},
                    comments={keys[3]: PAYLOADS[i % len(PAYLOADS)]},
                    suggestion=PAYLOADS[(i + 1) % len(PAYLOADS)],
                ),
            )
    yield engine, keys
    st.cache_resource.clear()
    st.cache_data.clear()
    get_settings.cache_clear()
    engine.dispose()


def test_the_text_is_stored_as_given(hostile):
    engine, keys = hostile
    with transaction(engine, write=False) as session:
        stored = set(session.scalars(select(Comment.text)).all())
        on_topic, _ = topic_comments(session=session, assessment_key="2021", topic=keys[3], min_group_size=5)
        suggested, _ = topic_comments(session=session, assessment_key="2021", topic=None, min_group_size=5)
    assert stored == set(PAYLOADS)
    assert set(on_topic["text"]) == set(suggested["text"]) == set(PAYLOADS)


def test_the_committee_page_shows_comments_as_plain_text(hostile):
    engine, keys = hostile
    at = AppTest.from_file(APP, default_timeout=60)
    sign_in(at)
    at.switch_page("app_pages/matrix.py")
    at.run()
    assert not at.exception, at.exception
    at.selectbox(key="matrix_topic").set_value(keys[3]).run()
    assert not at.exception, at.exception
    plain = [t.value for t in at.text]
    assert set(PAYLOADS) <= set(plain)
    for element in [*at.markdown, *at.caption, *at.info, *at.success]:
        for payload in (SCRIPT, IMAGE, LINK):
            assert payload not in element.value, element.value


def test_exports_are_inert(hostile, tmp_path):
    engine, _ = hostile
    out = tmp_path / "run"
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["run", "-a", "2021", "--out", str(out), "--db", url])
    assert result.exit_code == 0, result.output

    html = (out / "report.html").read_text(encoding="utf-8")
    for payload in (SCRIPT, IMAGE, 'href="http://evil.example"'):
        assert payload not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, as text
    specs = re.findall(r'<script type="application/json" data-chart="[^"]*">(.*?)</script>', html, re.S)
    # the charts carry the name as data (drawn as text by Vega), escaped inside their <script> element
    assert any(SCRIPT in json.dumps(json.loads(spec), ensure_ascii=False) for spec in specs)

    workbook = openpyxl.load_workbook(out / "report.xlsx")
    texts = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    assert not cell.value.startswith(FORMULA_START), (
                        sheet.title,
                        cell.coordinate,
                        cell.value,
                    )
    assert "'" + FORMULA in texts  # shown, as text

    for name in ("topics.csv", "groups.csv", "changes.csv"):
        with (out / name).open(encoding="utf-8-sig", newline="") as stream:
            for row in csv.reader(stream):
                for cell in row:
                    try:
                        float(cell)
                        continue
                    except ValueError:
                        pass
                    assert not cell.startswith(FORMULA_START), (name, cell)

    disclosure = (out / "disclosure.md").read_text(encoding="utf-8")
    assert LINK not in disclosure and SCRIPT not in disclosure and "http://" not in disclosure
    assert "\\[click\\](http:\\/\\/evil.example)" in disclosure  # shown, as text
