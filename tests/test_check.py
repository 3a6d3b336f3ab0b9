"""`materiality check` finds what is wrong with a database, says what, and exits non-zero."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select, text, update
from typer.testing import CliRunner

from cli import app
from survey.assessments import create_assessment, load_index
from survey.db import head_revision, transaction
from survey.demo import create_demo
from survey.integrity import check_database
from survey.models import GroupTally, Invitation, RatingHistogram, RatingMoment, Response, StakeholderGroup
from survey.responses import RatingIn, ResponseIn, record_response

runner = CliRunner()


@pytest.fixture
def demo_engine(engine):
    with transaction(engine) as session:
        create_demo(session=session)
    return engine


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_a_sound_database_passes_and_says_what_was_checked(demo_engine):
    report = check_database(demo_engine)
    assert report.ok, report.lines()
    text_lines = "\n".join(report.lines())
    assert "summary tables equal a recount of 372 response(s)" in text_lines  # demo 2019
    assert "summary tables equal a recount of 510 response(s)" in text_lines  # demo 2020
    assert "schema at revision" in text_lines

    result = runner.invoke(app, ["check", "--db", url_of(demo_engine)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("no problems found")


def test_pending_responses_are_not_a_problem(engine, catalog):
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=catalog)
        index = load_index(session=session, assessment_key="2021")
        record_response(
            session=session,
            index=index,
            response_in=ResponseIn(group="clients", ratings=[RatingIn(topic="emissions", value=4)]),
        )
    report = check_database(engine)
    assert report.ok, report.lines()
    assert any("1 new response(s) not folded in yet" in line for line in report.checked)


def test_aggregates_that_differ_from_the_ratings_are_reported(demo_engine):
    with transaction(demo_engine) as session:
        aid = session.scalar(text("SELECT id FROM assessment WHERE key = '2020'"))
        target = session.execute(
            select(RatingHistogram.group_id, RatingHistogram.topic_id, RatingHistogram.value)
            .where(RatingHistogram.assessment_id == aid)
            .limit(1)
        ).one()
        session.execute(
            update(RatingHistogram)
            .where(
                RatingHistogram.assessment_id == aid,
                RatingHistogram.group_id == target[0],
                RatingHistogram.topic_id == target[1],
                RatingHistogram.value == target[2],
            )
            .values(n=RatingHistogram.n + 1)
        )
        session.execute(
            update(RatingMoment)
            .where(RatingMoment.assessment_id == aid)
            .values(sum_ab=RatingMoment.sum_ab + 0.5)
        )
        session.execute(update(GroupTally).where(GroupTally.assessment_id == aid).values(n_respondents=1))
    report = check_database(demo_engine)
    assert not report.ok
    found = {(f.check, f.assessment, f.message.split(":")[0]) for f in report.findings}
    assert found == {
        ("aggregates", "2020", "histogram"),
        ("aggregates", "2020", "moments"),
        ("aggregates", "2020", "respondents"),
    }
    histogram = next(f for f in report.findings if f.message.startswith("histogram"))
    assert "1 row(s) differ" in histogram.message and "stored" in histogram.message

    result = runner.invoke(app, ["check", "--db", url_of(demo_engine)])
    assert result.exit_code == 1
    assert "FAIL aggregates: assessment '2020': histogram: 1 row(s) differ" in result.output
    assert "3 problem(s) found" in result.output


def test_rows_pointing_into_another_assessment_are_reported(demo_engine):
    with transaction(demo_engine) as session:
        ids = dict(session.execute(text("SELECT key, id FROM assessment")).all())
        foreign_group = session.scalar(
            select(StakeholderGroup.id).where(StakeholderGroup.assessment_id == ids["2019"]).limit(1)
        )
        response_id = session.scalar(
            select(func.max(Response.id)).where(Response.assessment_id == ids["2020"])
        )
        session.execute(update(Response).where(Response.id == response_id).values(group_id=foreign_group))
        unanswered = session.scalar(
            select(Invitation.id)
            .where(Invitation.submitted_at.is_(None), Invitation.is_open.is_(False))
            .limit(1)
        )
        session.execute(update(Invitation).where(Invitation.id == unanswered).values(submitted_at=func.now()))
    report = check_database(demo_engine)
    messages = [str(f) for f in report.findings]
    assert any(
        f"1 responses whose group is missing or belongs to another assessment (ids {response_id})" in m
        for m in messages
    ), messages
    assert any(
        f"1 personal invitations marked submitted without a response (ids {unanswered})" in m
        for m in messages
    ), messages


def test_orphans_and_an_old_schema_on_a_sqlite_file(sqlite_engine, catalog):
    with transaction(sqlite_engine) as session:
        create_demo(session=session)
    path = sqlite_engine.url.database
    sqlite_engine.dispose()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA foreign_keys = OFF")  # what an outside tool writing the file could do
    raw.execute("DELETE FROM response WHERE id = (SELECT MIN(response_id) FROM rating)")
    raw.execute("INSERT INTO comment (response_id, topic_id, text) VALUES (999999, NULL, 'lost')")
    raw.execute("UPDATE alembic_version SET version_num = '0001'")
    raw.commit()
    raw.close()

    result = runner.invoke(app, ["check", "--db", f"sqlite:///{path}"])
    assert result.exit_code == 1
    out = result.output
    assert f"FAIL schema: schema at revision 0001, this toolkit expects {head_revision()}" in out
    assert "FAIL sqlite: foreign_key_check:" in out
    assert "ratings without their response" in out and "FAIL references: 15 ratings without" in out
    assert "FAIL references: 1 comments without their response (ids" in out
    # The check reads only: the schema was not upgraded behind the reporter's back.
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    raw.close()


def test_check_of_a_database_that_cannot_be_opened(tmp_path):
    result = runner.invoke(app, ["check", "--db", "postgresql://nobody@127.0.0.1:1/none"])
    assert result.exit_code == 1
    assert "cannot open database" in result.output
    (tmp_path / "not.db").write_bytes(b"this is not a database file at all" * 200)
    result = runner.invoke(app, ["check", "--db", f"sqlite:///{tmp_path / 'not.db'}"])
    assert result.exit_code == 1
    assert "Error:" in result.output and "Traceback" not in result.output
