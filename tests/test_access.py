"""Who sees what. Every committee page (read from navigation.py, so pages added later are
covered) refuses an anonymous session, downloads included; a survey link opens its own survey
only and never a committee page; tokens are kept only as hashes; figures of a group below the
minimum group size appear in no export, report or chart data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import streamlit as st
from accounts_helpers import sign_in
from import_helpers import database_text
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from cli import app
from survey.assessments import set_status
from survey.db import create_db_engine, transaction
from survey.demo import create_demo
from survey.issuing import issue_invitations, issue_open_link
from survey.models import Invitation
from survey.reads import ratings_frame
from survey.settings import get_settings
from survey.tokens import hash_token
from web.survey import SurveyWeb

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "navigation.py")
PUBLIC_PAGES = {"app_pages/login.py", "app_pages/organisation.py"}
SMALL_GROUP, SMALL_GROUP_NAME = "media_ngos", "Media and NGOs"  # 4 respondents in the demo's 2019


def page_rights() -> dict[str, str | None]:
    """Every committee page of navigation.py with the right it needs (None: any signed-in role)."""
    from services import access

    found = re.findall(
        r'\(\s*"(app_pages/[a-z_]+\.py)",\s*"[^"]*",\s*"[^"]*",\s*([A-Z]+|None)\s*\)',
        (ROOT / "navigation.py").read_text(encoding="utf-8"),
    )
    rights = {page: (None if right == "None" else getattr(access, right)) for page, right in found}
    assert "app_pages/overview.py" in rights and "app_pages/accounts.py" in rights and len(rights) >= 10, (
        found
    )
    return rights


def committee_pages() -> list[str]:
    return sorted(set(page_rights()) - PUBLIC_PAGES)


@pytest.fixture
def demo_app(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("MATERIALITY_DATABASE_URL", url)
    monkeypatch.setenv("MATERIALITY_ADMIN_PASSWORD", "a committee secret")
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
    engine = create_db_engine(url)
    with transaction(engine) as session:
        create_demo(session=session)
        set_status(session=session, key="2020", status="open")
    yield engine
    st.cache_resource.clear()
    st.cache_data.clear()
    get_settings.cache_clear()
    engine.dispose()


def element_types(at: AppTest) -> set[str]:
    found: set[str] = set()

    def walk(node) -> None:
        found.add(getattr(node, "type", type(node).__name__))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def visit(page: str, *, role: str | None, token: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if role is not None:
        sign_in(at, role)
    at.switch_page(page)
    if token:
        at.query_params["token"] = token
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", committee_pages())
def test_every_committee_page_refuses_an_anonymous_session(demo_app, page):
    at = visit(page, role=None)
    assert [t.value for t in at.title] == ["Committee sign-in"]
    shown = element_types(at)
    for kind in ("download_button", "metric", "dataframe", "arrow_vega_lite_chart", "table", "file_uploader"):
        assert kind not in shown, f"{page} shows a {kind} to an anonymous visitor"
    text = "\n".join(m.value for m in at.markdown)
    assert SMALL_GROUP_NAME not in text and "Materiality assessment 2020" not in text

    # the same page, signed in as an admin: it is really that page that was refused above
    at = visit(page, role="admin")
    assert "Committee sign-in" not in [t.value for t in at.title]


def test_a_survey_link_opens_its_own_survey_only(demo_app, catalog):
    with transaction(demo_app) as session:
        (clients,) = issue_invitations(session=session, assessment_key="2020", group="clients", language="en")
        (employees,) = issue_invitations(
            session=session, assessment_key="2020", group="employees", language="en"
        )
    names = {g.key: g.name_en for g in catalog.groups}
    server = TestClient(Starlette(routes=SurveyWeb(lambda: demo_app).routes()))

    def survey_text(token: str, **params: str) -> str:
        page = server.get("/survey", params={"token": token, **params})
        assert page.status_code == 200
        return page.text

    own = survey_text(clients.token)
    assert names["clients"] in own and names["employees"] not in own
    # query parameters cannot point the link at another group or assessment
    steered = survey_text(clients.token, group="employees", assessment="2019", page="overview")
    assert names["clients"] in steered and names["employees"] not in steered
    assert names["employees"] in survey_text(employees.token)
    # nothing of the committee's: no figures, no other group, no page of the app
    assert SMALL_GROUP_NAME not in own and "Materiality assessment" not in own and "_stcore" not in own

    # the committee's app registers no survey page for an anonymous visitor: sign-in only
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    with pytest.raises(ValueError, match="Could not find a navigation page") as refused:
        at.switch_page("app_pages/survey_preview.py")
    assert (
        "Known pages: ['" in str(refused.value)
        and "survey_preview.py" not in str(refused.value).split("Known pages")[1]
    )


def test_tokens_are_stored_only_as_hashes(demo_app, tmp_path):
    with transaction(demo_app) as session:
        links = issue_invitations(session=session, assessment_key="2020", group="clients", count=5)
        open_link, _ = issue_open_link(session=session, assessment_key="2020", group="community")
    tokens = [link.token for link in links] + [open_link.token]
    everything = database_text(demo_app)
    assert not any(token in everything for token in tokens)
    with transaction(demo_app, write=False) as session:
        hashes = set(session.scalars(select(Invitation.token_hash)).all())
    assert {hash_token(token) for token in tokens} <= hashes
    raw = Path(demo_app.url.database).read_bytes()
    for suffix in ("-wal", ""):
        path = Path(demo_app.url.database + suffix)
        if path.exists():
            raw += path.read_bytes()
    assert not any(token.encode() in raw for token in tokens)


# --- per-group figures below the minimum group size ------------------------------------------------


def small_group_means(engine) -> dict[str, float]:
    """The suppressed group's mean per topic, recounted from its raw ratings."""
    with transaction(engine, write=False) as session:
        ratings = ratings_frame(session=session, assessment_key="2019")
    own = ratings[ratings["group"] == SMALL_GROUP]
    assert own["respondent"].nunique() == 4
    return own.groupby("topic")["value"].mean().dropna().to_dict()


