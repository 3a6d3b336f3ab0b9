"""A page that fails shows the committee a plain message: for a database that is busy (a real
SQLite lock held by another connection) the sentence says so; for anything else a generic one.
No traceback reaches the browser (the details go to the server's log)."""

from __future__ import annotations

import sqlite3

from streamlit.testing.v1 import AppTest


def _page_hit_by_a_locked_database(path: str) -> None:
    import sqlite3

    from app_pages.access import plain_error

    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0)
    try:
        other.execute("INSERT INTO t VALUES (1)")
    except sqlite3.OperationalError as error:
        plain_error(error)
    finally:
        holder.execute("ROLLBACK")


def _page_with_a_bug() -> None:
    from app_pages.access import plain_error

    plain_error(KeyError("internal detail"))


def test_a_locked_database_is_told_plainly(tmp_path):
    path = str(tmp_path / "locked.db")
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x INTEGER)")
    at = AppTest.from_function(_page_hit_by_a_locked_database, args=(path,)).run()
    assert not at.exception
    [message] = [e.value for e in at.error]
    assert message.startswith("The database could not do this: the database is busy")
    assert "Please try again in a minute." in message and "Traceback" not in message


def test_any_other_failure_gets_the_generic_message_without_details():
    at = AppTest.from_function(_page_with_a_bug).run()
    [message] = [e.value for e in at.error]
    assert message == "Something went wrong on this page. The details are in the server's log; try again."
    assert "internal detail" not in message
