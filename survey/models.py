"""All tables of the toolkit.

An assessment owns a *snapshot* of its catalog (topics, groups, channels, focus areas,
dimensions): the rows are copied when the assessment is created, so editing the catalog
for next year never rewrites last year's results.

Ratings are stored one row per (response, topic, dimension). The summary tables at the end
(`rating_histogram`, `rating_moment`, `rating_tally`, `group_tally`) hold the sufficient
statistics the analysis needs; they are maintained by `survey.store` and let an assessment
with a million responses be analysed without reading its ratings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class AssessmentStatus(StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"


class GroupKind(StrEnum):
    internal = "internal"
    external = "external"


class Assessment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True, index=True)
    year: int = Field(ge=1900, le=2999)
    name: str = Field(max_length=200)
    status: str = Field(default=AssessmentStatus.draft.value, max_length=16)  # AssessmentStatus
    scale_min: int = Field(default=1)
    scale_max: int = Field(default=5)
    # {"importance": {"en": [...], "zh": [...]}, "business_impact": {...}}
    scale_labels: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Bumped by changes other than new responses (withdrawals, catalog edits, method changes);
    # together with the response count and highest response id it forms the data version.
    revision: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


class Dimension(SQLModel, table=True):
    """What a rating measures: `importance`, `business_impact`, later ESRS criteria."""

    __table_args__ = (UniqueConstraint("assessment_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=64)
    name_en: str = Field(max_length=200)
    name_zh: str = Field(default="", max_length=200)
    question_en: str = Field(default="", max_length=500)
    question_zh: str = Field(default="", max_length=500)


class Topic(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("assessment_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=64)
    position: int = Field(default=0)
    category: str = Field(max_length=1)  # E, S or G
    name_en: str = Field(max_length=200)
    name_zh: str = Field(default="", max_length=200)
    description_en: str = Field(default="", max_length=2000)
    description_zh: str = Field(default="", max_length=2000)


class StakeholderGroup(SQLModel, table=True):
    __tablename__ = "stakeholder_group"
    __table_args__ = (UniqueConstraint("assessment_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=64)
    position: int = Field(default=0)
    kind: str = Field(max_length=16)  # GroupKind
    dimension_key: str = Field(default="importance", max_length=64)
    default_weight: float = Field(default=1.0, ge=0)
    name_en: str = Field(max_length=200)
    name_zh: str = Field(default="", max_length=200)


class Channel(SQLModel, table=True):
    """A communication channel through which one group is reached."""

    __table_args__ = (UniqueConstraint("group_id", "name_en"),)
    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True, ondelete="CASCADE")
    group_id: int = Field(foreign_key="stakeholder_group.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0)
    name_en: str = Field(max_length=200)
    name_zh: str = Field(default="", max_length=200)


class FocusArea(SQLModel, table=True):
    """A key area of focus a group declared; `topic_id` is empty when it lies outside the
    topic list (the report's "Product quality")."""

    __tablename__ = "focus_area"
    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True, ondelete="CASCADE")
    group_id: int = Field(foreign_key="stakeholder_group.id", index=True, ondelete="CASCADE")
    label: str = Field(max_length=200)
    topic_id: int | None = Field(default=None, foreign_key="topic.id", ondelete="SET NULL")


class Invitation(SQLModel, table=True):
    """A survey link. Only a hash of its token is stored."""

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True, ondelete="CASCADE")
    group_id: int = Field(foreign_key="stakeholder_group.id", ondelete="CASCADE")
    channel_id: int | None = Field(default=None, foreign_key="channel.id", ondelete="SET NULL")
    language: str = Field(default="en", max_length=8)
    token_hash: str = Field(max_length=128, unique=True, index=True)
    is_open: bool = Field(default=False)  # an open (anonymous, multi-use) link
    created_at: datetime = Field(default_factory=utcnow)
    opened_at: datetime | None = None
    draft: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    draft_saved_at: datetime | None = None
    submitted_at: datetime | None = None


class Response(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("assessment_id", "source", "source_response_id"),
        Index("ix_response_pending", "assessment_id", "aggregated"),
    )
    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True, ondelete="CASCADE")
    group_id: int = Field(foreign_key="stakeholder_group.id", ondelete="CASCADE")
    channel_id: int | None = Field(default=None, foreign_key="channel.id", ondelete="SET NULL")
    # A personal link can be submitted once: the unique constraint enforces it.
    invitation_id: int | None = Field(
        default=None, foreign_key="invitation.id", unique=True, ondelete="SET NULL"
    )
    via_open_link: bool = Field(default=False)
    source: str = Field(default="web", max_length=64)  # web, import:qualtrics, demo, ...
    source_response_id: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, max_length=8)
    submitted_at: datetime = Field(default_factory=utcnow)
    # False until the response's ratings are folded into the summary tables.
    aggregated: bool = Field(default=False)


