"""Every read and write of the toolkit's data.

Write functions take keyword-only arguments and an explicit session; the caller owns the
transaction (see :func:`survey.db.transaction`), so a response, an import or an assessment is
written whole or not at all.

Aggregates: a new response is stored with ``aggregated = false``; :func:`refresh_aggregates`
folds pending responses into the summary tables under a lock on the assessment row, so the
write path stays short and concurrent submitters never contend on shared counters. Bulk paths
(imports, the demo) fold their responses in the same transaction. Withdrawing a response
subtracts what it had contributed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement
from threadpoolctl import threadpool_limits

from core.aggregates import (
    DONT_KNOW,
    HISTOGRAM,
    MOMENTS,
    RATING_COLUMNS,
    RESPONDENTS,
    SUMMARY_TABLES,
    TOPIC_KEYS,
    Aggregates,
    AssessmentData,
    summarise_ratings,
)
from survey.catalog import (
    Catalog,
    ChannelSpec,
    DimensionSpec,
    FocusSpec,
    GroupSpec,
    Scale,
    TopicSpec,
)
from survey.models import (
    Assessment,
    AssessmentStatus,
    Channel,
    Comment,
    Dimension,
    FocusArea,
    GroupTally,
    MethodRecord,
    Rating,
    RatingHistogram,
    RatingMoment,
    RatingTally,
    Response,
    StakeholderGroup,
    Topic,
    utcnow,
)

CHUNK = 5000


class StoreError(ValueError):
    """A request the store refuses; the message says what was expected."""


class NotFound(StoreError):
    pass


class ValidationProblem(StoreError):
    """Invalid response data. `problems` lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


# --- assessments -----------------------------------------------------------------------------


def create_assessment(
    *,
    session: Session,
    key: str,
    year: int,
    catalog: Catalog,
    name: str | None = None,
) -> Assessment:
    """Create an assessment with its own copy of `catalog`."""
    if not key or len(key) > 64 or not key.replace("-", "").replace("_", "").isalnum():
        raise StoreError(f"assessment key '{key}' must be 1-64 letters, digits, '-' or '_'")
    if session.scalar(select(Assessment.id).where(Assessment.key == key)) is not None:
        raise StoreError(f"assessment '{key}' already exists")
    assessment = Assessment(
        key=key,
        year=year,
        name=name or f"Materiality assessment {year}",
        scale_min=catalog.scale.min,
        scale_max=catalog.scale.max,
        scale_labels=catalog.scale.labels,
    )
    session.add(assessment)
    session.flush()
    aid = assessment.id
    for d in catalog.dimensions:
        session.add(
            Dimension(
                assessment_id=aid,
                key=d.key,
                name_en=d.name_en,
                name_zh=d.name_zh,
                question_en=d.question_en,
                question_zh=d.question_zh,
            )
        )
    topics = {}
    for position, t in enumerate(catalog.topics):
        topics[t.key] = Topic(
            assessment_id=aid,
            key=t.key,
            position=position,
            category=t.category,
            name_en=t.name_en,
            name_zh=t.name_zh,
            description_en=t.description_en,
            description_zh=t.description_zh,
        )
        session.add(topics[t.key])
    groups = {}
    for position, g in enumerate(catalog.groups):
        groups[g.key] = StakeholderGroup(
            assessment_id=aid,
            key=g.key,
            position=position,
            kind=g.kind,
            dimension_key=g.dimension,
            default_weight=g.default_weight,
            name_en=g.name_en,
            name_zh=g.name_zh,
        )
        session.add(groups[g.key])
    session.flush()
    positions: dict[str, int] = {}
    for c in catalog.channels:
        positions[c.group] = positions.get(c.group, -1) + 1
        session.add(
            Channel(
                assessment_id=aid,
                group_id=groups[c.group].id,
                position=positions[c.group],
                name_en=c.name_en,
                name_zh=c.name_zh,
            )
        )
    for f in catalog.focus_areas:
        session.add(
            FocusArea(
                assessment_id=aid,
                group_id=groups[f.group].id,
                label=f.label,
                topic_id=topics[f.topic].id if f.topic else None,
            )
        )
    session.flush()
    return assessment


