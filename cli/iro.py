"""Commands for the IRO register: import and export it, carry it forward, import ratings,
attach evidence."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from cli.common import AssessmentOption, DbOption, fail, open_engine, reports_errors

commands = typer.Typer()
iro = typer.Typer(help="The register of impacts, risks and opportunities (IROs).", no_args_is_help=True)
commands.add_typer(iro, name="iro")

ActorOption = Annotated[
    str | None,
    typer.Option("--actor", help="Who does this, for the log (default: the user name).", show_default=False),
]
FileArgument = Annotated[Path, typer.Argument(help="A CSV (UTF-8) or XLSX file.")]


def actor_of(actor: str | None) -> str:
    return actor or getpass.getuser()


@iro.command("import")
@reports_errors
def import_command(
    file: FileArgument, assessment: AssessmentOption, actor: ActorOption = None, db: DbOption = None
) -> None:
    """Import a register: columns iro, topic, sub_topic, type, status, value_chain (';'-separated),
    horizon, human_rights, description (and optionally owner). All rows or none."""
    from services.dma import import_register

    counts = import_register(
        engine=open_engine(db), assessment_key=assessment, path=file, actor=actor_of(actor)
    )
    typer.echo(f"Register of '{assessment}': {counts['added']} IROs added, {counts['updated']} updated.")


@iro.command("export")
@reports_errors
def export_command(
    assessment: AssessmentOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write (.csv or .xlsx).")],
    db: DbOption = None,
) -> None:
    """Write the register to a file that `materiality iro import` reads back."""
    from core.files import write_atomically
    from services.dma import export_register

    data = export_register(
        engine=open_engine(db), assessment_key=assessment, xlsx=out.suffix.lower() == ".xlsx"
    )
    write_atomically(out.parent if str(out.parent) else Path("."), {out.name: data})
    typer.echo(f"Wrote the register of '{assessment}' to {out}.")


@iro.command("carry-forward")
@reports_errors
def carry_forward_command(
    assessment: AssessmentOption,
    source: Annotated[
        str | None, typer.Option("--from", help="Assessment to copy from (default: the previous year's).")
    ] = None,
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Copy last year's IROs (without their ratings) into the assessment."""
    from services.dma import carry_forward

    counts = carry_forward(
        engine=open_engine(db), assessment_key=assessment, actor=actor_of(actor), source_key=source
    )
    typer.echo(f"Carried {counts['added']} IROs forward into '{assessment}'.")


@iro.command("ratings")
@reports_errors
def ratings_command(
    file: FileArgument, assessment: AssessmentOption, actor: ActorOption = None, db: DbOption = None
) -> None:
    """Import ratings: columns assessor, iro, criterion, value (1-5), rationale. A row without a
    rationale, with a criterion that does not apply or a value off the scale refuses the file."""
    from services.dma import import_ratings

    counts = import_ratings(
        engine=open_engine(db), assessment_key=assessment, path=file, actor=actor_of(actor)
    )
    typer.echo(f"Ratings of '{assessment}': {counts['added']} added, {counts['replaced']} replaced.")


@iro.command("evidence")
@reports_errors
def evidence_command(
    assessment: AssessmentOption,
    iro_id: Annotated[str, typer.Option("--iro", help="The IRO's id.")],
    url: Annotated[str | None, typer.Option(help="A link (http or https).")] = None,
    file: Annotated[Path | None, typer.Option(help="A file to keep with its SHA-256.")] = None,
    label: Annotated[str, typer.Option(help="What the evidence is.")] = "",
    actor: ActorOption = None,
    db: DbOption = None,
) -> None:
    """Attach evidence to an IRO: a link or a file."""
    from services.dma import add_evidence

    if (url is None) == (file is None):
        raise fail("give either --url or --file")
    digest = add_evidence(
        engine=open_engine(db),
        assessment_key=assessment,
        iro_id=iro_id,
        actor=actor_of(actor),
        url=url or "",
        label=label,
        filename=file.name if file else "",
        content=file.read_bytes() if file else None,
    )
    typer.echo(f"Evidence added to {iro_id}" + (f" (SHA-256 {digest})." if digest else "."))
