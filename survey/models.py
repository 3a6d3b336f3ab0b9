"""All tables of the toolkit.

An assessment owns a *snapshot* of its catalog (topics, groups, channels, focus areas,
dimensions): the rows are copied when the assessment is created, so editing the catalog
for next year never rewrites last year's results.

Ratings are stored one row per (response, topic, dimension). The summary tables at the end
(`rating_histogram`, `rating_moment`, `rating_tally`, `group_tally`) hold the sufficient
statistics the analysis needs; they are maintained by `survey.summaries` and let an assessment
with a million responses be analysed without reading its ratings.

The tables are SQLAlchemy 2.0 typed mappings (``Mapped[...]``), not SQLModel: SQLModel declares
a column as its plain value type, so to mypy ``Topic.key == key`` is a ``bool`` and ``.in_()`` does
not exist, and it refuses ``Mapped[...]`` annotations. The schema is the one the
migrations create (times in sqlmodel's ``UTCDateTime``, as there); ``tests/test_migrations.py``
compares them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, LargeBinary, String, Table, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, synonym
from sqlmodel.sql.sqltypes import UTCDateTime

# Text limits of the catalog columns; the catalog's row models (survey.catalog) check them.
KEY_LENGTH = 64
NAME_LENGTH = 200
QUESTION_LENGTH = 500
DESCRIPTION_LENGTH = 2000
COMMENT_LENGTH = 4000
EMAIL_LENGTH = 320  # RFC 5321: 64 for the local part, @, 255 for the domain
LANGUAGE_LENGTH = 35  # a BCP 47 tag such as nl-informal or zh-Hans-HK (RFC 5646 section 4.4.1)


def utcnow() -> datetime:
    return datetime.now(UTC)


class AssessmentStatus(StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"


class Base(DeclarativeBase):
    """Times are stored in UTC and read back as aware datetimes; JSON columns hold dicts; floats
    are the migrations' FLOAT (SQLAlchemy 2.1 would make them DOUBLE)."""

    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, float: Float()}


def table_of(model: type[Base]) -> Table:
    """The table of a model, for Core statements (typed as a Table, which ``__table__`` is not)."""
    return Base.metadata.tables[model.__tablename__]


def _assessment_id(*, primary_key: bool = False) -> Mapped[int]:
    if primary_key:
        return mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), primary_key=True)
    return mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)


def _cascading(target: str, *, primary_key: bool = False, index: bool = False) -> Mapped[int]:
    return mapped_column(ForeignKey(target, ondelete="CASCADE"), primary_key=primary_key, index=index)