def catalog_of(*, session: Session, assessment_key: str) -> Catalog:
    """The catalog snapshot of an assessment, e.g. to start next year's from it."""
    index = load_index(session=session, assessment_key=assessment_key)
    a = index.assessment
    aid = a.id
    topics = session.scalars(select(Topic).where(Topic.assessment_id == aid).order_by(Topic.position)).all()
    groups = session.scalars(
        select(StakeholderGroup)
        .where(StakeholderGroup.assessment_id == aid)
        .order_by(StakeholderGroup.position)
    ).all()
    group_key = {g.id: g.key for g in groups}
    topic_key = {t.id: t.key for t in topics}
    channels = session.scalars(
        select(Channel).where(Channel.assessment_id == aid).order_by(Channel.group_id, Channel.position)
    ).all()
    focus = session.scalars(
        select(FocusArea).where(FocusArea.assessment_id == aid).order_by(FocusArea.id)
    ).all()
    dimensions = session.scalars(
        select(Dimension).where(Dimension.assessment_id == aid).order_by(Dimension.id)
    ).all()
    return Catalog(
        topics=[
            TopicSpec(t.key, t.category, t.name_en, t.name_zh, t.description_en, t.description_zh)
            for t in topics
        ],
        groups=[
            GroupSpec(g.key, g.kind, g.dimension_key, g.default_weight, g.name_en, g.name_zh) for g in groups
        ],
        channels=[ChannelSpec(group_key[c.group_id], c.name_en, c.name_zh) for c in channels],
        focus_areas=[
            FocusSpec(group_key[f.group_id], f.label, topic_key.get(f.topic_id) if f.topic_id else None)
            for f in focus
        ],
        dimensions=[
            DimensionSpec(d.key, d.name_en, d.name_zh, d.question_en, d.question_zh) for d in dimensions
        ],
        scale=Scale(a.scale_min, a.scale_max, dict(a.scale_labels or {})),
    )


def list_assessments(*, session: Session) -> list[Assessment]:
    return list(session.scalars(select(Assessment).order_by(Assessment.year, Assessment.key)))


def get_assessment(*, session: Session, key: str) -> Assessment:
    assessment = session.scalar(select(Assessment).where(Assessment.key == key))
    if assessment is None:
        known = ", ".join(a.key for a in list_assessments(session=session)) or "none yet"
        raise NotFound(f"no assessment '{key}' (known: {known})")
    return assessment


def set_status(*, session: Session, key: str, status: AssessmentStatus | str) -> Assessment:
    status = AssessmentStatus(status)
    assessment = get_assessment(session=session, key=key)
    assessment.status = status.value
    assessment.revision += 1
    session.add(assessment)
    session.flush()
    return assessment


def previous_assessment(*, session: Session, key: str) -> Assessment | None:
    """The latest assessment of an earlier year than `key`'s."""
    current = get_assessment(session=session, key=key)
    return session.scalar(
        select(Assessment)
        .where(Assessment.year < current.year)
        .order_by(Assessment.year.desc(), Assessment.id.desc())
        .limit(1)
    )


def data_version(*, session: Session, assessment_key: str) -> str:
    """Changes whenever the assessment's data changes, in any process: a cache key."""
    assessment = get_assessment(session=session, key=assessment_key)
    count, highest = session.execute(
        select(func.count(Response.id), func.max(Response.id)).where(Response.assessment_id == assessment.id)
    ).one()
    return f"{assessment.id}:{assessment.revision}:{count}:{highest or 0}"


# --- the key -> id index of one assessment ------------------------------------------------------


@dataclass(frozen=True)
class AssessmentIndex:
    """Ids of an assessment's catalog rows by key, loaded once per request."""

    assessment: Assessment
    topics: dict[str, int]
    groups: dict[str, int]
    group_dimension: dict[str, str]
    dimensions: dict[str, int]
    channels: dict[tuple[str, str], int]  # (group key, channel name) -> id


def load_index(*, session: Session, assessment_key: str) -> AssessmentIndex:
    assessment = get_assessment(session=session, key=assessment_key)
    aid = assessment.id
    topics = dict(session.execute(select(Topic.key, Topic.id).where(Topic.assessment_id == aid)).all())
    group_rows = session.execute(
        select(StakeholderGroup.key, StakeholderGroup.id, StakeholderGroup.dimension_key).where(
            StakeholderGroup.assessment_id == aid
        )
    ).all()
    dimensions = dict(
        session.execute(select(Dimension.key, Dimension.id).where(Dimension.assessment_id == aid)).all()
    )
    group_key = {gid: key for key, gid, _ in group_rows}
    channels = {
        (group_key[gid], name): cid
        for cid, gid, name in session.execute(
            select(Channel.id, Channel.group_id, Channel.name_en).where(Channel.assessment_id == aid)
        ).all()
    }
    return AssessmentIndex(
        assessment=assessment,
        topics=topics,
        groups={key: gid for key, gid, _ in group_rows},
        group_dimension={key: dim for key, _, dim in group_rows},
        dimensions=dimensions,
        channels=channels,
    )


