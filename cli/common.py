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


def _reported_errors() -> tuple[type[Exception], ...]:
    """The errors that mean bad input or a bad database rather than a bug: the toolkit's own
    (the store's, the catalog's, the method's and the importers' are ValueErrors) and the
    file system's."""
    from survey.db import DatabaseError

    return (DatabaseError, ValueError, OSError)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the toolkit's own errors into a message on stderr and a non-zero exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except Exception as exc:
            if not isinstance(exc, _reported_errors()):
                raise
            raise fail(str(exc)) from None

    return wrapper


def open_engine(db: str | None, *, upgrade: bool = True) -> Engine:
    """The database at `db` (default: the settings), its schema brought up to date unless
    `upgrade` is False."""
    from survey.db import DatabaseError, create_db_engine

    try:
        return create_db_engine(db, upgrade=upgrade)
    except Exception as exc:  # the driver's own message says what is wrong with the URL
        raise DatabaseError(f"cannot open database {db or '(default)'}: {exc}") from exc
