"""The summary tables: sufficient statistics per group, dimension and topic, kept up to date.

A new response is stored with ``aggregated = false``; :func:`refresh_aggregates` folds pending
responses into the summary tables under a lock on the assessment row, so the write path stays
short and concurrent submitters never contend on shared counters. Bulk paths (imports, the demo)
fold their responses in the same transaction (:func:`merge_aggregates`). Withdrawing a response
subtracts what it had contributed. The tables' layout is :data:`core.aggregates.SUMMARY_TABLES`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from core.aggregates import (
    RATING_COLUMNS,
    SUMMARY_TABLES,
    TOPIC_KEYS,
    Aggregates,
    SummaryTable,
    summarise_ratings,
)
from survey.models import Assessment, Base, Rating, Response

CHUNK = 5000


def _table(layout: SummaryTable) -> Table:
    """The summary table `layout` describes (`survey.models` declares it)."""
    return Base.metadata.tables[layout.table]


def lock_assessment(session: Session, assessment_id: int) -> None:
    """Serialise aggregate maintenance per assessment (a row lock on PostgreSQL; SQLite write
    transactions are already exclusive).

    ``FOR NO KEY UPDATE``, not ``FOR UPDATE``: every submission inserting a response holds a
    key-share lock on the assessment row (the foreign key), and ``FOR UPDATE`` would wait for a
    moment with no submission in flight, which under steady load never comes."""
    session.execute(
        select(Assessment.id).where(Assessment.id == assessment_id).with_for_update(key_share=True)
    )


def _upsert(
    session: Session, table: Table, rows: list[dict[str, Any]], keys: Sequence[str], additive: Sequence[str]
) -> None:
    if not rows:
        return
    dialect = session.connection().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + statement.excluded[name] for name in additive},
    )
    # one statement executed for every row: compiling a many-row VALUES list costs more than it saves
    session.execute(statement, rows)


def merge_aggregates(session: Session, assessment_id: int, aggregates: Aggregates, *, sign: int) -> None:
    """Add (sign=1) or subtract (sign=-1) statistics keyed by group, dimension and topic ids."""
    for layout in SUMMARY_TABLES:
        table = _table(layout)
        frame = aggregates.frame(layout)
        out = frame[layout.columns].rename(columns={c: layout.column_of(c) for c in layout.keys})
        for name in layout.values:
            out[name] = out[name] * sign
        out["assessment_id"] = assessment_id
        rows = [
            {str(k): (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in out.to_dict("records")
        ]
        keys = ["assessment_id", *(layout.column_of(c) for c in layout.keys)]
        _upsert(session, table, rows, keys, layout.values)
        if sign < 0:
            session.execute(
                delete(table).where(table.c.assessment_id == assessment_id, table.c[layout.size] <= 0)
            )


def stored_aggregates(*, session: Session, assessment_id: int) -> Aggregates:
    """The summary tables of an assessment as they are, keyed by ids."""
    frames = {}
    for layout in SUMMARY_TABLES:
        table = _table(layout)
        rows = session.execute(
            select(*[table.c[c] for c in layout.db_columns()]).where(table.c.assessment_id == assessment_id)
        ).all()
        frames[layout.frame] = pd.DataFrame(rows, columns=layout.columns)
    return Aggregates(**frames)


def keyed_by_catalog(aggregates: Aggregates, names: dict[str, dict[int, str]]) -> Aggregates:
    """Summary statistics keyed by ids, re-keyed by catalog keys.

    `names` maps ``group``, ``dimension`` and ``topic`` to {id: key}."""
    frames = {}
    for layout in SUMMARY_TABLES:
        frame = aggregates.frame(layout).copy()
        for column in layout.keys:
            kind = "topic" if column in TOPIC_KEYS else column
            if kind in names:
                frame[column] = frame[column].map(names[kind])
        frames[layout.frame] = frame
    return Aggregates(**frames)


def ratings_of(session: Session, response_filter: ColumnElement[bool]) -> pd.DataFrame:
    """The ratings of the responses `response_filter` selects, keyed by ids, as
    :func:`core.aggregates.summarise_ratings` takes them (value NaN: don't know)."""
    rows = session.execute(
        select(Response.id, Response.group_id, Rating.dimension_id, Rating.topic_id, Rating.value)
        .join(Rating, Rating.response_id == Response.id)
        .where(response_filter)
    ).all()
    return pd.DataFrame(rows, columns=RATING_COLUMNS).astype({"value": "float64"})


def refresh_aggregates(*, session: Session, assessment_id: int) -> int:
    """Fold responses not yet aggregated into the summary tables; returns how many."""
    lock_assessment(session, assessment_id)
    pending = list(
        session.scalars(
            select(Response.id).where(Response.assessment_id == assessment_id, Response.aggregated.is_(False))
        )
    )
    if not pending:
        return 0
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start : start + CHUNK]
        ratings = ratings_of(session, Response.id.in_(chunk))
        merge_aggregates(session, assessment_id, summarise_ratings(ratings), sign=1)
        session.execute(update(Response).where(Response.id.in_(chunk)).values(aggregated=True))
    return len(pending)