# --- recording responses -------------------------------------------------------------------------


class RatingIn(BaseModel):
    topic: str = Field(max_length=64)
    dimension: str | None = Field(default=None, max_length=64)  # default: the group's dimension
    value: int | None = None  # None: "don't know"


class ResponseIn(BaseModel):
    group: str = Field(max_length=64)
    channel: str | None = Field(default=None, max_length=200)
    ratings: list[RatingIn]
    comments: dict[str, str] = Field(default_factory=dict)  # topic key -> comment
    suggestion: str | None = Field(default=None, max_length=4000)  # a topic we missed
    source: str = Field(default="web", max_length=64)
    source_response_id: str | None = Field(default=None, max_length=200)
    invitation_id: int | None = None
    via_open_link: bool = False
    language: str | None = Field(default=None, max_length=8)
    submitted_at: datetime | None = None


def _resolve(
    index: AssessmentIndex, response_in: ResponseIn
) -> tuple[int, int | None, list[tuple[int, int, int | None]]]:
    """Check a response against the assessment; return group id, channel id and rating rows."""
    problems: list[str] = []
    a = index.assessment
    group_id = index.groups.get(response_in.group)
    if group_id is None:
        problems.append(f"group: unknown group '{response_in.group}'")
    channel_id = None
    if response_in.channel:
        channel_id = index.channels.get((response_in.group, response_in.channel))
        if channel_id is None and group_id is not None:
            problems.append(
                f"channel: '{response_in.channel}' is not a channel of group '{response_in.group}'"
            )
    rows: list[tuple[int, int, int | None]] = []
    seen: set[tuple[int, int]] = set()
    for rating in response_in.ratings:
        dimension = rating.dimension or index.group_dimension.get(response_in.group, "importance")
        topic_id = index.topics.get(rating.topic)
        dimension_id = index.dimensions.get(dimension)
        if topic_id is None:
            problems.append(f"topic: unknown topic '{rating.topic}'")
            continue
        if dimension_id is None:
            problems.append(f"dimension: unknown dimension '{dimension}'")
            continue
        if rating.value is not None and not a.scale_min <= rating.value <= a.scale_max:
            problems.append(
                f"{rating.topic}: value {rating.value} is outside the scale {a.scale_min}-{a.scale_max}"
            )
            continue
        if (topic_id, dimension_id) in seen:
            problems.append(f"{rating.topic}: rated twice on '{dimension}'")
            continue
        seen.add((topic_id, dimension_id))
        rows.append((dimension_id, topic_id, rating.value))
    for topic in response_in.comments:
        if topic not in index.topics:
            problems.append(f"comment: unknown topic '{topic}'")
    if problems:
        raise ValidationProblem(problems)
    return group_id, channel_id, rows  # type: ignore[return-value]


_INSERT_RESPONSE = insert(Response.__table__).returning(Response.__table__.c.id)  # type: ignore[attr-defined]
_INSERT_RESPONSE_SQL = (
    "INSERT INTO response (assessment_id, group_id, channel_id, invitation_id, via_open_link, source, "
    "source_response_id, language, submitted_at, aggregated) VALUES (:assessment_id, :group_id, "
    ":channel_id, :invitation_id, :via_open_link, :source, :source_response_id, :language, "
    ":submitted_at, :aggregated)"
)
_INSERT_RATING_SQL = "INSERT INTO rating (response_id, dimension_id, topic_id, value) VALUES (?, ?, ?, ?)"
_INSERT_COMMENT_SQL = "INSERT INTO comment (response_id, topic_id, text) VALUES (?, ?, ?)"


