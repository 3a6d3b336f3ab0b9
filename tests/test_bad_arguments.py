"""Bad command-line arguments and bad survey answers: refused with a message that says what was
expected, nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli import app
from survey.assessments import create_assessment, set_status
from survey.db import create_db_engine, transaction
from survey.errors import StoreError
from survey.issuing import issue_invitations
from survey.models import Invitation, Response
from survey.responding import Answers, submit

runner = CliRunner()


@pytest.fixture
def db(tmp_path, catalog) -> str:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = create_db_engine(url)
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=catalog)
        set_status(session=session, key="2021", status="open")
    engine.dispose()
    return url


def counts(url: str) -> tuple[int, int]:
    engine = create_db_engine(url)
    with transaction(engine, write=False) as session:
        result = (
            session.scalar(select(func.count()).select_from(Invitation)),
            session.scalar(select(func.count()).select_from(Response)),
        )
    engine.dispose()
    return result


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            ["invite", "-a", "2021", "--group", "clients", "--count", "many", "--out", "x.csv"],
            "Invalid value for '--count'",
        ),
        (["invite", "-a", "2021", "--group", "martians", "--out", "x.csv"], "martians"),
        (["invite", "-a", "2021", "--group", "clients", "--lang", "fr", "--out", "x.csv"], "fr"),
        (["invite", "-a", "2021", "--group", "clients", "--channel", "Fax", "--out", "x.csv"], "Fax"),
        (["invite", "-a", "1999", "--group", "clients", "--out", "x.csv"], "no assessment '1999'"),
        (["run", "-a", "2021", "--out", "out", "--method", "missing.yaml"], "missing.yaml"),
        (["import", "missing.csv", "-a", "2021"], "missing.csv"),
        (["import-assessment", "missing.json"], "missing.json"),
        (["withdraw", "-a", "2021", "--link", "not-a-link"], "link"),
        (["init", "--assessment", "2022", "--year", "year"], "Invalid value for '--year'"),
    ],
)
def test_bad_cli_arguments_are_refused_clearly(db, tmp_path, monkeypatch, arguments, expected):
    monkeypatch.chdir(tmp_path)
    before = counts(db)
    result = runner.invoke(app, [*arguments, "--db", db], env={"COLUMNS": "240", "TERMINAL_WIDTH": "240"})
    assert result.exit_code != 0, result.output
    assert expected.lower() in (result.stderr + result.output).lower()
    assert "Traceback" not in result.stderr + result.output
    assert counts(db) == before
    assert not (tmp_path / "x.csv").exists()


def test_bad_survey_answers_are_refused_and_nothing_is_written(db):
    engine = create_db_engine(db)
    with transaction(engine) as session:
        (link,) = issue_invitations(session=session, assessment_key="2021", group="clients")
    before = counts(db)
    bad = [
        Answers(ratings={"no_such_topic": 3}),
        Answers(ratings={"emissions": 9}),
        Answers(ratings={"emissions": 0}),
        Answers(ratings={"emissions": 3}, comments={"no_such_topic": "x"}),
    ]
    for answers in bad:
        with pytest.raises(StoreError), transaction(engine) as session:
            submit(session=session, token=link.token, answers=answers)
    with pytest.raises(ValueError, match="at most"):
        Answers(suggestion="x" * 100_000)
    for token in ["", "short", "a" * 500, "<script>", link.token + "x"]:
        with pytest.raises(StoreError), transaction(engine) as session:
            submit(session=session, token=token, answers=Answers())
    assert counts(db) == before
    engine.dispose()
