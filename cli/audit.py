"""The audit trail: who changed what, when, and what it was before."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import DbOption, open_engine, reports_errors

commands = typer.Typer()


@commands.command("audit")
@reports_errors
def audit_command(
    assessment: Annotated[
        str | None, typer.Option("--assessment", "-a", help="Only the changes to this assessment.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only from this date (YYYY-MM-DD, UTC) or ISO time on.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="text, csv or json.")] = "text",
    db: DbOption = None,
) -> None:
    """List the audit trail, oldest first (`materiality check` verifies its hash chain)."""
    from services.audit import FORMATS, audit_rows, formatted, parse_since

    if fmt not in FORMATS:
        raise ValueError(f"--format: '{fmt}' is not one of {', '.join(FORMATS)}")
    rows = audit_rows(engine=open_engine(db), assessment=assessment, since=parse_since(since))
    typer.echo(formatted(rows, fmt), nl=False)
