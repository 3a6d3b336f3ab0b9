"""`materiality` commands on a fresh SQLite file and on PostgreSQL."""

from __future__ import annotations

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from cli import app
from survey.assessments import catalog_of, list_assessments
from survey.db import create_db_engine, transaction

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_demo_then_init(db_url):
    result = invoke("demo", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "2019, 2020" in result.output
    result = invoke("init", "--assessment", "2021", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "16 topics, 8 groups, 32 channels" in result.output
    again = invoke("demo", "--db", db_url)
    assert again.exit_code == 0 and "exist already" in again.output

    engine = create_db_engine(db_url)
    with transaction(engine, write=False) as session:
        assert [(a.key, a.status) for a in list_assessments(session=session)] == [
            ("2019", "closed"),
            ("2020", "closed"),
            ("2021", "draft"),
        ]
        assert len(catalog_of(session=session, assessment_key="2019").topics) == 15
    engine.dispose()
    listing = invoke("list", "--db", db_url)
    assert listing.exit_code == 0 and "2021\t2021\tdraft" in listing.output


def test_init_with_custom_catalog(tmp_path):
    topics = tmp_path / "topics.csv"
    topics.write_text("key,name,category,description\nwater,Water,E,Water use.\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'm.db'}"
    result = invoke("init", "--assessment", "pilot", "--year", "2022", "--catalog", str(topics), "--db", db)
    assert result.exit_code == 0, result.output
    assert "1 topics" in result.output


def test_errors_go_to_stderr_with_non_zero_exit(tmp_path):
    db = f"sqlite:///{tmp_path / 'm.db'}"
    assert invoke("init", "--assessment", "2021", "--db", db).exit_code == 0
    duplicate = invoke("init", "--assessment", "2021", "--db", db)
    assert duplicate.exit_code == 1
    assert "Error: assessment '2021' already exists" in duplicate.stderr
    no_year = invoke("init", "--assessment", "pilot", "--db", db)
    assert no_year.exit_code == 1 and "give --year" in no_year.stderr
    bad_catalog = invoke(
        "init", "--assessment", "2022", "--catalog", str(tmp_path / "missing.csv"), "--db", db
    )
    assert bad_catalog.exit_code == 1 and "no such catalog file" in bad_catalog.stderr
    bad_db = invoke("list", "--db", "nosuchdialect://x")
    assert bad_db.exit_code == 1 and "cannot open database" in bad_db.stderr


def command_paths(command, prefix=()):
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from command_paths(sub, prefix + (name,))


@pytest.mark.parametrize(
    "path", list(command_paths(get_command(app))), ids=lambda p: " ".join(p) or "materiality"
)
def test_every_command_has_help(path):
    result = invoke(*path, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
