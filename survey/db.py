"""Engines, schema migrations and transactions.

SQLite is the embedded default: WAL journal, foreign keys on, a busy timeout, and write
transactions that take the write lock up front (``BEGIN IMMEDIATE``) so two writers never
deadlock on a lock upgrade. PostgreSQL is reached through psycopg.
"""

from __future__ import annotations

import contextvars
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from core.textsafety import storable_rows
from survey.settings import get_settings

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

_write_transaction: contextvars.ContextVar[bool] = contextvars.ContextVar("write_transaction", default=False)


class DatabaseError(RuntimeError):
    """The database cannot be opened or has an unexpected schema."""


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and route them through psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _configure_sqlite(engine: Engine, *, read_only: bool = False) -> None:
    busy_ms = int(get_settings().db_busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
        if read_only:
            cursor.close()
            return
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA cache_size = -65536")
        cursor.execute("PRAGMA temp_store = MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_transaction.get() else "BEGIN")


def _clean_parameters(
    _connection: Connection, _cursor: object, statement: str, parameters: Any, _context: object, _many: bool
) -> tuple[str, Any]:
    """Every statement's text parameters without NUL, control and bidirectional-override
    characters (:mod:`core.textsafety`): PostgreSQL refuses NUL, and the others garble text."""
    if isinstance(parameters, dict):
        return statement, storable_rows([parameters])[0]
    if isinstance(parameters, tuple):
        return statement, storable_rows([parameters])[0]
    if isinstance(parameters, list):
        return statement, storable_rows(parameters)
    return statement, parameters


def create_db_engine(
    url: str | None = None, *, upgrade: bool = True, pool_size: int | None = None, read_only: bool = False
) -> Engine:
    """Open the database at `url` (default: settings) and bring its schema up to date.

    `pool_size` (default: settings) is the number of PostgreSQL connections kept per process;
    as many again may be opened at peaks. A process with more busy threads than that waits.
    `read_only` opens a SQLite file for reading only (on a read-only file system, or a file this
    user cannot write), and never upgrades it; see :func:`open_for_reading`.
    """
    settings = get_settings()
    url = normalise_url(url or settings.database_url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if read_only and database and database != ":memory:":
            engine = _read_only_sqlite(Path(database).expanduser())
            _configure_sqlite(engine, read_only=True)
            event.listen(engine, "before_cursor_execute", _clean_parameters, retval=True)
            return engine
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": settings.db_busy_timeout}
            )
        else:
            engine = create_engine(
                "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
            )
        _configure_sqlite(engine)
    else:
        size = pool_size or settings.db_pool_size
        engine = create_engine(url, pool_pre_ping=True, pool_size=size, max_overflow=size)
    event.listen(engine, "before_cursor_execute", _clean_parameters, retval=True)
    if upgrade:
        upgrade_schema(engine)
    return engine


def _read_only_sqlite(path: Path) -> Engine:
    """A SQLite file opened read-only. Where even the write-ahead log's index cannot be made (a
    read-only file system), the file is opened as immutable: read as it is, without locks."""
    if not path.is_file():
        raise DatabaseError(f"cannot open database {path}: no such file")
    target = quote(str(path.absolute()))

    def connect() -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(f"file:{target}?mode=ro", uri=True, check_same_thread=False)
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return connection
        except sqlite3.OperationalError:
            return sqlite3.connect(f"file:{target}?immutable=1", uri=True, check_same_thread=False)

    return create_engine("sqlite://", creator=connect, poolclass=StaticPool)


def open_for_reading(url: str | None = None, *, upgrade: bool = True) -> Engine:
    """The database for a command that only reads: opened as usual, or, when a SQLite file cannot
    be written (a read-only file system or file), opened read-only."""
    try:
        engine = create_db_engine(url, upgrade=upgrade)
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:  # a read-only file fails here or at the upgrade
                connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").fetchone()
        return engine
    except OperationalError as exc:
        parsed = make_url(normalise_url(url or get_settings().database_url))
        if parsed.get_backend_name() != "sqlite" or database_problem(exc) not in ("read-only", "cannot open"):
            raise
    engine = create_db_engine(url, read_only=True)
    if upgrade and schema_revision(engine) != head_revision():
        raise DatabaseError(
            f"{parsed.database}: the database is read-only and its schema is older than this toolkit; "
            "open it once where it can be written to bring it up to date"
        )
    return engine


# --- plain words for a database that cannot do what was asked ------------------------------------

_SQLITE_PROBLEMS = {
    "SQLITE_BUSY": "busy",
    "SQLITE_LOCKED": "busy",
    "SQLITE_FULL": "full",
    "SQLITE_READONLY": "read-only",
    "SQLITE_CANTOPEN": "cannot open",
    "SQLITE_IOERR": "disk error",
    "SQLITE_CORRUPT": "damaged",
    "SQLITE_NOTADB": "damaged",
}
_POSTGRES_PROBLEMS = {
    "53100": "full",  # disk_full
    "53200": "full",  # out_of_memory
    "25006": "read-only",  # read_only_sql_transaction
    "55P03": "busy",  # lock_not_available
    "57014": "busy",  # query_canceled (statement or lock timeout)
    "40P01": "busy",  # deadlock_detected
    "57P03": "cannot open",  # cannot_connect_now
}


def database_problem(exc: BaseException) -> str | None:
    """What kind of trouble a database error is: "busy", "full", "read-only", "cannot open",
    "disk error", "damaged", "unreachable", or None (a bug, or bad input)."""
    original = getattr(exc, "orig", exc)
    name = getattr(original, "sqlite_errorname", None)
    if isinstance(name, str):
        for prefix, kind in _SQLITE_PROBLEMS.items():
            if name.startswith(prefix):
                return kind
    state = getattr(original, "sqlstate", None)
    if isinstance(state, str):
        if state in _POSTGRES_PROBLEMS:
            return _POSTGRES_PROBLEMS[state]
        if state.startswith("08"):
            return "unreachable"
    if isinstance(exc, OperationalError) and state is None and name is None:
        text = str(original).lower()
        if "unable to open" in text:
            return "cannot open"
        if "readonly" in text or "read-only" in text:
            return "read-only"
        if "locked" in text:
            return "busy"
        if "connection" in text or "could not connect" in text or "server" in text:
            return "unreachable"
    return None


def describe_database_error(exc: BaseException) -> str | None:
    """A plain sentence for a database that is busy, full, read-only, unreachable or damaged (the
    transaction was rolled back), or None when the error is of another kind."""
    kind = database_problem(exc)
    if kind is None:
        return None
    wait = get_settings().db_busy_timeout
    return {
        "busy": f"the database is busy: another program kept it locked for {wait:g} s; nothing was "
        "written. Try again in a moment",
        "full": "the disk holding the database is full; nothing was written (the work was rolled back). "
        "Free some space and try again",
        "read-only": "the database cannot be written (a read-only file or file system); nothing was written",
        "cannot open": "cannot open the database file: check that it and its folder exist and can be read",
        "disk error": "the disk failed while the database was read or written; nothing was written",
        "damaged": "the database file is damaged or is not a database of this toolkit",
        "unreachable": "cannot reach the database server; check that it runs and the address is right",
    }[kind]


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade_schema(engine: Engine) -> None:
    """Apply every migration the database lacks (a new file gets the whole schema)."""
    if schema_revision(engine) == head_revision():
        return
    command.upgrade(_alembic_config(engine), "head")


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def schema_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


_sqlite_writers: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_sqlite_writers_guard = threading.Lock()


def _sqlite_write_turn(engine: Engine) -> threading.RLock:
    """One lock per SQLite engine that write transactions of this process queue on.

    SQLite lets one writer in at a time and makes the others poll with growing sleeps (the busy
    timeout), so under many concurrent writers a transaction could wait for seconds, or time
    out, while others kept getting in. Waiting on a lock in the process instead hands the file
    over as soon as it is free."""
    with _sqlite_writers_guard:
        lock = _sqlite_writers.get(engine)
        if lock is None:
            lock = _sqlite_writers[engine] = threading.RLock()
        return lock


@contextmanager
def transaction(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """A session in one transaction: committed when the block ends, rolled back on error."""
    token = _write_transaction.set(write)
    turn = _sqlite_write_turn(engine) if write and engine.dialect.name == "sqlite" else nullcontext()
    try:
        with turn, Session(engine, expire_on_commit=False) as session, session.begin():
            yield session
    finally:
        _write_transaction.reset(token)


POSTGRES_ERASE_ADVICE = (
    "PostgreSQL keeps deleted rows in the table's files until they are rewritten: run "
    "`VACUUM FULL {table};` (or `pg_repack --table {table}`) as the database owner. The write-ahead "
    "log, its archives, replicas and backups still hold the old pages until they are recycled or "
    "expire."
)


def erase_free_pages(engine: Engine, *, table: str) -> str:
    """After rows of `table` were deleted (with ``PRAGMA secure_delete`` on, see
    :func:`secure_delete`), leave nothing of them in the database file; returns what was done.

    SQLite: ``VACUUM`` rebuilds the file without free pages, then a ``TRUNCATE`` checkpoint moves
    the write-ahead log into the file and empties it. A reader in another process can keep the
    checkpoint from finishing; that is reported. PostgreSQL cannot be scrubbed from here: the
    returned text says what the administrator should run.
    """
    if engine.dialect.name != "sqlite":
        return POSTGRES_ERASE_ADVICE.format(table=table)
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        raw.execute("VACUUM")
        busy, _, _ = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone() or (0, 0, 0)
    if busy:
        return (
            "SQLite: the file was rebuilt (VACUUM), but another process was reading it, so the "
            "write-ahead log (the -wal file) may still hold old pages: run the purge again once "
            "the app is stopped"
        )
    return "SQLite: the file was rebuilt without free pages (VACUUM) and its write-ahead log emptied"


@contextmanager
def secure_delete(session: Session) -> Iterator[None]:
    """SQLite overwrites deleted content with zeros while the block runs (a no-op elsewhere)."""
    sqlite_session = session.get_bind().dialect.name == "sqlite"
    if sqlite_session:
        session.execute(text("PRAGMA secure_delete = ON"))
    try:
        yield
    finally:
        if sqlite_session:
            session.execute(text("PRAGMA secure_delete = OFF"))
