"""Commands for assessments: create one, the demo, the list."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import AssessmentOption, DbOption, fail, open_engine, reports_errors

commands = typer.Typer()


@commands.command()
@reports_errors
def init(
    assessment: AssessmentOption,
    year: Annotated[
        int | None, typer.Option(help="Year of the assessment (default: the key if numeric).")
    ] = None,
    catalog: Annotated[
        str,
        typer.Option(
            help=(
                "'default' (16 topics), 'esrs-2023' (the ESRS 1 AR 16 topics), a catalog directory, "
                "or a CSV of topics (key, name, category, description)."
            )
        ),
    ] = "default",
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    db: DbOption = None,
) -> None:
    """Create an assessment with its own copy of the topic and stakeholder catalog."""
    from services.assessments import create_assessment
    from survey.iro_catalog import load_named_catalog

    if year is None:
        if not assessment.isdigit():
            raise fail(f"give --year: the assessment key '{assessment}' is not a year")
        year = int(assessment)
    loaded = load_named_catalog(catalog)
    created = create_assessment(engine=open_engine(db), key=assessment, year=year, catalog=loaded, name=name)
    typer.echo(
        f"Created assessment '{created.key}' ({created.year}): {created.topics} topics, "
        f"{created.groups} groups, {created.channels} channels, status {created.status}."
    )


@commands.command()
@reports_errors
def demo(db: DbOption = None) -> None:
    """Create the demo assessments 2019 and 2020 with synthetic responses (deterministic)."""
    from services.assessments import create_demo

    created = create_demo(engine=open_engine(db))
    if created:
        typer.echo(f"Created demo assessment(s): {', '.join(created)}.")
    else:
        typer.echo("The demo assessments exist already; nothing to do.")


@commands.command("list")
@reports_errors
def list_command(db: DbOption = None) -> None:
    """List the assessments in the database."""
    from services.assessments import list_assessments

    assessments = list_assessments(engine=open_engine(db, reading=True))
    if not assessments:
        typer.echo("No assessments yet. Create one with `materiality init --assessment KEY`.")
    for a in assessments:
        typer.echo(f"{a.key}\t{a.year}\t{a.status}\t{a.name}")