def record_response(*, session: Session, index: AssessmentIndex, response_in: ResponseIn) -> int:
    """Store one response with its ratings and comments; returns the response id.

    All of it lands in the caller's transaction. A second response for the same invitation
    or the same (source, source response id) violates a unique constraint in the database.
    This is the web submission path, so it skips the ORM: on SQLite the rows go straight to the
    driver, elsewhere through Core statements (benchmarks/bench_submit.py compares it with
    plain sqlite3).
    """
    group_id, channel_id, rows = _resolve(index, response_in)
    connection = session.connection()
    values = {
        "assessment_id": index.assessment.id,
        "group_id": group_id,
        "channel_id": channel_id,
        "invitation_id": response_in.invitation_id,
        "via_open_link": response_in.via_open_link,
        "source": response_in.source,
        "source_response_id": response_in.source_response_id,
        "language": response_in.language,
        "submitted_at": response_in.submitted_at or utcnow(),
        "aggregated": False,
    }
    sqlite_driver = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
    if sqlite_driver is not None:
        # SQLAlchemy's SQLite DateTime text form, of the time in UTC (as UTCDateTime stores it).
        when: datetime = values["submitted_at"]  # type: ignore[assignment]
        if when.utcoffset() is None:
            raise StoreError("submitted_at: expected a time with a time zone")
        when = when.astimezone(UTC).replace(tzinfo=None)
        values["submitted_at"] = when.isoformat(sep=" ", timespec="microseconds")
        try:
            response_id = sqlite_driver.execute(_INSERT_RESPONSE_SQL, values).lastrowid  # type: ignore[union-attr]
        except sqlite3.IntegrityError as exc:  # the same error the ORM paths raise
            raise IntegrityError(_INSERT_RESPONSE_SQL, values, exc) from exc
    else:
        response_id = connection.execute(_INSERT_RESPONSE, values).scalar_one()
    ratings = [(response_id, d, t, v) for d, t, v in rows]
    texts = [
        (response_id, index.topics[topic], text[:4000])
        for topic, text in response_in.comments.items()
        if text and text.strip()
    ]
    if response_in.suggestion and response_in.suggestion.strip():
        texts.append((response_id, None, response_in.suggestion[:4000]))
    if sqlite_driver is not None:
        if ratings:
            sqlite_driver.executemany(_INSERT_RATING_SQL, ratings)  # type: ignore[union-attr]
        if texts:
            sqlite_driver.executemany(_INSERT_COMMENT_SQL, texts)  # type: ignore[union-attr]
        return response_id
    if ratings:
        connection.execute(
            insert(Rating.__table__),  # type: ignore[arg-type]
            [
                dict(zip(("response_id", "dimension_id", "topic_id", "value"), r, strict=True))
                for r in ratings
            ],
        )
    if texts:
        connection.execute(
            insert(Comment.__table__),  # type: ignore[arg-type]
            [dict(zip(("response_id", "topic_id", "text"), t, strict=True)) for t in texts],
        )
    return response_id


# --- bulk writes (imports, demo) -----------------------------------------------------------------


