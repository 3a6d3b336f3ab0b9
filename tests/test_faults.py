"""A process killed with SIGKILL in the middle of an import, a submission and a migration: the
database opens afterwards, holds all or none of the interrupted work, `check` finds it sound,
and the work can be done again to completion. On a SQLite file and on PostgreSQL.

Each child process pauses at the interesting moment (after the first rows were written, before
the commit) and leaves a marker file; the test then kills it."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, inspect, select

from survey.assessments import create_assessment, set_status
from survey.db import _alembic_config, create_db_engine, head_revision, schema_revision, transaction
from survey.demo import create_demo
from survey.integrity import check_database
from survey.issuing import issue_invitations
from survey.models import Comment, Invitation, Rating, Response
from survey.responding import Answers

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
IMPORTED_RESPONSES = 2000

IMPORT_CHILD = """
import sys, time
from pathlib import Path
import survey.importers.importing as importing
from survey.db import create_db_engine, transaction
from survey.importers import import_export, read_export
from survey.assessments import load_index

url, path, marker = sys.argv[1:4]
importing.WRITE_CHUNK = 200  # many writes, so the kill lands between two of them
engine = create_db_engine(url)
parsed = read_export(path)

def progress(stage, done, total):
    if stage == "writing" and done > 0:
        Path(marker).write_text(str(done))
        time.sleep(120)

with transaction(engine) as session:
    index = load_index(session=session, assessment_key="2020")
    import_export(session=session, index=index, parsed=parsed, progress=progress)
"""

SUBMIT_CHILD = """
import json, sys, time
from pathlib import Path
from survey.db import create_db_engine, transaction
from survey.responding import Answers, submit

url, token, answers, marker = sys.argv[1:5]
engine = create_db_engine(url)
with transaction(engine) as session:
    response_id = submit(session=session, token=token, answers=Answers.model_validate_json(answers))
    session.flush()
    Path(marker).write_text(str(response_id))
    time.sleep(120)
"""

MIGRATION_CHILD = """
import sys, time
from pathlib import Path
from sqlalchemy import event
from survey.db import create_db_engine, upgrade_schema

url, marker = sys.argv[1:3]
engine = create_db_engine(url, upgrade=False)

@event.listens_for(engine, "after_cursor_execute")
def pause(connection, cursor, statement, parameters, context, executemany):
    if statement.lstrip().upper().startswith("CREATE TABLE APP_SETTING"):
        Path(marker).write_text("created app_setting")
        time.sleep(120)

upgrade_schema(engine)
"""


def kill_when_marked(script: str, args: list[str], marker: Path) -> str:
    """Run `script` in a child process, SIGKILL it once it writes `marker`; the marker's text."""
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    try:
        while not marker.exists():
            if process.poll() is not None:
                pytest.fail(
                    f"the child ended before the pause (code {process.returncode}):\n{process.stderr.read()}"
                )
            if time.monotonic() > deadline:
                pytest.fail("the child did not reach the pause within 120 s")
            time.sleep(0.05)
        time.sleep(0.2)  # the marker's text is complete
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    return marker.read_text()


def counts(engine) -> tuple[int, int, int]:
    with transaction(engine, write=False) as session:
        return (
            session.scalar(select(func.count()).select_from(Response)),
            session.scalar(select(func.count()).select_from(Rating)),
            session.scalar(select(func.count()).select_from(Comment)),
        )


def assert_sound(engine) -> None:
    report = check_database(engine)
    assert report.ok, report.lines()


def large_long_export(path: Path, topics: list[str]) -> None:
    groups = ["clients", "employees", "investors", "suppliers"]
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["response_id", "group", "topic", "dimension", "value"])
        for i in range(IMPORTED_RESPONSES):
            for j, topic in enumerate(topics):
                value = "dont_know" if (i + j) % 11 == 0 else str(1 + (i * 7 + j * 3) % 5)
                writer.writerow([f"r{i:05d}", groups[i % 4], topic, "importance", value])


def test_kill_during_an_import_leaves_none_of_it_and_the_rerun_completes(db_url, catalog, tmp_path):
    engine = create_db_engine(db_url)
    with transaction(engine) as session:
        create_assessment(session=session, key="2020", year=2020, catalog=catalog)
    topics = [t.key for t in catalog.topics]
    export = tmp_path / "large_long.csv"
    large_long_export(export, topics)
    engine.dispose()

    written = kill_when_marked(
        IMPORT_CHILD, [db_url, str(export), str(tmp_path / "marker")], tmp_path / "marker"
    )
    assert int(written) >= 200  # rows had been written in the killed transaction

    engine = create_db_engine(db_url)
    assert counts(engine) == (0, 0, 0)
    assert_sound(engine)
    rerun = subprocess.run(
        [sys.executable, "-m", "cli", "import", str(export), "-a", "2020", "--db", db_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"added {IMPORTED_RESPONSES} to assessment '2020'" in rerun.stdout
    assert counts(engine)[:2] == (IMPORTED_RESPONSES, IMPORTED_RESPONSES * len(topics))
    assert_sound(engine)
    engine.dispose()


def test_kill_during_a_submission_leaves_the_link_unused(db_url, catalog, tmp_path):
    engine = create_db_engine(db_url)
    with transaction(engine) as session:
        create_assessment(session=session, key="2020", year=2020, catalog=catalog)
        set_status(session=session, key="2020", status="open")
        (link,) = issue_invitations(session=session, assessment_key="2020", group="employees")
    answers = Answers(
        ratings={t.key: 4 for t in catalog.topics},
        comments={catalog.topics[0].key: "kept?"},
        suggestion="water",
    )
    engine.dispose()

    marker = tmp_path / "marker"
    kill_when_marked(SUBMIT_CHILD, [db_url, link.token, answers.model_dump_json(), str(marker)], marker)

    engine = create_db_engine(db_url)
    assert counts(engine) == (0, 0, 0)
    with transaction(engine, write=False) as session:
        invitation = session.scalar(select(Invitation))
        assert invitation.submitted_at is None
    assert_sound(engine)

    from survey.responding import submit

    with transaction(engine) as session:
        submit(session=session, token=link.token, answers=answers)
    assert counts(engine) == (1, len(catalog.topics), 2)
    assert_sound(engine)
    engine.dispose()


def test_kill_during_a_migration_leaves_the_old_schema_and_the_upgrade_completes(db_url, tmp_path):
    old = create_db_engine(db_url, upgrade=False)
    command.upgrade(_alembic_config(old), "0001")
    with transaction(old) as session:
        create_demo(session=session)
    old.dispose()
    before = counts(create_db_engine(db_url, upgrade=False))

    marker = tmp_path / "marker"
    kill_when_marked(MIGRATION_CHILD, [db_url, str(marker)], marker)

    engine = create_db_engine(db_url, upgrade=False)
    assert schema_revision(engine) == "0001"
    assert "app_setting" not in inspect(engine).get_table_names()
    report = check_database(engine)
    assert [f.check for f in report.findings] == ["schema"], report.lines()
    assert counts(engine) == before
    engine.dispose()

    engine = create_db_engine(db_url)  # opening it upgrades it
    assert schema_revision(engine) == head_revision()
    assert "app_setting" in inspect(engine).get_table_names()
    assert counts(engine) == before
    assert_sound(engine)
    engine.dispose()