class Assessment(Base):
    __tablename__ = "assessment"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True, index=True)
    year: Mapped[int]
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    status: Mapped[str] = mapped_column(String(16), default=AssessmentStatus.draft.value)  # AssessmentStatus
    scale_min: Mapped[int] = mapped_column(default=1)
    scale_max: Mapped[int] = mapped_column(default=5)
    # {"importance": {"en": [...], "zh": [...]}, "business_impact": {...}}
    scale_labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Bumped by changes other than new responses (withdrawals, catalog edits, method changes);
    # together with the response count and highest response id it forms the data version.
    revision: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Dimension(Base):
    """What a rating measures: `importance`, `business_impact`, later ESRS criteria."""

    __tablename__ = "dimension"
    __table_args__ = (UniqueConstraint("assessment_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = _assessment_id()
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    name_en: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_zh: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    question_en: Mapped[str] = mapped_column(String(QUESTION_LENGTH), default="")
    question_zh: Mapped[str] = mapped_column(String(QUESTION_LENGTH), default="")


class Topic(Base):
    __tablename__ = "topic"
    __table_args__ = (UniqueConstraint("assessment_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = _assessment_id()
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    position: Mapped[int] = mapped_column(default=0)
    category: Mapped[str] = mapped_column(String(1))  # E, S or G
    name_en: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_zh: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    description_en: Mapped[str] = mapped_column(String(DESCRIPTION_LENGTH), default="")
    description_zh: Mapped[str] = mapped_column(String(DESCRIPTION_LENGTH), default="")


class StakeholderGroup(Base):
    __tablename__ = "stakeholder_group"
    __table_args__ = (UniqueConstraint("assessment_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = _assessment_id()
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(16))  # internal or external
    dimension_key: Mapped[str] = mapped_column(String(KEY_LENGTH), default="importance")
    dimension: Mapped[str] = synonym("dimension_key")  # as the catalog calls it
    default_weight: Mapped[float] = mapped_column(default=1.0)
    name_en: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_zh: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")


class Channel(Base):
    """A communication channel through which one group is reached."""

    __tablename__ = "channel"
    __table_args__ = (UniqueConstraint("group_id", "name_en"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = _assessment_id()
    group_id: Mapped[int] = _cascading("stakeholder_group.id", index=True)
    position: Mapped[int] = mapped_column(default=0)
    name_en: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_zh: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")


class FocusArea(Base):
    """A key area of focus a group declared; `topic_id` is empty when it lies outside the
    topic list (the report's "Product quality")."""

    __tablename__ = "focus_area"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = _assessment_id()
    group_id: Mapped[int] = _cascading("stakeholder_group.id", index=True)
    label: Mapped[str] = mapped_column(String(NAME_LENGTH))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id", ondelete="SET NULL"))


class Invitation(Base):
    """A survey link. Only a hash of its token is stored."""

    __tablename__ = "invitation"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = _assessment_id()
    group_id: Mapped[int] = _cascading("stakeholder_group.id")
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(8), default="en")
    token_hash: Mapped[str] = mapped_column(String(128), unique=True, index=True)
    is_open: Mapped[bool] = mapped_column(default=False)  # an open (anonymous, multi-use) link
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None]
    draft: Mapped[dict[str, Any] | None]
    draft_saved_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]


class Contact(Base):
    """A person the survey link of an assessment is mailed to.

    Kept apart from the answers: no response refers to a contact. The contact row holds the id of
    the invitation mailed to it (so a link is issued once and reminders reach only those who have
    not submitted); the response holds the same invitation id. While the contact list exists,
    someone who can read the database can therefore follow contact -> invitation -> response;
    `materiality contacts purge` deletes the rows (and the file's free pages on SQLite), and from
    then on nothing leads from a response to a person. `name` is used only in the salutation.

    `sealed_token` is the link's token encrypted with ``MATERIALITY_MAIL_KEY`` (the database alone
    cannot open it): it lets a failed message be sent again, and a reminder carry the same link,
    without issuing a second link. It is dropped once the invitation is submitted.
    """

    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("assessment_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = _assessment_id()
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    group_id: Mapped[int] = _cascading("stakeholder_group.id")
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(8), default="en")
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), unique=True
    )
    sealed_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    claimed_at: Mapped[datetime | None]  # a sender is mailing this contact now (see survey.mailing)
    invited_at: Mapped[datetime | None]  # the invitation was accepted by the mail server
    reminders: Mapped[int] = mapped_column(default=0)
    reminded_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Response(Base):
    __tablename__ = "response"
    __table_args__ = (
        UniqueConstraint("assessment_id", "source", "source_response_id"),
        Index("ix_response_pending", "assessment_id", "aggregated"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = _assessment_id()
    group_id: Mapped[int] = _cascading("stakeholder_group.id")
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id", ondelete="SET NULL"))
    # A personal link can be submitted once: the unique constraint enforces it.
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), unique=True
    )
    via_open_link: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(64), default="web")  # web, import:qualtrics, demo, ...
    source_response_id: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(LANGUAGE_LENGTH))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    # False until the response's ratings are folded into the summary tables.
    aggregated: Mapped[bool] = mapped_column(default=False)


class Rating(Base):
    """One answer. `value` is empty for "don't know", which is not a rating."""

    __tablename__ = "rating"
    response_id: Mapped[int] = _cascading("response.id", primary_key=True)
    dimension_id: Mapped[int] = _cascading("dimension.id", primary_key=True)
    topic_id: Mapped[int] = _cascading("topic.id", primary_key=True)
    value: Mapped[int | None]


class Comment(Base):
    """Respondent free text: a comment on a topic, or (no topic) a suggested missing topic.
    Untrusted wherever it is shown or exported."""

    __tablename__ = "comment"
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = _cascading("response.id", index=True)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(COMMENT_LENGTH))