def record_responses_bulk(
    *,
    session: Session,
    index: AssessmentIndex,
    responses: pd.DataFrame,
    ratings: pd.DataFrame,
    source: str,
) -> int:
    """Store many responses at once and fold them into the aggregates; returns how many.

    `responses`: one row per response with ``source_response_id, group`` and optionally
    ``channel, submitted_at, language``. `ratings`: ``source_response_id, topic, dimension,
    value`` (value NaN for "don't know"). Keys must already be validated against the index.

    Rows go in through the driver (``executemany`` on SQLite, ``COPY`` on PostgreSQL) and keys
    are translated once per distinct value, so a million ratings take seconds.
    """
    if responses.empty:
        return 0
    aid = index.assessment.id
    _lock_assessment(session, aid)
    n = len(responses)
    source_ids = [str(v) for v in responses["source_response_id"].tolist()]
    group_keys = responses["group"].tolist()
    group_ids = _key_ids(responses["group"], index.groups)
    if np.isnan(group_ids).any():
        raise StoreError("responses refer to groups that are not known")
    channels = responses["channel"].tolist() if "channel" in responses else [None] * n
    channel_ids = [
        index.channels.get((g, c)) if isinstance(c, str) else None
        for g, c in zip(group_keys, channels, strict=True)
    ]
    languages = responses["language"].tolist() if "language" in responses else [None] * n
    when = pd.Series(pd.NaT, index=responses.index, dtype="datetime64[us, UTC]")
    if "submitted_at" in responses:
        when = pd.to_datetime(responses["submitted_at"], utc=True)
    columns = {
        "assessment_id": [aid] * n,
        "group_id": group_ids.astype(np.int64).tolist(),
        "channel_id": channel_ids,
        "invitation_id": [None] * n,
        "via_open_link": [False] * n,
        "source": [source] * n,
        "source_response_id": source_ids,
        "language": [v if isinstance(v, str) else None for v in languages],
        "submitted_at": when.fillna(pd.Timestamp(utcnow())),
        "aggregated": [True] * n,
    }
    before = session.scalar(select(func.max(Response.id))) or 0
    _insert_rows(session, "response", columns)
    inserted = dict(
        session.execute(
            select(Response.source_response_id, Response.id).where(
                Response.assessment_id == aid, Response.source == source, Response.id > before
            )
        ).all()
    )
    response_ids = np.array([inserted.get(s, -1) for s in source_ids], dtype=np.int64)

    position = _positions(ratings["source_response_id"], source_ids)
    topic_id = _key_ids(ratings["topic"], index.topics)
    dimension_id = _key_ids(ratings["dimension"], index.dimensions)
    values = pd.to_numeric(ratings["value"], errors="raise").to_numpy(dtype=float)
    if (
        (position < 0).any()
        or (response_ids < 0).any()
        or np.isnan(topic_id).any()
        or np.isnan(dimension_id).any()
    ):
        raise StoreError("ratings refer to responses, topics or dimensions that are not known")
    known = ~np.isnan(values)
    if (values[known] != np.round(values[known])).any():
        raise StoreError("rating values must be whole numbers")
    response_id = response_ids[position]
    topic_id = topic_id.astype(np.int64)
    dimension_id = dimension_id.astype(np.int64)
    order = np.lexsort((topic_id, dimension_id, response_id))  # the primary key's order
    if (order != np.arange(len(order))).any():
        response_id, dimension_id, topic_id, values = (
            response_id[order],
            dimension_id[order],
            topic_id[order],
            values[order],
        )
        position = position[order]
    value_cells = np.where(np.isnan(values), 0, values).astype(np.int64).astype(object)
    value_cells[np.isnan(values)] = None
    _insert_rows(
        session,
        "rating",
        {
            "response_id": response_id.tolist(),
            "dimension_id": dimension_id.tolist(),
            "topic_id": topic_id.tolist(),
            "value": value_cells.tolist(),
        },
    )
    # The co-moment products are 16 x 16: BLAS threads only spin, taking CPU from everything else.
    with threadpool_limits(limits=1, user_api="blas"):
        aggregates = summarise_ratings(
            pd.DataFrame(
                {
                    "respondent": response_id,
                    "group": group_ids.astype(np.int64)[position],
                    "dimension": dimension_id,
                    "topic": topic_id,
                    "value": values,
                }
            )
        )
    _merge_aggregates(session, aid, aggregates, sign=1)
    return n


def _key_ids(keys: pd.Series, ids: dict[str, int]) -> np.ndarray:
    """Ids of catalog keys (NaN where unknown), looked up once per distinct key."""
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    table = np.array([ids.get(k, np.nan) for k in uniques] + [np.nan], dtype=float)
    return table[codes]


def _positions(keys: pd.Series, source_ids: list[str]) -> np.ndarray:
    """Position in `source_ids` of each key (-1 where absent)."""
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    where = pd.Index(source_ids).get_indexer(pd.Index([str(u) for u in uniques], dtype=object))
    return np.append(where, -1)[codes]


def _insert_rows(session: Session, table: str, columns: dict[str, list | pd.Series]) -> None:
    """Insert rows, given column by column, in the caller's transaction, the fastest way the
    driver offers. A ``submitted_at`` column is a Series of UTC times."""
    n = len(next(iter(columns.values())))
    if not n:
        return
    connection = session.connection()
    dialect = connection.dialect.name
    raw = connection.connection.driver_connection
    names = ", ".join(columns)
    cells = dict(columns)
    if "submitted_at" in cells:
        when = cells["submitted_at"]
        # SQLite: the UTC text form SQLAlchemy's SQLite dialect stores and reads back
        cells["submitted_at"] = (
            when.dt.strftime("%Y-%m-%d %H:%M:%S.%f").tolist()
            if dialect == "sqlite"
            else list(when.dt.to_pydatetime())
        )
    rows = list(zip(*cells.values(), strict=True))
    if dialect == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    elif dialect == "sqlite":
        marks = ", ".join("?" * len(columns))
        raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
    else:  # pragma: no cover - other SQLAlchemy backends
        model = {"response": Response, "rating": Rating}[table]
        session.execute(insert(model), [dict(zip(columns, r, strict=True)) for r in rows])


