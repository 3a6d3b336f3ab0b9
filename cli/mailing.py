"""Commands for invitations by e-mail: the contact list (`materiality contacts ...`), mailing the
links (`materiality invite --send`) and reminders (`materiality remind`)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import AssessmentOption, BaseUrlOption, DbOption, fail, open_engine, reports_errors

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from services.mailing import MailPreview, SendReport

commands = typer.Typer()
contacts = typer.Typer(help="The contact list an assessment's links are mailed to.", no_args_is_help=True)
commands.add_typer(contacts, name="contacts")

DeadlineOption = Annotated[
    str | None,
    typer.Option(
        help="Answer-by date the message gives (default: MATERIALITY_SURVEY_DEADLINE).", show_default=False
    ),
]
PreviewOption = Annotated[
    bool, typer.Option("--preview", help="Show the first message and how many would go; send nothing.")
]


@contacts.command("import")
@reports_errors
def import_contacts(
    file: Annotated[str, typer.Argument(help="CSV or XLSX: email, group [, channel, language, name].")],
    assessment: AssessmentOption,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and summarise; write nothing.")] = False,
    db: DbOption = None,
) -> None:
    """Add contacts from a file: all of its rows or none; addresses already listed are kept."""
    from services.mailing import import_contacts as add
    from services.mailing import read_contacts

    summary = add(
        engine=open_engine(db), assessment_key=assessment, contact_file=read_contacts(file), dry_run=dry_run
    )
    for line in summary.lines():
        typer.echo(line)


@contacts.command("list")
@reports_errors
def list_command(assessment: AssessmentOption, db: DbOption = None) -> None:
    """The contacts with what was sent to them (not whether they answered)."""
    from services.mailing import list_contacts

    listed = list_contacts(engine=open_engine(db), assessment_key=assessment)
    if not listed:
        typer.echo(f"No contacts for assessment '{assessment}'.")
        return
    for c in listed:
        invited = c.invited_at.strftime("%Y-%m-%d %H:%M") if c.invited_at else "not yet"
        error = f"  last try failed: {c.last_error}" if c.last_error else ""
        typer.echo(
            f"{c.email}\t{c.group}\t{c.channel or '-'}\t{c.language}\tinvited {invited}\t"
            f"{c.reminders} reminders{error}"
        )
    typer.echo(f"{len(listed)} contacts.")


@contacts.command("purge")
@reports_errors
def purge_command(
    assessment: AssessmentOption,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    db: DbOption = None,
) -> None:
    """Delete the contact list for good (addresses, names, the links kept for reminders); the
    invitations and the answers stay."""
    from services.mailing import purge_contacts

    if not yes and not typer.confirm(f"Delete every contact of assessment '{assessment}' for good?"):
        raise typer.Exit(1)
    purged = purge_contacts(engine=open_engine(db), assessment_key=assessment)
    typer.echo(f"Deleted {purged.deleted} contacts of assessment '{assessment}'.")
    typer.echo(purged.erased)


@contacts.command("new-key")
def new_key() -> None:
    """Print a fresh key for MATERIALITY_MAIL_KEY (keep it with the app's other secrets)."""
    from survey.tokens import new_mail_key

    typer.echo(new_mail_key())


def _progress(done: int, total: int, email: str, failure: str | None) -> None:
    typer.echo(f"[{done}/{total}] {email}: {'sent' if failure is None else f'FAILED ({failure})'}", err=True)


def _show_preview(shown: MailPreview) -> None:
    typer.echo(f"Links point to {shown.base_url}.")
    typer.echo(f"{shown.count} {shown.kind}s would be sent.")
    if shown.letter is not None:
        typer.echo(
            f"First message, to {shown.recipient}:\nSubject: {shown.letter.subject}\n\n{shown.letter.text}"
        )


def _report(report: SendReport) -> None:
    sys.stderr.flush()
    for line in report.lines():
        typer.echo(line)
    if report.failed:
        raise typer.Exit(2)


def send_invitations(
    engine: Engine, assessment: str, base_url: str | None, deadline: str | None, preview: bool
) -> None:
    """`materiality invite --send`: mail each contact not yet invited its link."""
    from services.mailing import preview as preview_mail
    from services.mailing import send_invitations as send

    if preview:
        _show_preview(
            preview_mail(engine=engine, assessment_key=assessment, base_url=base_url, deadline=deadline)
        )
        return
    _report(
        send(
            engine=engine, assessment_key=assessment, base_url=base_url, deadline=deadline, progress=_progress
        )
    )


@commands.command()
@reports_errors
def remind(
    assessment: AssessmentOption,
    min_days: Annotated[
        float, typer.Option("--min-days", help="Only contacts last mailed at least this many days ago.")
    ] = 7,
    max_reminders: Annotated[
        int, typer.Option("--max-reminders", help="Remind a contact at most this many times.")
    ] = 2,
    deadline: DeadlineOption = None,
    preview: PreviewOption = False,
    base_url: BaseUrlOption = None,
    db: DbOption = None,
) -> None:
    """Mail a reminder, with the same link, to the invited contacts who have not submitted."""
    from services.mailing import preview as preview_mail
    from services.mailing import send_reminders

    if min_days < 0 or max_reminders < 0:
        raise fail("--min-days and --max-reminders cannot be negative")
    engine = open_engine(db)
    if preview:
        shown = preview_mail(
            engine=engine,
            assessment_key=assessment,
            reminder=True,
            min_days=min_days,
            max_reminders=max_reminders,
            base_url=base_url,
            deadline=deadline,
        )
        _show_preview(shown)
        return
    report = send_reminders(
        engine=engine,
        assessment_key=assessment,
        min_days=min_days,
        max_reminders=max_reminders,
        base_url=base_url,
        deadline=deadline,
        progress=_progress,
    )
    _report(report)
