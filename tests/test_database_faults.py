"""A database that is locked by another program, full, or on a read-only file system: plain
messages and exit codes from the command line, never a traceback or a raw SQLAlchemy error;
`list` and `check` still work on a database that cannot be written; nothing half-written."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest

from survey.db import create_db_engine, transaction
from survey.demo import create_demo
from tests.hostile_files import run_child
from tests.import_helpers import FIXTURES, database_snapshot

NOBODY = 65534


@pytest.fixture
def demo_file(catalog):
    """The demo database in a folder other users can read (pytest's own folders are private)."""
    folder = Path(tempfile.mkdtemp(prefix="materiality-faults-"))
    folder.chmod(0o755)
    path = folder / "demo.db"
    engine = create_db_engine(f"sqlite:///{path}")
    with transaction(engine) as session:
        create_demo(session=session, catalog=catalog)
    engine.dispose()
    path.chmod(0o644)
    yield path
    for entry in folder.iterdir():
        entry.unlink()
    folder.rmdir()


def cli(*args: str, **options) -> object:
    return run_child(["-m", "cli", *args], **options)


def test_list_and_check_work_on_a_database_that_cannot_be_written(demo_file):
    """Before: "unable to open database file". The folder and file belong to root and the
    commands run as another user: neither the file nor its write-ahead log can be written."""
    db = f"sqlite:///{demo_file}"
    listed = cli("list", "--db", db, user=NOBODY)
    assert listed.returncode == 0, listed.stderr
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["2019", "2020"]
    checked = cli("check", "--db", db, user=NOBODY)
    assert checked.returncode == 0, checked.stderr
    assert "Traceback" not in checked.stderr
    assert sorted(p.name for p in demo_file.parent.iterdir()) == ["demo.db"]


def test_an_import_into_a_database_that_cannot_be_written_says_so(demo_file):
    run = cli(
        "import", str(FIXTURES / "long.csv"), "-a", "2020", "--db", f"sqlite:///{demo_file}", user=NOBODY
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and "sqlalchemy" not in run.stderr.lower()
    assert run.stderr.strip().endswith(
        "the database cannot be written (a read-only file or file system); nothing was written"
    ), run.stderr


def test_a_locked_database_gives_a_plain_message_and_exit_code_75(demo_file):
    """Another program holds the write lock; the import waits MATERIALITY_DB_BUSY_TIMEOUT."""
    engine = create_db_engine(f"sqlite:///{demo_file}")
    before = database_snapshot(engine)
    holder = sqlite3.connect(demo_file, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        run = cli(
            "import",
            str(FIXTURES / "long.csv"),
            "-a",
            "2020",
            "--db",
            f"sqlite:///{demo_file}",
            env={"MATERIALITY_DB_BUSY_TIMEOUT": "1"},
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert run.returncode == 75, run.stderr
    assert run.stderr.strip().endswith(
        "Error: the database is busy: another program kept it locked for 1 s; nothing was written. "
        "Try again in a moment"
    ), run.stderr
    assert "Traceback" not in run.stderr
    assert database_snapshot(engine) == before
    engine.dispose()


def big_export(path: Path, catalog) -> Path:
    """300 responses in the long format: enough pages to fill what little room is left."""
    rows = ["response_id,group,topic,dimension,value"]
    rows += [f"r{i},employees,{t.key},importance,{1 + i % 5}" for i in range(300) for t in catalog.topics]
    path.write_text("\n".join(rows) + "\n")
    return path


FULL_DATABASE = """
import sys
from sqlalchemy import event
from sqlalchemy.engine import Engine

@event.listens_for(Engine, "connect")
def no_room(dbapi_connection, _record):  # SQLite's own "database or disk is full" (SQLITE_FULL)
    pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
    dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 2}")

from cli import app
app(sys.argv[1:])
"""


def test_a_full_disk_during_an_import_rolls_back_and_says_so(demo_file, catalog, tmp_path):
    """The database may grow by two pages only, as on a full disk: SQLite reports SQLITE_FULL
    as the import writes; it is rolled back and the message is plain."""
    export = big_export(tmp_path / "big.csv", catalog)
    engine = create_db_engine(f"sqlite:///{demo_file}")
    before = database_snapshot(engine)
    engine.dispose()
    run = run_child(
        ["-c", FULL_DATABASE, "import", str(export), "-a", "2020", "--db", f"sqlite:///{demo_file}"]
    )
    assert run.returncode == 1
    assert run.stderr.strip().endswith(
        "Error: the disk holding the database is full; nothing was written (the work was rolled back). "
        "Free some space and try again"
    ), run.stderr
    assert "Traceback" not in run.stderr
    engine = create_db_engine(f"sqlite:///{demo_file}")
    assert database_snapshot(engine) == before
    engine.dispose()


def test_a_write_error_during_an_import_rolls_back_and_says_so(demo_file, catalog, tmp_path):
    """Each file the process writes is capped at 40 KB: the shared-memory index (32 KB) fits, the
    write-ahead log cannot take the import's pages, and the write fails (EFBIG)."""
    export = big_export(tmp_path / "big.csv", catalog)
    engine = create_db_engine(f"sqlite:///{demo_file}")
    before = database_snapshot(engine)
    engine.dispose()
    run = cli("import", str(export), "-a", "2020", "--db", f"sqlite:///{demo_file}", file_size_limit=40_000)
    assert run.returncode == 1
    assert run.stderr.strip().endswith(
        "Error: the disk failed while the database was read or written; nothing was written"
    ), run.stderr
    assert "Traceback" not in run.stderr
    engine = create_db_engine(f"sqlite:///{demo_file}")
    assert database_snapshot(engine) == before
    engine.dispose()
