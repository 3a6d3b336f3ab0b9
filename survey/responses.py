"""Responses: checking one against its assessment, recording it (one at a time from the survey
page, many at once from imports and the demo), and withdrawing it.

Write functions take keyword-only arguments and an explicit session; the caller owns the
transaction (see :func:`survey.db.transaction`), so a response or an import is written whole or
not at all. A response recorded one at a time waits with ``aggregated = false`` until
:func:`survey.summaries.refresh_aggregates` folds it in; bulk paths fold theirs at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from core.aggregates import summarise_ratings
from survey.assessments import AssessmentIndex
from survey.errors import NotFound, StoreError, ValidationProblem
from survey.inserts import copy_columns, insert_returning_id, insert_rows
from survey.models import Assessment, Comment, Rating, Response, table_of, utcnow
from survey.summaries import lock_assessment, merge_aggregates, ratings_of


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
    if problems or group_id is None:
        raise ValidationProblem(problems)
    return group_id, channel_id, rows


def record_response(*, session: Session, index: AssessmentIndex, response_in: ResponseIn) -> int:
    """Store one response with its ratings and comments; returns the response id.

    All of it lands in the caller's transaction. A second response for the same invitation
    or the same (source, source response id) violates a unique constraint in the database.
    This is the web submission path, so it skips the ORM (:mod:`survey.inserts`;
    benchmarks/bench_submit.py compares it with plain sqlite3).
    """
    group_id, channel_id, rows = _resolve(index, response_in)
    submitted_at = response_in.submitted_at or utcnow()
    if submitted_at.utcoffset() is None:
        raise StoreError("submitted_at: expected a time with a time zone")
    connection = session.connection()
    response_id = insert_returning_id(
        connection,
        table_of(Response),
        {
            "assessment_id": index.assessment.id,
            "group_id": group_id,
            "channel_id": channel_id,
            "invitation_id": response_in.invitation_id,
            "via_open_link": response_in.via_open_link,
            "source": response_in.source,
            "source_response_id": response_in.source_response_id,
            "language": response_in.language,
            "submitted_at": submitted_at,
            "aggregated": False,
        },
    )
    insert_rows(
        connection,
        table_of(Rating),
        ("response_id", "dimension_id", "topic_id", "value"),
        [(response_id, d, t, v) for d, t, v in rows],
    )
    texts: list[tuple[int, int | None, str]] = [
        (response_id, index.topics[topic], text[:4000])
        for topic, text in response_in.comments.items()
        if text and text.strip()
    ]
    if response_in.suggestion and response_in.suggestion.strip():
        texts.append((response_id, None, response_in.suggestion[:4000]))
    insert_rows(connection, table_of(Comment), ("response_id", "topic_id", "text"), texts)
    return response_id


def withdraw_response(*, session: Session, response_id: int) -> None:
    """Delete a response; it then counts nowhere."""
    response = session.get(Response, response_id)
    if response is None:
        raise NotFound(f"no response with id {response_id}")
    lock_assessment(session, response.assessment_id)
    session.refresh(response)
    if response.aggregated:
        ratings = ratings_of(session, Response.id == response_id)
        merge_aggregates(session, response.assessment_id, summarise_ratings(ratings), sign=-1)
    session.execute(delete(Comment).where(Comment.response_id == response_id))
    session.execute(delete(Rating).where(Rating.response_id == response_id))
    session.execute(delete(Response).where(Response.id == response_id))
    session.execute(
        update(Assessment)
        .where(Assessment.id == response.assessment_id)
        .values(revision=Assessment.revision + 1)
    )


def existing_source_ids(*, session: Session, assessment_id: int, source: str, ids: Sequence[str]) -> set[str]:
    """Which of `ids` the assessment already has a response for from `source` (imports skip them)."""
    found: set[str] = set()
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), 1000):
        found.update(
            source_id
            for source_id in session.scalars(
                select(Response.source_response_id).where(
                    Response.assessment_id == assessment_id,
                    Response.source == source,
                    Response.source_response_id.in_(unique[start : start + 1000]),
                )
            )
            if source_id is not None
        )
    return found


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
    lock_assessment(session, aid)
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
    connection = session.connection()
    before = session.scalar(select(func.max(Response.id))) or 0
    copy_columns(
        connection,
        table_of(Response),
        {
            "assessment_id": [aid] * n,
            "group_id": group_ids.astype(np.int64).tolist(),
            "channel_id": channel_ids,
            "invitation_id": [None] * n,
            "via_open_link": [False] * n,
            "source": [source] * n,
            "source_response_id": source_ids,
            "language": [v if isinstance(v, str) else None for v in languages],
            "submitted_at": list(when.fillna(pd.Timestamp(utcnow())).dt.to_pydatetime()),
            "aggregated": [True] * n,
        },
    )
    inserted = {
        source_id: response_id
        for source_id, response_id in session.execute(
            select(Response.source_response_id, Response.id).where(
                Response.assessment_id == aid, Response.source == source, Response.id > before
            )
        )
    }
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
    copy_columns(
        connection,
        table_of(Rating),
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
    merge_aggregates(session, aid, aggregates, sign=1)
    return n


def _key_ids(keys: pd.Series, ids: dict[str, int]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Ids of catalog keys (NaN where unknown), looked up once per distinct key."""
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    table = np.array([ids.get(k, np.nan) for k in uniques] + [np.nan], dtype=float)
    return table[codes]


def _positions(keys: pd.Series, source_ids: list[str]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Position in `source_ids` of each key (-1 where absent)."""
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    where = pd.Index(source_ids).get_indexer(pd.Index([str(u) for u in uniques], dtype=object))
    return np.append(where, -1)[codes]
