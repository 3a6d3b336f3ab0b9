"""Commands for the fieldwork: open and close the survey, survey links, tracking, withdrawal."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import (
    AssessmentOption,
    BaseUrlOption,
    DbOption,
    fail,
    link_address,
    open_engine,
    reports_errors,
)
from cli.mailing import DeadlineOption, PreviewOption, send_invitations

if TYPE_CHECKING:
    import pandas as pd

commands = typer.Typer()


@commands.command("open")
@reports_errors
def open_command(assessment: AssessmentOption, db: DbOption = None) -> None:
    """Start the fieldwork: the assessment's survey links accept answers."""
    from services.fieldwork import open_survey

    open_survey(engine=open_engine(db), assessment_key=assessment)
    typer.echo(f"Assessment '{assessment}' is open: its survey links accept answers.")


@commands.command("close")
@reports_errors
def close_command(assessment: AssessmentOption, db: DbOption = None) -> None:
    """End the fieldwork: the assessment's survey links no longer accept answers."""
    from services.fieldwork import close_survey
    from services.mailing import contact_counts

    engine = open_engine(db)
    close_survey(engine=engine, assessment_key=assessment)
    typer.echo(f"Assessment '{assessment}' is closed: its survey links no longer accept answers.")
    listed = contact_counts(engine=engine, assessment_key=assessment).total
    if listed:
        typer.echo(
            f"Its contact list still holds {listed} addresses: delete them with "
            f"`materiality contacts purge --assessment {assessment}`."
        )


@commands.command()
@reports_errors
def invite(
    assessment: AssessmentOption,
    group: Annotated[
        str | None, typer.Option(help="Stakeholder group key, e.g. clients or management.")
    ] = None,
    out: Annotated[
        str | None, typer.Option("--out", "-o", help="New CSV file for the links (one row per link).")
    ] = None,
    count: Annotated[int, typer.Option(help="How many personal links.")] = 1,
    channel: Annotated[
        str | None, typer.Option(help="Channel of the group the links go out through.")
    ] = None,
    lang: Annotated[str, typer.Option(help="Language the survey opens in: en or zh.")] = "en",
    open_link: Annotated[
        bool, typer.Option("--open-link", help="One open link for anonymous answers (replaces an older one).")
    ] = False,
    send: Annotated[
        bool,
        typer.Option("--send", help="Mail each contact not yet invited its personal link (see `contacts`)."),
    ] = False,
    deadline: DeadlineOption = None,
    preview: PreviewOption = False,
    base_url: BaseUrlOption = None,
    db: DbOption = None,
) -> None:
    """Issue survey links for a group (and channel) and write them to a CSV for a mail merge; or,
    with --send, mail the contacts of the assessment their links."""
    from core.files import new_csv_file
    from services.fieldwork import LINK_COLUMNS, issue_links, issue_open_link

    if send:
        if group or out or open_link or channel or count != 1:
            raise fail(
                "--send mails the contact list: leave out --group, --out, --count, --channel, --open-link"
            )
        send_invitations(open_engine(db), assessment, base_url, deadline, preview)
        return
    if preview or deadline:
        raise fail("--preview and --deadline go with --send")
    if not group or not out:
        raise fail("give --group and --out (links to a CSV file), or --send (mail the contact list)")
    with new_csv_file(Path(out), LINK_COLUMNS) as write:
        if open_link and count != 1:
            raise fail("count: an open link is a single link; leave out --count")
        engine = open_engine(db)
        if open_link:
            links = issue_open_link(
                engine=engine,
                assessment_key=assessment,
                group=group,
                channel=channel,
                language=lang,
                base_url=base_url,
                deliver=write,
            )
        else:
            links = issue_links(
                engine=engine,
                assessment_key=assessment,
                group=group,
                count=count,
                channel=channel,
                language=lang,
                base_url=base_url,
                deliver=write,
            )
    kind = "open link" if open_link else f"personal link{'s' if len(links) != 1 else ''}"
    typer.echo(f"Wrote {len(links)} {kind} for '{group}'{f' / {channel}' if channel else ''} to {out}.")
    typer.echo(f"The links point to {link_address(base_url)}.")
    if links.replaced:
        typer.echo("The group's previous open link for this channel no longer works.")


