"""The `materiality` command: the analyst's face of the toolkit.

Every command opens the database given by ``--db`` (or ``MATERIALITY_DATABASE_URL``, or the
default SQLite file), upgrading its schema when it is older than this toolkit, and asks the
services (:mod:`services`) for what it does. One module per group of commands.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli import assessments, audit, data, dma, fieldwork, iro, mailing, results, users

app = typer.Typer(
    help="Materiality assessment and stakeholder survey toolkit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def options(
    actor: Annotated[
        str | None,
        typer.Option(
            "--actor",
            help="Who is making the changes, for the audit trail (default: MATERIALITY_ACTOR, "
            "else the OS user).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Materiality assessment and stakeholder survey toolkit."""
    from services.audit import use_command_line_actor

    use_command_line_actor(actor)


for group in (assessments, results, fieldwork, mailing, data, iro, dma, audit):
    app.add_typer(group.commands)
app.add_typer(users.commands, name="users")


def main() -> None:
    app()
