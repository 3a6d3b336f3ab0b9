"""Shared helpers for the import tests: an assessment to import into, and what the database holds."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from survey.assessments import create_assessment, load_index
from survey.db import transaction
from survey.importers import ImportSummary, import_export, read_export
from survey.models import Base, Dimension, Rating, Response, Topic

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "imports"


def new_assessment(engine: Engine, catalog, key: str = "2020") -> None:
    with transaction(engine) as session:
        create_assessment(session=session, key=key, year=2020, catalog=catalog)


def run_import(
    engine: Engine, path, *, assessment: str = "2020", dry_run: bool = False, **options
) -> ImportSummary:
    parsed = read_export(path, **options)
    with transaction(engine, write=not dry_run) as session:
        index = load_index(session=session, assessment_key=assessment)
        return import_export(session=session, index=index, parsed=parsed, dry_run=dry_run)


def stored_ratings(engine: Engine, source: str | None = None) -> dict[tuple[str, str, str], int | None]:
    """(source response id, topic, dimension) -> value of every stored rating."""
    query = (
        select(Response.source_response_id, Topic.key, Dimension.key, Rating.value)
        .join(Rating, Rating.response_id == Response.id)
        .join(Topic, Topic.id == Rating.topic_id)
        .join(Dimension, Dimension.id == Rating.dimension_id)
    )
    if source is not None:
        query = query.where(Response.source == source)
    with transaction(engine, write=False) as session:
        return {(r, t, d): v for r, t, d, v in session.execute(query).all()}


def stored_responses(engine: Engine) -> dict[str, Response]:
    with transaction(engine, write=False) as session:
        return {r.source_response_id: r for r in session.scalars(select(Response)).all()}


def database_snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: two snapshots are equal when nothing was written."""
    with transaction(engine, write=False) as session:
        return {
            table.name: sorted(
                (tuple(str(v) for v in row) for row in session.execute(select(table)).all()),
            )
            for table in Base.metadata.sorted_tables
        }


def database_text(engine: Engine) -> str:
    return "\n".join(" | ".join(row) for rows in database_snapshot(engine).values() for row in rows)