@commands.command()
@reports_errors
def links(
    assessment: AssessmentOption,
    unused: Annotated[
        bool, typer.Option("--unused", help="Export the invitations not submitted yet.")
    ] = False,
    out: Annotated[str | None, typer.Option("--out", "-o", help="New CSV file for --unused.")] = None,
    reissue: Annotated[
        bool,
        typer.Option("--reissue", help="With --unused: new links for them; their old links stop working."),
    ] = False,
    group: Annotated[str | None, typer.Option(help="Only this group (with --unused).")] = None,
    channel: Annotated[str | None, typer.Option(help="Only this channel (with --unused).")] = None,
    base_url: BaseUrlOption = None,
    db: DbOption = None,
) -> None:
    """Show links issued, opened, drafts, submitted and the response rate per group and channel;
    with --unused, export the unused invitations for reminders."""
    from core.files import new_csv_file
    from services.fieldwork import (
        LINK_COLUMNS,
        UNUSED_COLUMNS,
        link_tracking,
        reissue_unused,
        unused_invitations,
    )

    engine = open_engine(db)
    if not unused:
        if out or reissue:
            raise fail("--out and --reissue go with --unused")
        show_tracking(link_tracking(engine=engine, assessment_key=assessment), assessment)
        return
    if not out:
        raise fail("--unused needs --out FILE")
    with new_csv_file(Path(out), LINK_COLUMNS if reissue else UNUSED_COLUMNS) as write:
        if reissue:
            count = len(
                reissue_unused(
                    engine=engine,
                    assessment_key=assessment,
                    group=group,
                    channel=channel,
                    base_url=base_url,
                    deliver=write,
                )
            )
        else:
            pending = unused_invitations(
                engine=engine, assessment_key=assessment, group=group, channel=channel
            )
            write(pending)
            count = len(pending)
    if reissue:
        typer.echo(f"Wrote {count} new links to {out}; the old links of these invitations no longer work.")
        typer.echo(f"The links point to {link_address(base_url)}.")
    else:
        typer.echo(
            f"Wrote {count} unused invitations to {out} (by invitation_id: links are kept only as hashes; "
            "use --reissue for new links)."
        )


def show_tracking(table: pd.DataFrame, assessment: str) -> None:
    """The tracking table with its totals, as the `links` command prints it."""
    if table.empty:
        typer.echo(f"No links issued for assessment '{assessment}' yet.")
        return
    shown = table.assign(
        channel=table["channel"].fillna("-"),
        response_rate=table["response_rate"].map(lambda r: "-" if r != r else f"{r:.0%}"),
        open_link=table["open_link"].map({True: "yes", False: "no"}),
    )
    typer.echo(shown.to_string(index=False))
    issued, done = int(table["issued"].sum()), int(table["submitted"].sum())
    rate = f"{done / issued:.0%}" if issued else "-"
    typer.echo(
        f"Total: {issued} personal links, {done} submitted ({rate}), "
        f"{int(table['open_link_responses'].sum())} answers through open links."
    )


@commands.command()
@reports_errors
def withdraw(
    assessment: AssessmentOption,
    response: Annotated[int | None, typer.Option(help="Id of the response to delete.")] = None,
    link: Annotated[
        str | None, typer.Option(help="The survey link (or token) the response came from.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Delete a response (and its invitation) for good: it then counts nowhere."""
    from services.fieldwork import withdraw as withdraw_response

    removed = withdraw_response(
        engine=open_engine(db), assessment_key=assessment, response_id=response, link=link or None
    )
    typer.echo(f"Withdrew response {removed} from assessment '{assessment}'.")