class Rating(SQLModel, table=True):
    """One answer. `value` is empty for "don't know", which is not a rating."""

    response_id: int = Field(foreign_key="response.id", primary_key=True, ondelete="CASCADE")
    dimension_id: int = Field(foreign_key="dimension.id", primary_key=True, ondelete="CASCADE")
    topic_id: int = Field(foreign_key="topic.id", primary_key=True, ondelete="CASCADE")
    value: int | None = None


class Comment(SQLModel, table=True):
    """Respondent free text: a comment on a topic, or (no topic) a suggested missing topic.
    Untrusted wherever it is shown or exported."""

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id", index=True, ondelete="CASCADE")
    topic_id: int | None = Field(default=None, foreign_key="topic.id", ondelete="CASCADE")
    text: str = Field(max_length=4000)


class AppSetting(SQLModel, table=True):
    """A setting the app keeps for itself, e.g. the hash of the generated committee password."""

    __tablename__ = "app_setting"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=2000)
    updated_at: datetime = Field(default_factory=utcnow)


class MethodRecord(SQLModel, table=True):
    """The log of analysis methods chosen for an assessment (who, when, what, why)."""

    __tablename__ = "method_record"
    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)
    author: str = Field(max_length=200)
    reason: str = Field(default="", max_length=2000)
    config: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# --- summary tables (sufficient statistics per group and dimension) -----------------------


class RatingHistogram(SQLModel, table=True):
    """How many respondents of a group gave `value` to a topic on a dimension."""

    __tablename__ = "rating_histogram"
    assessment_id: int = Field(foreign_key="assessment.id", primary_key=True, ondelete="CASCADE")
    group_id: int = Field(foreign_key="stakeholder_group.id", primary_key=True, ondelete="CASCADE")
    dimension_id: int = Field(foreign_key="dimension.id", primary_key=True, ondelete="CASCADE")
    topic_id: int = Field(foreign_key="topic.id", primary_key=True, ondelete="CASCADE")
    value: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    n: int = 0


class RatingMoment(SQLModel, table=True):
    """Co-moments of two topics over the respondents of a group who rated both
    (`topic_a <= topic_b`; on the diagonal, `sum_ab` is the sum of squares)."""

    __tablename__ = "rating_moment"
    assessment_id: int = Field(foreign_key="assessment.id", primary_key=True, ondelete="CASCADE")
    group_id: int = Field(foreign_key="stakeholder_group.id", primary_key=True, ondelete="CASCADE")
    dimension_id: int = Field(foreign_key="dimension.id", primary_key=True, ondelete="CASCADE")
    topic_a: int = Field(foreign_key="topic.id", primary_key=True, ondelete="CASCADE")
    topic_b: int = Field(foreign_key="topic.id", primary_key=True, ondelete="CASCADE")
    n: int = 0
    sum_a: float = 0.0
    sum_b: float = 0.0
    sum_ab: float = 0.0


class RatingTally(SQLModel, table=True):
    """Per topic: how many respondents answered "don't know"."""

    __tablename__ = "rating_tally"
    assessment_id: int = Field(foreign_key="assessment.id", primary_key=True, ondelete="CASCADE")
    group_id: int = Field(foreign_key="stakeholder_group.id", primary_key=True, ondelete="CASCADE")
    dimension_id: int = Field(foreign_key="dimension.id", primary_key=True, ondelete="CASCADE")
    topic_id: int = Field(foreign_key="topic.id", primary_key=True, ondelete="CASCADE")
    n_dont_know: int = 0


class GroupTally(SQLModel, table=True):
    """How many respondents of a group answered at least one topic on a dimension."""

    __tablename__ = "group_tally"
    assessment_id: int = Field(foreign_key="assessment.id", primary_key=True, ondelete="CASCADE")
    group_id: int = Field(foreign_key="stakeholder_group.id", primary_key=True, ondelete="CASCADE")
    dimension_id: int = Field(foreign_key="dimension.id", primary_key=True, ondelete="CASCADE")
    n_respondents: int = 0
