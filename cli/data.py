"""Commands for data in and out: imports of survey-tool exports, the integrity check, whole
assessments as files."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import DbOption, open_engine, reports_errors

if TYPE_CHECKING:
    from survey.importers import ImportSummary

commands = typer.Typer()


@commands.command("import")
@reports_errors
def import_command(
    file: Annotated[str, typer.Argument(help="The export: CSV, TSV or XLSX.", show_default=False)],
    assessment: Annotated[str, typer.Option("--assessment", "-a", help="Assessment key, e.g. 2020.")],
    mapping: Annotated[
        str | None, typer.Option(help="Mapping YAML: what the export cannot say (see docs/importing.md).")
    ] = None,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="long, wide, qualtrics, limesurvey, google_forms, ms_forms or surveymonkey "
            "(default: detected from the file).",
        ),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Text encoding, e.g. gb18030 (default: detected).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and summarise; write nothing.")] = False,
    suggest_mapping: Annotated[
        bool,
        typer.Option(
            "--suggest-mapping",
            help="Write FILE's stem + .mapping.yaml: the group question and rating columns to start from.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Import responses from a survey tool's export: all of the file or nothing, nothing twice."""
    from services.data import import_responses
    from survey.importers import read_export

    if suggest_mapping:
        write_suggestion(file, assessment, format, encoding, db)
        return
    large = os.path.exists(file) and os.path.getsize(file) > 2_000_000
    bars = ProgressBars(enabled=large)
    summary: ImportSummary
    try:
        parsed = read_export(file, format=format, mapping=mapping, encoding=encoding, progress=bars)
        how = "detected from its header" if parsed.format_detected else "as given"
        typer.echo(f"Reading {parsed.filename} as {parsed.format} ({how}), {parsed.encoding_note}.", err=True)
        summary = import_responses(
            engine=open_engine(db), assessment_key=assessment, parsed=parsed, dry_run=dry_run, progress=bars
        )
    finally:
        bars.close()
    sys.stdout.flush()
    for line in summary.lines()[1:]:
        typer.echo(line)


def write_suggestion(
    file: str, assessment: str, format: str | None, encoding: str | None, db: str | None
) -> None:
    """`import --suggest-mapping`: a mapping to start from, next to the export; never overwrites."""
    from services.data import suggest_mapping
    from survey.importers import read_export

    parsed = read_export(file, format=format, encoding=encoding)
    text = suggest_mapping(engine=open_engine(db), assessment_key=assessment, parsed=parsed)
    target = Path(file).with_name(Path(file).stem + ".mapping.yaml")
    with target.open("x", encoding="utf-8") as out:
        out.write(text)
    typer.echo(f"Read {parsed.filename} as {parsed.format}, {parsed.encoding_note}.")
    typer.echo(f"Wrote {target}: fill in the blanks, then import with --mapping {target}.")


class ProgressBars:
    """Progress of a large import on stderr: one bar per stage (reading, checking, writing)."""

    def __init__(self, *, enabled: bool):
        self.enabled = enabled
        self.stage: str | None = None
        self.bar: Any = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = typer.progressbar(length=total, label=stage.capitalize(), file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None
            self.stage = None


@commands.command()
@reports_errors
def check(db: DbOption = None) -> None:
    """Verify the database: schema revision, summary tables against the raw ratings, orphans.
    Exits non-zero when it finds a problem."""
    from sqlalchemy.exc import SQLAlchemyError

    from services.data import check_database
    from survey.db import DatabaseError, describe_database_error

    engine = open_engine(db, upgrade=False, reading=True)  # report an old schema rather than upgrade it
    try:
        report = check_database(engine=engine)
    except (SQLAlchemyError, ValueError) as exc:
        plain = describe_database_error(exc) or exc
        raise DatabaseError(f"cannot open database {db or '(default)'}: {plain}") from exc
    for line in report.lines():
        typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)


@commands.command("export-assessment")
@reports_errors
def export_assessment_command(
    key: Annotated[str, typer.Argument(help="Assessment key, e.g. 2020.", show_default=False)],
    file: Annotated[
        str, typer.Argument(help="New file: JSON, gzip-compressed if it ends in .gz.", show_default=False)
    ],
    db: DbOption = None,
) -> None:
    """Write a whole assessment (catalog snapshot, links, responses, comments, method log) to a file."""
    from services.data import export_assessment

    written = export_assessment(engine=open_engine(db), assessment_key=key, file=file)
    typer.echo(
        f"Wrote assessment '{key}' to {file}: {written.responses} responses, "
        f"{written.ratings} ratings, {written.comments} comments, "
        f"{written.invitations} invitations, {written.method_records} method records."
    )


@commands.command("import-assessment")
@reports_errors
def import_assessment_command(
    file: Annotated[str, typer.Argument(help="A file written by export-assessment.", show_default=False)],
    as_key: Annotated[
        str | None, typer.Option("--as", help="Import under this key instead of the file's.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Add an assessment from a file written by export-assessment: all of it or nothing."""
    from services.data import import_assessment
    from survey.backup import read_assessment_file

    document = read_assessment_file(file)
    added = import_assessment(engine=open_engine(db), document=document, as_key=as_key)
    typer.echo(
        f"Imported assessment '{added.key}' from {file}: {added.responses} responses, "
        f"{added.ratings} ratings, {added.comments} comments, "
        f"{added.invitations} invitations, {added.method_records} method records."
    )
