"""Data in and out of the database: imports of survey-tool exports, whole assessments as
files, and the integrity check."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from survey import audit, backup, integrity
from survey.assessments import load_index
from survey.db import transaction
from survey.importers import ImportSummary, ParsedExport, Progress, import_export, suggest


def import_responses(
    *,
    engine: Engine,
    assessment_key: str,
    parsed: ParsedExport,
    dry_run: bool = False,
    progress: Progress | None = None,
    actor: str | None = None,
) -> ImportSummary:
    """Check a read export against the assessment and add its new responses: all of them or,
    on any problem, none (:class:`survey.importers.ImportFailed` lists every problem). A dry
    run checks and summarises in a read-only transaction."""
    with transaction(engine, write=not dry_run) as session:
        index = load_index(session=session, assessment_key=assessment_key)
        summary = import_export(
            session=session, index=index, parsed=parsed, dry_run=dry_run, progress=progress
        )
        if not dry_run:
            audit.record(
                session=session,
                actor=actor,
                action="responses.import",
                object=f"responses of assessment {assessment_key}",
                assessment=assessment_key,
                after={
                    "file": summary.filename,
                    "format": summary.format,
                    "responses_in_file": summary.responses_in_file,
                    "added": summary.added,
                    "duplicates": summary.duplicates,
                },
            )
        return summary


def suggest_mapping(*, engine: Engine, assessment_key: str, parsed: ParsedExport) -> str:
    """A mapping file (YAML text) to start from for an export read without one: the group
    question, the columns that look like ratings with the topics their names give, the labels."""
    with transaction(engine, write=False) as session:
        index = load_index(session=session, assessment_key=assessment_key)
        return suggest.suggest_mapping(parsed, index, suggest.catalog_names(session, index))


@dataclass(frozen=True)
class AssessmentFileContents:
    """What an assessment file holds (or held, once imported)."""

    key: str
    responses: int
    ratings: int
    comments: int
    invitations: int
    method_records: int


def export_assessment(*, engine: Engine, assessment_key: str, file: str | Path) -> AssessmentFileContents:
    """Write a whole assessment (catalog snapshot, links as hashes, responses, comments, method
    log) to a new JSON file, gzip-compressed when its name ends in .gz; read in one transaction."""
    with transaction(engine, write=False) as session:
        document = backup.export_assessment(session=session, assessment_key=assessment_key)
    backup.write_assessment_file(document, file)
    return AssessmentFileContents(
        key=assessment_key,
        responses=len(document["responses"]),
        ratings=len(document["ratings"]["value"]),
        comments=len(document["comments"]),
        invitations=len(document["invitations"]),
        method_records=len(document["method_records"]),
    )


def import_assessment(
    *, engine: Engine, document: backup.AssessmentFile, as_key: str | None = None, actor: str | None = None
) -> AssessmentFileContents:
    """Add an assessment from a file written by :func:`export_assessment` (read with
    :func:`survey.backup.read_assessment_file`), all of it or nothing; a key the database has
    already is refused (give `as_key`)."""
    with transaction(engine) as session:
        key = backup.import_assessment(session=session, document=document, as_key=as_key).key
        audit.record(
            session=session,
            actor=actor,
            action="assessment.import",
            object=f"assessment {key}",
            assessment=key,
            after={"responses": len(document.responses), "method_records": len(document.method_records)},
        )
    return AssessmentFileContents(
        key=key,
        responses=len(document.responses),
        ratings=len(document.ratings.value),
        comments=len(document.comments),
        invitations=len(document.invitations),
        method_records=len(document.method_records),
    )


def check_database(*, engine: Engine) -> integrity.IntegrityReport:
    """Verify the database: schema revision, SQLite integrity, orphaned or cross-assessment
    rows, the summary tables against a recount of the raw ratings."""
    return integrity.check_database(engine)