class AppSetting(Base):
    """A setting the app keeps for itself, e.g. the hash of the generated committee password."""

    __tablename__ = "app_setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(2000))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MethodRecord(Base):
    """The log of analysis methods chosen for an assessment (who, when, what, why)."""

    __tablename__ = "method_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = _assessment_id()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    author: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(2000), default="")
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)


# --- summary tables (sufficient statistics per group and dimension) -----------------------


class RatingHistogram(Base):
    """How many respondents of a group gave `value` to a topic on a dimension."""

    __tablename__ = "rating_histogram"
    assessment_id: Mapped[int] = _assessment_id(primary_key=True)
    group_id: Mapped[int] = _cascading("stakeholder_group.id", primary_key=True)
    dimension_id: Mapped[int] = _cascading("dimension.id", primary_key=True)
    topic_id: Mapped[int] = _cascading("topic.id", primary_key=True)
    value: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(default=0)


class RatingMoment(Base):
    """Co-moments of two topics over the respondents of a group who rated both
    (`topic_a <= topic_b`; on the diagonal, `sum_ab` is the sum of squares)."""

    __tablename__ = "rating_moment"
    assessment_id: Mapped[int] = _assessment_id(primary_key=True)
    group_id: Mapped[int] = _cascading("stakeholder_group.id", primary_key=True)
    dimension_id: Mapped[int] = _cascading("dimension.id", primary_key=True)
    topic_a: Mapped[int] = _cascading("topic.id", primary_key=True)
    topic_b: Mapped[int] = _cascading("topic.id", primary_key=True)
    n: Mapped[int] = mapped_column(default=0)
    sum_a: Mapped[float] = mapped_column(default=0.0)
    sum_b: Mapped[float] = mapped_column(default=0.0)
    sum_ab: Mapped[float] = mapped_column(default=0.0)


class RatingTally(Base):
    """Per topic: how many respondents answered "don't know"."""

    __tablename__ = "rating_tally"
    assessment_id: Mapped[int] = _assessment_id(primary_key=True)
    group_id: Mapped[int] = _cascading("stakeholder_group.id", primary_key=True)
    dimension_id: Mapped[int] = _cascading("dimension.id", primary_key=True)
    topic_id: Mapped[int] = _cascading("topic.id", primary_key=True)
    n_dont_know: Mapped[int] = mapped_column(default=0)


class GroupTally(Base):
    """How many respondents of a group answered at least one topic on a dimension."""

    __tablename__ = "group_tally"
    assessment_id: Mapped[int] = _assessment_id(primary_key=True)
    group_id: Mapped[int] = _cascading("stakeholder_group.id", primary_key=True)
    dimension_id: Mapped[int] = _cascading("dimension.id", primary_key=True)
    n_respondents: Mapped[int] = mapped_column(default=0)


# --- accounts, sign-in sessions, throttling and the audit trail ----------------------------


class Account(Base):
    """A person who signs in to the committee app, with one role (:mod:`survey.accounts`)."""

    __tablename__ = "account"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH), unique=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)


class SignInSession(Base):
    """A signed-in browser: the cookie carries a random token, the row only its SHA-256."""

    __tablename__ = "sign_in_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = _cascading("account.id", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)


class SignInThrottle(Base):
    """Wrong passwords counted per account, per client and per browser (`scope`), shared by
    every app server that uses the database."""

    __tablename__ = "sign_in_throttle"
    scope: Mapped[str] = mapped_column(String(400), primary_key=True)
    window_start: Mapped[datetime]
    failures: Mapped[int] = mapped_column(default=0)
    locks: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)


class AuditEntry(Base):
    """One change, appended to a hash chain (:mod:`survey.audit`); never updated or deleted."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object: Mapped[str] = mapped_column(String(500))
    assessment: Mapped[str | None] = mapped_column(String(KEY_LENGTH), index=True, default=None)
    before: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


# The double-materiality tables live in their own module on the same base; importing it here
# puts them in `Base.metadata` wherever the schema is used.
from survey import iro_assignment_models as _iro_assignment_models  # noqa: E402, F401
from survey import iro_models as _iro_models  # noqa: E402, F401