# --- aggregates ---------------------------------------------------------------------------------


def _lock_assessment(session: Session, assessment_id: int) -> None:
    """Serialise aggregate maintenance per assessment (a row lock on PostgreSQL; SQLite write
    transactions are already exclusive).

    ``FOR NO KEY UPDATE``, not ``FOR UPDATE``: every submission inserting a response holds a
    key-share lock on the assessment row (the foreign key), and ``FOR UPDATE`` would wait for a
    moment with no submission in flight, which under steady load never comes."""
    session.execute(
        select(Assessment.id).where(Assessment.id == assessment_id).with_for_update(key_share=True)
    )


def _upsert(session: Session, table, rows: list[dict], keys: Sequence[str], additive: Sequence[str]) -> None:
    if not rows:
        return
    dialect = session.connection().dialect.name
    insert_fn = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert_fn(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: getattr(table.c, name) + getattr(statement.excluded, name) for name in additive},
    )
    # one statement executed for every row: compiling a many-row VALUES list costs more than it saves
    session.execute(statement, rows)


SUMMARY_MODELS = {
    HISTOGRAM.table: RatingHistogram,
    MOMENTS.table: RatingMoment,
    DONT_KNOW.table: RatingTally,
    RESPONDENTS.table: GroupTally,
}


def _merge_aggregates(session: Session, assessment_id: int, aggregates: Aggregates, *, sign: int) -> None:
    """Add (sign=1) or subtract (sign=-1) statistics keyed by group, dimension and topic ids."""
    for layout in SUMMARY_TABLES:
        model = SUMMARY_MODELS[layout.table]
        frame = aggregates.frame(layout)
        out = frame[layout.columns].rename(columns={c: layout.column_of(c) for c in layout.keys})
        for name in layout.values:
            out[name] = out[name] * sign
        out["assessment_id"] = assessment_id
        rows = [
            {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in out.to_dict("records")
        ]
        keys = ["assessment_id", *(layout.column_of(c) for c in layout.keys)]
        _upsert(session, model.__table__, rows, keys, layout.values)
        if sign < 0:
            size = getattr(model, layout.size)
            session.execute(delete(model).where(model.assessment_id == assessment_id, size <= 0))


def stored_aggregates(*, session: Session, assessment_id: int) -> Aggregates:
    """The summary tables of an assessment as they are, keyed by ids."""
    frames = {}
    for layout in SUMMARY_TABLES:
        model = SUMMARY_MODELS[layout.table]
        rows = session.execute(
            select(*[getattr(model, c) for c in layout.db_columns()]).where(
                model.assessment_id == assessment_id
            )
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
    _lock_assessment(session, assessment_id)
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
        _merge_aggregates(session, assessment_id, summarise_ratings(ratings), sign=1)
        session.execute(update(Response).where(Response.id.in_(chunk)).values(aggregated=True))
    return len(pending)


def withdraw_response(*, session: Session, response_id: int) -> None:
    """Delete a response; it then counts nowhere."""
    response = session.get(Response, response_id)
    if response is None:
        raise NotFound(f"no response with id {response_id}")
    _lock_assessment(session, response.assessment_id)
    session.refresh(response)
    if response.aggregated:
        ratings = ratings_of(session, Response.id == response_id)
        _merge_aggregates(session, response.assessment_id, summarise_ratings(ratings), sign=-1)
    session.execute(delete(Comment).where(Comment.response_id == response_id))
    session.execute(delete(Rating).where(Rating.response_id == response_id))
    session.execute(delete(Response).where(Response.id == response_id))
    session.execute(
        update(Assessment)
        .where(Assessment.id == response.assessment_id)
        .values(revision=Assessment.revision + 1)
    )


# --- reading for the analysis ------------------------------------------------------------------


def load_assessment_data(
    *, session: Session, assessment_key: str, response_counts: bool = True
) -> AssessmentData:
    """The assessment's catalog and aggregates as plain frames, keyed by catalog keys.

    Call within a write transaction: pending responses are folded in first. Everything but
    the response counts per group, channel and source comes from the summary tables; those
    counts scan the assessment's responses, so ``response_counts=False`` (an empty
    ``responses`` frame) keeps the load independent of the number of responses.
    """
    assessment = get_assessment(session=session, key=assessment_key)
    aid = assessment.id
    refresh_aggregates(session=session, assessment_id=aid)

    topic_rows = session.scalars(
        select(Topic).where(Topic.assessment_id == aid).order_by(Topic.position)
    ).all()
    group_rows = session.scalars(
        select(StakeholderGroup)
        .where(StakeholderGroup.assessment_id == aid)
        .order_by(StakeholderGroup.position)
    ).all()
    dimension_rows = session.scalars(select(Dimension).where(Dimension.assessment_id == aid)).all()
    topic_key = {t.id: t.key for t in topic_rows}
    group_key = {g.id: g.key for g in group_rows}
    dimension_key = {d.id: d.key for d in dimension_rows}
    channel_rows = session.scalars(
        select(Channel).where(Channel.assessment_id == aid).order_by(Channel.group_id, Channel.position)
    ).all()
    channel_name = {c.id: c.name_en for c in channel_rows}

    topics = pd.DataFrame(
        {
            "topic": [t.key for t in topic_rows],
            "name": [t.name_en for t in topic_rows],
            "name_zh": [t.name_zh for t in topic_rows],
            "category": [t.category for t in topic_rows],
            "description": [t.description_en for t in topic_rows],
        }
    )
    groups = pd.DataFrame(
        {
            "group": [g.key for g in group_rows],
            "name": [g.name_en for g in group_rows],
            "name_zh": [g.name_zh for g in group_rows],
            "kind": [g.kind for g in group_rows],
            "dimension": [g.dimension_key for g in group_rows],
            "default_weight": [g.default_weight for g in group_rows],
        }
    )
    channels = pd.DataFrame(
        {
            "group": [group_key[c.group_id] for c in channel_rows],
            "channel": [c.name_en for c in channel_rows],
            "channel_zh": [c.name_zh for c in channel_rows],
        }
    )
    focus_rows = session.scalars(
        select(FocusArea).where(FocusArea.assessment_id == aid).order_by(FocusArea.id)
    ).all()
    focus_areas = pd.DataFrame(
        {
            "group": [group_key[f.group_id] for f in focus_rows],
            "label": [f.label for f in focus_rows],
            "topic": [topic_key.get(f.topic_id) if f.topic_id else None for f in focus_rows],
        }
    )
    counts = (
        session.execute(
            select(Response.group_id, Response.channel_id, Response.source, func.count())
            # the responses in the summary tables, not those committed since they were folded in
            .where(Response.assessment_id == aid, Response.aggregated.is_(True))
            .group_by(Response.group_id, Response.channel_id, Response.source)
        ).all()
        if response_counts
        else []
    )
    responses = pd.DataFrame(
        [(group_key[g], channel_name.get(c), s, n) for g, c, s, n in counts],
        columns=["group", "channel", "source", "n_responses"],
    )

    aggregates = keyed_by_catalog(
        stored_aggregates(session=session, assessment_id=aid),
        {"group": group_key, "dimension": dimension_key, "topic": topic_key},
    )
    return AssessmentData(
        key=assessment.key,
        year=assessment.year,
        name=assessment.name,
        scale_min=assessment.scale_min,
        scale_max=assessment.scale_max,
        scale_labels=dict(assessment.scale_labels or {}),
        topics=topics,
        groups=groups,
        channels=channels,
        focus_areas=focus_areas,
        responses=responses,
        aggregates=aggregates,
    )


def ratings_frame(*, session: Session, assessment_key: str) -> pd.DataFrame:
    """Every rating of an assessment, keyed by catalog keys (for exports and integrity checks).

    Columns: respondent (response id), group, dimension, topic, value (NaN: don't know).
    """
    assessment = get_assessment(session=session, key=assessment_key)
    ratings = ratings_of(session, Response.assessment_id == assessment.id)
    index = load_index(session=session, assessment_key=assessment_key)
    invert = lambda mapping: {v: k for k, v in mapping.items()}  # noqa: E731
    return ratings.assign(
        group=ratings["group"].map(invert(index.groups)),
        dimension=ratings["dimension"].map(invert(index.dimensions)),
        topic=ratings["topic"].map(invert(index.topics)),
    )


# --- analysis methods ---------------------------------------------------------------------------


def save_method(
    *, session: Session, assessment_key: str, config: dict, author: str, reason: str
) -> MethodRecord:
    """Record the analysis method now in force for an assessment: who chose it, and why.

    Earlier records are kept as the method's history; the assessment's revision is bumped so
    cached results are recomputed.
    """
    assessment = get_assessment(session=session, key=assessment_key)
    if not author or not author.strip():
        raise StoreError("author: say who chose this method")
    if not reason or not reason.strip():
        raise StoreError("Say why the method changes: the reason goes into the method log")
    if len(author) > 200 or len(reason) > 2000:
        raise StoreError("author may have 200 characters and reason 2000")
    record = MethodRecord(
        assessment_id=assessment.id, author=author.strip(), reason=reason, config=dict(config)
    )
    session.add(record)
    assessment.revision += 1
    session.add(assessment)
    session.flush()
    return record


def current_method(*, session: Session, assessment_key: str) -> dict | None:
    """The configuration of the assessment's latest method record (None: use the defaults)."""
    assessment = get_assessment(session=session, key=assessment_key)
    record = session.scalar(
        select(MethodRecord)
        .where(MethodRecord.assessment_id == assessment.id)
        .order_by(MethodRecord.created_at.desc(), MethodRecord.id.desc())
        .limit(1)
    )
    return dict(record.config) if record is not None else None


def existing_source_ids(*, session: Session, assessment_id: int, source: str, ids: Sequence[str]) -> set[str]:
    """Which of `ids` the assessment already has a response for from `source` (imports skip them)."""
    found: set[str] = set()
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), 1000):
        found.update(
            session.scalars(
                select(Response.source_response_id).where(
                    Response.assessment_id == assessment_id,
                    Response.source == source,
                    Response.source_response_id.in_(unique[start : start + 1000]),
                )
            )
        )
    return found


