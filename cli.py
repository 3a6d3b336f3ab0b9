"""The `materiality` command: the analyst's face of the toolkit.

Every command opens the database given by ``--db`` (or ``MATERIALITY_DATABASE_URL``, or the
default SQLite file), upgrading its schema when it is older than this toolkit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import typer
from sqlalchemy.engine import Engine

from survey.catalog import CatalogError, load_catalog
from survey.db import DatabaseError, create_db_engine, transaction
from survey.demo import create_demo
from survey.store import StoreError, create_assessment, list_assessments

app = typer.Typer(
    help="Materiality assessment and stakeholder survey toolkit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: MATERIALITY_DATABASE_URL or sqlite:///materiality.db).",
        show_default=False,
    ),
]
AssessmentOption = Annotated[str, typer.Option("--assessment", "-a", help="Assessment key, e.g. 2020.")]

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the toolkit's own errors into a message on stderr and a non-zero exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (StoreError, CatalogError, DatabaseError, ValueError, OSError) as exc:
            raise fail(str(exc)) from None

    return wrapper


def open_engine(db: str | None) -> Engine:
    try:
        return create_db_engine(db)
    except Exception as exc:  # the driver's own message says what is wrong with the URL
        raise DatabaseError(f"cannot open database {db or '(default)'}: {exc}") from exc


@app.command()
@reports_errors
def init(
    assessment: AssessmentOption,
    year: Annotated[
        int | None, typer.Option(help="Year of the assessment (default: the key if numeric).")
    ] = None,
    catalog: Annotated[
        str,
        typer.Option(
            help="'default', a catalog directory, or a CSV of topics (key, name, category, description)."
        ),
    ] = "default",
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    db: DbOption = None,
) -> None:
    """Create an assessment with its own copy of the topic and stakeholder catalog."""
    if year is None:
        if not assessment.isdigit():
            raise fail(f"give --year: the assessment key '{assessment}' is not a year")
        year = int(assessment)
    loaded = load_catalog(catalog)
    engine = open_engine(db)
    with transaction(engine) as session:
        created = create_assessment(session=session, key=assessment, year=year, catalog=loaded, name=name)
        typer.echo(
            f"Created assessment '{created.key}' ({created.year}): {len(loaded.topics)} topics, "
            f"{len(loaded.groups)} groups, {len(loaded.channels)} channels, status {created.status}."
        )


@app.command()
@reports_errors
def demo(db: DbOption = None) -> None:
    """Create the demo assessments 2019 and 2020 with synthetic responses (deterministic)."""
    engine = open_engine(db)
    with transaction(engine) as session:
        created = create_demo(session=session)
    if created:
        typer.echo(f"Created demo assessment(s): {', '.join(created)}.")
    else:
        typer.echo("The demo assessments exist already; nothing to do.")


@app.command("list")
@reports_errors
def list_command(db: DbOption = None) -> None:
    """List the assessments in the database."""
    engine = open_engine(db)
    with transaction(engine, write=False) as session:
        assessments = list_assessments(session=session)
        if not assessments:
            typer.echo("No assessments yet. Create one with `materiality init --assessment KEY`.")
        for a in assessments:
            typer.echo(f"{a.key}\t{a.year}\t{a.status}\t{a.name}")


@app.command()
@reports_errors
def run(
    assessment: AssessmentOption,
    out: Annotated[str, typer.Option("--out", "-o", help="Directory for the result files.")],
    method: Annotated[
        str | None,
        typer.Option(help="YAML method file (default: the assessment's stored method, else the defaults)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Analyse an assessment: scores with intervals, tiers with p_tier, agreement, changes, method."""
    # imported here so that the other commands start without the numerical stack
    from pathlib import Path

    from analysis.method import MethodError, load_method_file, method_from_dict
    from analysis.pipeline import RUN_FILES, analyse, write_run_files
    from survey.store import current_method, load_assessment_data, previous_assessment

    config = load_method_file(method) if method else None
    source = {"kind": "file", "file": Path(method).name} if method else {"kind": "defaults"}
    engine = open_engine(db)
    with transaction(engine) as session:
        data = load_assessment_data(session=session, assessment_key=assessment)
        earlier = previous_assessment(session=session, key=assessment)
        previous = load_assessment_data(session=session, assessment_key=earlier.key) if earlier else None
        if config is None:
            stored = current_method(session=session, assessment_key=assessment)
            if stored is not None:
                label = f"stored method of assessment '{assessment}'"
                config = method_from_dict(stored, source=label, record=True)
                source = {"kind": "stored"}
    try:
        result = analyse(data, config, previous, source=source)
    except MethodError as exc:
        where = method or ("stored method" if source["kind"] == "stored" else "method")
        raise MethodError([f"{where}: {problem}" for problem in exc.problems]) from None
    write_run_files(result, out)
    tiers = result.topics["tier"].value_counts()
    summary = ", ".join(f"{tiers[name]} {name}" for name in ["high", "material", "low"] if name in tiers)
    unstable = result.topics.loc[result.topics["p_tier"] < 0.8, "topic"].tolist()
    typer.echo(f"Assessment '{assessment}': {summary}.")
    if unstable:
        typer.echo(f"Tier uncertain (p_tier < 0.8): {', '.join(unstable)}.")
    if previous is not None:
        typer.echo(f"Compared with assessment '{previous.key}'.")
    typer.echo(f"Wrote {', '.join(RUN_FILES)} to {out}.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
