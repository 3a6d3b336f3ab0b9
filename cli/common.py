"""What every command shares: the options, the engine, and errors reported on stderr.

Nothing here imports the toolkit's data side or analysis at module level, so that
``materiality --help`` and the commands that do not analyse start quickly; each command
imports the services it needs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: MATERIALITY_DATABASE_URL or sqlite:///materiality.db).",
        show_default=False,
    ),
]
AssessmentOption = Annotated[str, typer.Option("--assessment", "-a", help="Assessment key, e.g. 2020.")]
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url", help="Public address of the app (default: MATERIALITY_BASE_URL).", show_default=False
    ),
]

P = ParamSpec("P")


def link_address(base_url: str | None) -> str:
    """The address links carry, and where it comes from."""
    if base_url:
        return f"{base_url} (--base-url)"
    from survey.settings import get_settings

    return f"{get_settings().base_url} (MATERIALITY_BASE_URL, or its default)"


R = TypeVar("R")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Say what is wrong on stderr; raise the returned exit to stop with `code`."""
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code)


# Exit codes: 1 for bad input or a database that cannot do the work, 75 (EX_TEMPFAIL) for a
# database busy with another program's writing: the same command may succeed in a moment.
EXIT_BUSY = 75


def _reported_errors() -> tuple[type[Exception], ...]:
    """The errors that mean bad input or a bad database rather than a bug: the toolkit's own
    (the store's, the catalog's, the method's and the importers' are ValueErrors) and the
    file system's."""
    from survey.db import DatabaseError

    return (DatabaseError, ValueError, OSError)


def _os_message(exc: OSError) -> str:
    """An operating-system error in words: what failed, and on which file."""
    if not exc.strerror or not str(exc).startswith("[Errno"):
        return str(exc)  # the toolkit's own message
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror}{where}"


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the toolkit's own errors, a database that is busy, full, read-only or unreachable, and
    running out of memory into a message on stderr and a non-zero exit code (no traceback)."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from sqlalchemy.exc import SQLAlchemyError

        from survey.db import database_problem, describe_database_error

        try:
            return command(*args, **kwargs)
        except MemoryError:
            raise fail(
                "ran out of memory; nothing was written. Try a smaller file, or lower the import limits "
                "(MATERIALITY_MAX_IMPORT_*)"
            ) from None
        except SQLAlchemyError as exc:
            plain = describe_database_error(exc) or _database_cause(exc)
            raise fail(plain, EXIT_BUSY if database_problem(exc) == "busy" else 1) from None
        except Exception as exc:
            if isinstance(exc, _reported_errors()):
                raise fail(_os_message(exc) if isinstance(exc, OSError) else str(exc)) from None
            cause = exc.__cause__
            if isinstance(cause, SQLAlchemyError) and describe_database_error(cause):
                raise fail(str(describe_database_error(cause))) from None
            raise

    return wrapper


def _database_cause(exc: Exception) -> str:
    """The driver's own words for a database error, without SQLAlchemy's statement and links."""
    original = getattr(exc, "orig", None)
    return f"the database refused the work: {original or exc}".splitlines()[0]


def open_engine(db: str | None, *, upgrade: bool = True, reading: bool = False) -> Engine:
    """The database at `db` (default: the settings), its schema brought up to date unless
    `upgrade` is False. For a command that only reads (`reading`), a SQLite file that cannot be
    written is opened read-only."""
    from sqlalchemy.exc import SQLAlchemyError

    from survey.db import DatabaseError, create_db_engine, describe_database_error, open_for_reading

    try:
        if reading:
            return open_for_reading(db, upgrade=upgrade)
        return create_db_engine(db, upgrade=upgrade)
    except DatabaseError:
        raise
    except SQLAlchemyError as exc:
        plain = describe_database_error(exc)
        if plain is None:
            raise DatabaseError(f"cannot open database {db or '(default)'}: {_database_cause(exc)}") from None
        raise DatabaseError(f"cannot open database {db or '(default)'}: {plain}") from None
    except Exception as exc:  # the driver's own message says what is wrong with the URL
        raise DatabaseError(f"cannot open database {db or '(default)'}: {exc}") from exc
