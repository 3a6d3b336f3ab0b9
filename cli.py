"""The `materiality` command: the analyst's face of the toolkit.

Every command opens the database given by ``--db`` (or ``MATERIALITY_DATABASE_URL``, or the
default SQLite file), upgrading its schema when it is older than this toolkit.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from sqlalchemy.engine import Engine

from core.files import new_csv_file, write_atomically
from survey.assessments import create_assessment, list_assessments, set_status
from survey.catalog import CatalogError, load_catalog
from survey.db import DatabaseError, create_db_engine, transaction
from survey.demo import create_demo
from survey.errors import StoreError

if TYPE_CHECKING:
    import pandas as pd

    from analysis.pipeline import AnalysisResult

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


@dataclass(frozen=True)
class WrittenPack:
    """The files of a report pack as written, and the seconds spent per stage."""

    files: list[Path]
    timings: dict[str, float]


def write_run_files(result: AnalysisResult, out: str | Path) -> list[Path]:
    """Write the five result files into `out`: staged under temporary names, then moved into place."""
    from analysis.pipeline import run_files

    return write_atomically(Path(out), run_files(result))


def write_report_pack(result: AnalysisResult, out: str | Path, channel_stats: pd.DataFrame) -> WrittenPack:
    """Render the report pack and write it into `out`, all files or none (staged, then moved)."""
    from render.pack import report_pack

    timings: dict[str, float] = {}
    contents = report_pack(result, channel_stats, timings=timings)
    started = time.perf_counter()
    files = write_atomically(Path(out), contents)
    timings["writing files"] = time.perf_counter() - started
    return WrittenPack(files, timings)


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
    from analysis.channels import channel_stats_from
    from analysis.method import MethodError, load_method_file, method_from_dict
    from analysis.pipeline import RUN_FILES, analyse
    from analysis.rules import UNCERTAIN_P_TIER
    from survey.assessments import previous_assessment
    from survey.methods import current_method
    from survey.reads import load_assessment_data
    from survey.tracking import tracking

    config = load_method_file(method) if method else None
    source = {"kind": "file", "file": Path(method).name} if method else {"kind": "defaults"}
    engine = open_engine(db)
    with transaction(engine) as session:
        data = load_assessment_data(session=session, assessment_key=assessment)
        earlier = previous_assessment(session=session, key=assessment)
        previous = load_assessment_data(session=session, assessment_key=earlier.key) if earlier else None
        channel_stats = channel_stats_from(data, tracking(session=session, assessment_key=assessment))
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
    pack = write_report_pack(result, out, channel_stats)
    tiers = result.topics["tier"].value_counts()
    summary = ", ".join(f"{tiers[name]} {name}" for name in ["high", "material", "low"] if name in tiers)
    unstable = result.topics.loc[result.topics["p_tier"] < UNCERTAIN_P_TIER, "topic"].tolist()
    typer.echo(f"Assessment '{assessment}': {summary}.")
    if unstable:
        typer.echo(f"Tier uncertain (p_tier < {UNCERTAIN_P_TIER:g}): {', '.join(unstable)}.")
    if previous is not None:
        typer.echo(f"Compared with assessment '{previous.key}'.")
    typer.echo(f"Wrote {', '.join(RUN_FILES)} to {out}.")
    typer.echo(f"Wrote the report pack: {', '.join(path.name for path in pack.files)}.")


# --- fieldwork: open and close, survey links, tracking, withdrawal --------------------------------

BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url", help="Public address of the app (default: MATERIALITY_BASE_URL).", show_default=False
    ),
]


@app.command("open")
@reports_errors
def open_command(assessment: AssessmentOption, db: DbOption = None) -> None:
    """Start the fieldwork: the assessment's survey links accept answers."""
    with transaction(open_engine(db)) as session:
        set_status(session=session, key=assessment, status="open")
    typer.echo(f"Assessment '{assessment}' is open: its survey links accept answers.")


