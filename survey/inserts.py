"""Rows into a table the fastest way the database driver offers, with statements built from the
table metadata (no SQL is written by hand).

A web submission inserts one response, its ratings and comments per transaction. Run as SQLAlchemy
Core statements, each execution costs about as much again as the insert itself on SQLite
(`benchmarks/bench_submit.py` measured 0.22-0.26 of plain sqlite3 for the whole submission, against
a target of 0.25), so on SQLite the Core statement is compiled once per table and set of columns
and executed by the driver, with the columns' own bind processing (times in UTC, booleans). Other
databases get the Core statement. Errors are raised as SQLAlchemy raises them (an
:class:`sqlalchemy.exc.IntegrityError` for a broken unique constraint), so callers see one kind.

Bulk writes (imports, the demo) use ``executemany`` on SQLite and ``COPY`` on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from core.textsafety import storable_column, storable_rows


@dataclass(frozen=True)
class _DriverInsert:
    """An INSERT compiled for one dialect, taking values in the order the caller gives columns:
    which value each parameter is, and how values that need it are turned into what the driver
    takes (the column types' own bind processing)."""

    sql: str
    reorder: Callable[[Sequence[Any]], Sequence[Any]] | None  # into the statement's order; None: as given
    processors: Mapping[int, Callable[[Any], Any]]  # by position among the given values

    def parameters(self, values: Sequence[Any]) -> Sequence[Any]:
        if self.processors:
            values = list(values)
            for i, process in self.processors.items():
                values[i] = process(values[i])
        return values if self.reorder is None else self.reorder(values)


@lru_cache(maxsize=128)  # per engine (its dialect), table and columns
def _driver_insert(table: Table, columns: tuple[str, ...], dialect: Dialect) -> _DriverInsert:
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    order = tuple(compiled.positiontup or ())
    if sorted(order) != sorted(columns):  # a column left out that has a default would be added
        raise ValueError(f"insert into {table.name}: give every column ({', '.join(order)})")
    positions = [columns.index(name) for name in order]
    reorder = None if positions == sorted(positions) else itemgetter(*positions)
    processors = {
        i: process
        for i, name in enumerate(columns)
        if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    }
    return _DriverInsert(str(compiled), reorder, processors)


@contextmanager
def _as_sqlalchemy_errors(connection: Connection, statement: str) -> Iterator[None]:
    dbapi = connection.dialect.loaded_dbapi
    try:
        yield
    except dbapi.Error as error:
        raise DBAPIError.instance(statement, None, error, dbapi.Error, dialect=connection.dialect) from error


def _uses_driver(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


def _driver(connection: Connection) -> Any:
    """The driver's own connection beneath SQLAlchemy's."""
    raw = connection.connection.driver_connection
    if raw is None:
        raise RuntimeError("the database connection is closed")
    return raw


def insert_returning_id(connection: Connection, table: Table, row: Mapping[str, Any]) -> int:
    """Insert one row (every column but the id) in the connection's transaction; its new id."""
    if not _uses_driver(connection):
        return int(connection.execute(insert(table).returning(table.c.id), dict(row)).scalar_one())
    statement = _driver_insert(table, tuple(row), connection.dialect)
    with _as_sqlalchemy_errors(connection, statement.sql):
        cursor = _driver(connection).execute(statement.sql, statement.parameters(tuple(row.values())))
    return int(cursor.lastrowid)


def insert_rows(
    connection: Connection, table: Table, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert rows, each the values of `columns` in that order, in the connection's transaction."""
    if not rows:
        return
    rows = storable_rows(rows)
    if not _uses_driver(connection):
        connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    statement = _driver_insert(table, columns, connection.dialect)
    if statement.processors or statement.reorder is not None:
        rows = [statement.parameters(row) for row in rows]
    with _as_sqlalchemy_errors(connection, statement.sql):
        _driver(connection).executemany(statement.sql, rows)


def copy_columns(connection: Connection, table: Table, columns: Mapping[str, Sequence[Any]]) -> None:
    """Insert rows given column by column (times as aware datetimes), in the connection's
    transaction: ``COPY`` on PostgreSQL, ``executemany`` on SQLite."""
    if not len(next(iter(columns.values()))):
        return
    columns = {name: storable_column(values) for name, values in columns.items()}
    dialect = connection.dialect
    if dialect.name == "postgresql":
        quote = dialect.identifier_preparer
        names = ", ".join(quote.format_column(table.c[name]) for name in columns)
        command = f"COPY {quote.format_table(table)} ({names}) FROM STDIN"
        raw = _driver(connection)
        with _as_sqlalchemy_errors(connection, command), raw.cursor() as cursor, cursor.copy(command) as copy:
            for row in zip(*columns.values(), strict=True):
                copy.write_row(row)
    elif _uses_driver(connection):
        statement = _driver_insert(table, tuple(columns), dialect)
        cells = [
            values if (process := statement.processors.get(i)) is None else [process(v) for v in values]
            for i, values in enumerate(columns.values())
        ]
        rows: Iterable[Sequence[Any]] = zip(*cells, strict=True)
        if statement.reorder is not None:
            rows = map(statement.reorder, rows)
        with _as_sqlalchemy_errors(connection, statement.sql):
            _driver(connection).executemany(statement.sql, rows)
    else:  # pragma: no cover - other SQLAlchemy backends
        insert_rows(connection, table, tuple(columns), list(zip(*columns.values(), strict=True)))