def chart_specs(path: Path) -> list[dict]:
    html = path.read_text(encoding="utf-8")
    blocks = re.findall(r'<script type="application/json" data-chart="[^"]*">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


def records(node) -> list[dict]:
    """Every row of data anywhere in a Vega-Lite specification."""
    found = []
    if isinstance(node, dict):
        for value in node.values():
            found += records(value)
    elif isinstance(node, list):
        found += [item for item in node if isinstance(item, dict)]
        for item in node:
            found += records(item)
    return found


def close_to_any(value, means: list[float]) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and any(abs(value - m) < 1e-9 for m in means)
    )


def test_a_group_below_the_minimum_size_leaks_nowhere(demo_app, tmp_path, catalog):
    means = small_group_means(demo_app)
    topic_of = {t.name_en: t.key for t in catalog.topics} | {t.key: t.key for t in catalog.topics}
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        ["run", "-a", "2019", "--out", str(out), "--db", demo_app.url.render_as_string(hide_password=False)],
    )
    assert result.exit_code == 0, result.output

    groups = pd.read_csv(out / "groups.csv")
    small = groups[groups["group"] == SMALL_GROUP]
    assert len(small) == len(means) and small["suppressed"].all() and small["mean"].isna().all()
    assert small["minority_gap"].isna().all()

    workbook = openpyxl.load_workbook(out / "report.xlsx")
    for sheet in workbook.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        header_at = next(
            (i for i, row in enumerate(rows) if "Topic" in row or "Group" in row or SMALL_GROUP_NAME in row),
            None,
        )
        if header_at is None:
            continue
        header = rows[header_at]
        for row in rows[header_at + 1 :]:
            topic = next((topic_of[c] for c in row if isinstance(c, str) and c in topic_of), None)
            if topic is None or topic not in means:
                continue
            if SMALL_GROUP_NAME in header:  # the group is a column
                cell = row[header.index(SMALL_GROUP_NAME)]
                assert not close_to_any(cell, [means[topic]]), (sheet.title, row)
            if SMALL_GROUP_NAME in row:  # the group is a row
                leaked = [
                    (name, cell)
                    for name, cell in zip(header, row, strict=False)
                    if close_to_any(cell, [means[topic]]) and name not in ("Respondents", "Rank")
                ]
                assert not leaked, (sheet.title, row)

    specs = []
    for name in ("report.html", "matrix.html", "channel_map.html"):
        specs += chart_specs(out / name)
    assert len(specs) >= 3
    checked = 0
    for spec in specs:
        for record in records(spec):
            topic = next((topic_of[v] for v in record.values() if isinstance(v, str) and v in topic_of), None)
            if topic is None or topic not in means:
                continue
            about_group = SMALL_GROUP in record.values() or SMALL_GROUP_NAME in record.values()
            for key, value in record.items():
                mentions_group = SMALL_GROUP in str(key) or SMALL_GROUP_NAME in str(key)
                if about_group and key not in ("n", "n_respondents", "rank"):
                    checked += 1
                    assert not close_to_any(value, [means[topic]]), (key, record)
                if mentions_group and isinstance(value, str):
                    checked += 1
                    assert f"{means[topic]:.2f}" not in value, (key, record)
    assert checked > 0  # the charts do carry rows about the small group, and none shows its means