@app.command("close")
@reports_errors
def close_command(assessment: AssessmentOption, db: DbOption = None) -> None:
    """End the fieldwork: the assessment's survey links no longer accept answers."""
    with transaction(open_engine(db)) as session:
        set_status(session=session, key=assessment, status="closed")
    typer.echo(f"Assessment '{assessment}' is closed: its survey links no longer accept answers.")


@app.command()
@reports_errors
def invite(
    assessment: AssessmentOption,
    group: Annotated[str, typer.Option(help="Stakeholder group key, e.g. clients or management.")],
    out: Annotated[str, typer.Option("--out", "-o", help="New CSV file for the links (one row per link).")],
    count: Annotated[int, typer.Option(help="How many personal links.")] = 1,
    channel: Annotated[
        str | None, typer.Option(help="Channel of the group the links go out through.")
    ] = None,
    lang: Annotated[str, typer.Option(help="Language the survey opens in: en or zh.")] = "en",
    open_link: Annotated[
        bool, typer.Option("--open-link", help="One open link for anonymous answers (replaces an older one).")
    ] = False,
    base_url: BaseUrlOption = None,
    db: DbOption = None,
) -> None:
    """Issue survey links for a group (and channel) and write them to a CSV for a mail merge."""
    from survey.issuing import LINK_COLUMNS, issue_invitations, issue_open_link, link_rows
    from survey.settings import get_settings

    base = base_url or get_settings().base_url
    with new_csv_file(Path(out), LINK_COLUMNS) as write, transaction(open_engine(db)) as session:
        if open_link:
            if count != 1:
                raise StoreError("count: an open link is a single link; leave out --count")
            link, replaced = issue_open_link(
                session=session, assessment_key=assessment, group=group, channel=channel, language=lang
            )
            links = [link]
        else:
            links = issue_invitations(
                session=session,
                assessment_key=assessment,
                group=group,
                count=count,
                channel=channel,
                language=lang,
            )
        write(link_rows(links, base))
    kind = "open link" if open_link else f"personal link{'s' if len(links) != 1 else ''}"
    typer.echo(f"Wrote {len(links)} {kind} for '{group}'{f' / {channel}' if channel else ''} to {out}.")
    if open_link and replaced:
        typer.echo("The group's previous open link for this channel no longer works.")


@app.command()
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
    from survey.issuing import LINK_COLUMNS, link_rows, reissue_unused
    from survey.settings import get_settings
    from survey.tracking import UNUSED_COLUMNS, tracking, unused_invitations, unused_rows

    engine = open_engine(db)
    if not unused:
        if out or reissue:
            raise StoreError("--out and --reissue go with --unused")
        with transaction(engine, write=False) as session:
            table = tracking(session=session, assessment_key=assessment)
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
        return
    if not out:
        raise StoreError("--unused needs --out FILE")
    columns = LINK_COLUMNS if reissue else UNUSED_COLUMNS
    with new_csv_file(Path(out), columns) as write, transaction(engine) as session:
        if reissue:
            fresh = reissue_unused(session=session, assessment_key=assessment, group=group, channel=channel)
            write(link_rows(fresh, base_url or get_settings().base_url))
            count = len(fresh)
        else:
            pending = unused_invitations(
                session=session, assessment_key=assessment, group=group, channel=channel
            )
            write(unused_rows(pending))
            count = len(pending)
    if reissue:
        typer.echo(f"Wrote {count} new links to {out}; the old links of these invitations no longer work.")
    else:
        typer.echo(
            f"Wrote {count} unused invitations to {out} (by invitation_id: links are kept only as hashes; "
            "use --reissue for new links)."
        )


@app.command()
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
    from survey.responding import withdraw as withdraw_response
    from survey.tokens import token_from_link

    token = token_from_link(link) if link else None
    with transaction(open_engine(db)) as session:
        removed = withdraw_response(
            session=session, assessment_key=assessment, response_id=response, token=token
        )
    typer.echo(f"Withdrew response {removed} from assessment '{assessment}'.")