# --- reading for the committee app --------------------------------------------------------------


def method_history(*, session: Session, assessment_key: str) -> pd.DataFrame:
    """Every method recorded for the assessment, newest first: when, who, why and the configuration."""
    assessment = get_assessment(session=session, key=assessment_key)
    records = session.scalars(
        select(MethodRecord)
        .where(MethodRecord.assessment_id == assessment.id)
        .order_by(MethodRecord.created_at.desc(), MethodRecord.id.desc())
    ).all()
    return pd.DataFrame(
        [(r.id, r.created_at, r.author, r.reason, dict(r.config)) for r in records],
        columns=["id", "created_at", "author", "reason", "config"],
    )


def topic_comments(
    *, session: Session, assessment_key: str, topic: str | None, min_group_size: int
) -> tuple[pd.DataFrame, int]:
    """Respondents' comments on `topic` (None: the suggested missing topics) with their group.

    Never says which response a comment came from, and withholds the comments of groups with
    fewer than `min_group_size` responses (their author could be told from the group); returns
    the comments (group, group_name, text) and how many were withheld.
    """
    index = load_index(session=session, assessment_key=assessment_key)
    aid = index.assessment.id
    if topic is not None and topic not in index.topics:
        raise NotFound(f"no topic '{topic}' in assessment '{assessment_key}'")
    sizes = dict(
        session.execute(
            select(Response.group_id, func.count())
            .where(Response.assessment_id == aid)
            .group_by(Response.group_id)
        ).all()
    )
    which = Comment.topic_id.is_(None) if topic is None else Comment.topic_id == index.topics[topic]
    rows = session.execute(
        select(StakeholderGroup.key, StakeholderGroup.name_en, StakeholderGroup.id, Comment.text)
        .join(Response, Response.id == Comment.response_id)
        .join(StakeholderGroup, StakeholderGroup.id == Response.group_id)
        .where(Response.assessment_id == aid, which)
        .order_by(StakeholderGroup.position, Comment.text)
    ).all()
    shown = [(key, name, text) for key, name, gid, text in rows if sizes.get(gid, 0) >= min_group_size]
    return pd.DataFrame(shown, columns=["group", "group_name", "text"]), len(rows) - len(shown)


def recent_responses(*, session: Session, assessment_key: str, limit: int = 200) -> pd.DataFrame:
    """The latest responses (id, group, channel, source, submitted_at), e.g. to pick one to withdraw."""
    aid = get_assessment(session=session, key=assessment_key).id
    rows = session.execute(
        select(Response.id, StakeholderGroup.key, Channel.name_en, Response.source, Response.submitted_at)
        .join(StakeholderGroup, StakeholderGroup.id == Response.group_id)
        .outerjoin(Channel, Channel.id == Response.channel_id)
        .where(Response.assessment_id == aid)
        .order_by(Response.id.desc())
        .limit(limit)
    ).all()
    return pd.DataFrame(rows, columns=["id", "group", "channel", "source", "submitted_at"])
