"""What the analysis and the committee app read from an assessment: its catalog and summary
statistics as plain frames, its ratings, respondents' comments and the latest responses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.aggregates import AssessmentData
from survey.assessments import get_assessment, load_index, read_catalog
from survey.errors import NotFound
from survey.models import Channel, Comment, Response, StakeholderGroup
from survey.summaries import keyed_by_catalog, ratings_of, refresh_aggregates, stored_aggregates


def load_assessment_data(
    *, session: Session, assessment_key: str, response_counts: bool = True
) -> AssessmentData:
    """The assessment's catalog and aggregates as plain frames, keyed by catalog keys.

    Call within a write transaction: pending responses are folded in first. Everything but
    the response counts per group, channel and source comes from the summary tables; those
    counts scan the assessment's responses, so ``response_counts=False`` (an empty
    ``responses`` frame) keeps the load independent of the number of responses.
    """
    aid = get_assessment(session=session, key=assessment_key).id
    refresh_aggregates(session=session, assessment_id=aid)
    index = load_index(session=session, assessment_key=assessment_key)
    assessment = index.assessment
    catalog = read_catalog(session, index)
    keys = index.keys_by_id()
    channel_name = index.channel_names()

    topics = _frame(
        catalog.topics,
        topic="key",
        name="name_en",
        name_zh="name_zh",
        category="category",
        description="description_en",
    )
    groups = _frame(
        catalog.groups,
        group="key",
        name="name_en",
        name_zh="name_zh",
        kind="kind",
        dimension="dimension",
        default_weight="default_weight",
    )
    channels = _frame(catalog.channels, group="group", channel="name_en", channel_zh="name_zh")
    focus_areas = _frame(catalog.focus_areas, group="group", label="label", topic="topic")
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
        [(keys["group"][g], channel_name.get(c) if c is not None else None, s, n) for g, c, s, n in counts],
        columns=["group", "channel", "source", "n_responses"],
    )

    aggregates = keyed_by_catalog(stored_aggregates(session=session, assessment_id=aid), keys)
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


def _frame(rows: Sequence[object], **fields: str) -> pd.DataFrame:
    """Catalog rows as a frame: each keyword names a column and the row field it holds."""
    return pd.DataFrame({column: [getattr(row, name) for row in rows] for column, name in fields.items()})


def ratings_frame(*, session: Session, assessment_key: str) -> pd.DataFrame:
    """Every rating of an assessment, keyed by catalog keys (for exports and integrity checks).

    Columns: respondent (response id), group, dimension, topic, value (NaN: don't know).
    """
    assessment = get_assessment(session=session, key=assessment_key)
    ratings = ratings_of(session, Response.assessment_id == assessment.id)
    index = load_index(session=session, assessment_key=assessment_key)
    return ratings.assign(**{kind: ratings[kind].map(keys) for kind, keys in index.keys_by_id().items()})


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
    sizes = {
        group_id: n
        for group_id, n in session.execute(
            select(Response.group_id, func.count())
            .where(Response.assessment_id == aid)
            .group_by(Response.group_id)
        )
    }
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


def first_response_at(*, session: Session, assessment_key: str) -> str | None:
    """When the assessment's first response was submitted (ISO 8601, UTC), None before any: from
    then on its results could be computed and seen."""
    assessment = get_assessment(session=session, key=assessment_key)
    first = session.scalar(
        select(func.min(Response.submitted_at)).where(Response.assessment_id == assessment.id)
    )
    return iso_time(first) if first is not None else None


def iso_time(moment: datetime) -> str:
    """A stored time as ISO 8601 in UTC (SQLite gives it back without a time zone)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