@app.command("import")
@reports_errors
def import_command(
    file: Annotated[str, typer.Argument(help="The export: CSV, TSV or XLSX.", show_default=False)],
    assessment: AssessmentOption,
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
    db: DbOption = None,
) -> None:
    """Import responses from a survey tool's export: all of the file or nothing, nothing twice."""
    import os
    import sys

    from survey.assessments import load_index
    from survey.importers import import_export, read_export

    large = os.path.exists(file) and os.path.getsize(file) > 2_000_000
    bars = _ProgressBars(enabled=large)
    try:
        parsed = read_export(file, format=format, mapping=mapping, encoding=encoding, progress=bars)
        how = "detected from its header" if parsed.format_detected else "as given"
        typer.echo(f"Reading {parsed.filename} as {parsed.format} ({how}).", err=True)
        engine = open_engine(db)
        with transaction(engine, write=not dry_run) as session:
            index = load_index(session=session, assessment_key=assessment)
            summary = import_export(
                session=session, index=index, parsed=parsed, dry_run=dry_run, progress=bars
            )
    finally:
        bars.close()
    sys.stdout.flush()
    for line in summary.lines()[1:]:
        typer.echo(line)


class _ProgressBars:
    """Progress of a large import on stderr: one bar per stage (reading, checking, writing)."""

    def __init__(self, *, enabled: bool):
        self.enabled = enabled
        self.stage: str | None = None
        self.bar = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        import sys

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


# --- integrity and backups --------------------------------------------------------------------------


@app.command()
@reports_errors
def check(db: DbOption = None) -> None:
    """Verify the database: schema revision, summary tables against the raw ratings, orphans.
    Exits non-zero when it finds a problem."""
    from sqlalchemy.exc import SQLAlchemyError

    from survey.integrity import check_database

    try:
        engine = create_db_engine(db, upgrade=False)  # report an old schema rather than upgrade it
        report = check_database(engine)
    except (SQLAlchemyError, ValueError) as exc:
        raise DatabaseError(f"cannot open database {db or '(default)'}: {exc}") from exc
    for line in report.lines():
        typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)


@app.command("export-assessment")
@reports_errors
def export_assessment_command(
    key: Annotated[str, typer.Argument(help="Assessment key, e.g. 2020.", show_default=False)],
    file: Annotated[
        str, typer.Argument(help="New file: JSON, gzip-compressed if it ends in .gz.", show_default=False)
    ],
    db: DbOption = None,
) -> None:
    """Write a whole assessment (catalog snapshot, links, responses, comments, method log) to a file."""
    from survey.backup import export_assessment, write_assessment_file

    with transaction(open_engine(db), write=False) as session:
        document = export_assessment(session=session, assessment_key=key)
    write_assessment_file(document, file)
    typer.echo(
        f"Wrote assessment '{key}' to {file}: {len(document['responses'])} responses, "
        f"{len(document['ratings']['value'])} ratings, {len(document['comments'])} comments, "
        f"{len(document['invitations'])} invitations, {len(document['method_records'])} method records."
    )


@app.command("import-assessment")
@reports_errors
def import_assessment_command(
    file: Annotated[str, typer.Argument(help="A file written by export-assessment.", show_default=False)],
    as_key: Annotated[
        str | None, typer.Option("--as", help="Import under this key instead of the file's.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Add an assessment from a file written by export-assessment: all of it or nothing."""
    from survey.backup import import_assessment, read_assessment_file

    document = read_assessment_file(file)
    with transaction(open_engine(db)) as session:
        created = import_assessment(session=session, document=document, as_key=as_key)
        key = created.key
    typer.echo(
        f"Imported assessment '{key}' from {file}: {len(document.responses)} responses, "
        f"{len(document.ratings.value)} ratings, {len(document.comments)} comments, "
        f"{len(document.invitations)} invitations, {len(document.method_records)} method records."
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
