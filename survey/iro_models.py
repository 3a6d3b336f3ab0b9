"""The tables of double materiality: the IRO register, its evidence, the assessors' ratings,
consensus values, the threshold log and the workflow log.

Each IRO belongs to one assessment (its ids are the company's own, unique within the
assessment); ratings and consensus values belong to an IRO and go with it. The threshold log
and the workflow log are append-only: the thresholds in force and the state of the assessment
are their latest rows, and earlier rows stay as the record of who did what, when and why.
Declared on the toolkit's one declarative base (:class:`survey.models.Base`), so the migrations
and the schema check see them with every other table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.models import KEY_LENGTH, NAME_LENGTH, Base, utcnow

IRO_ID_LENGTH = 64
SUB_TOPIC_LENGTH = 200
IRO_TEXT_LENGTH = 4000
ACTOR_LENGTH = 200
URL_LENGTH = 2000


def _assessment_id() -> Mapped[int]:
    return mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)


def _iro_id() -> Mapped[int]:
    return mapped_column(ForeignKey("iro.id", ondelete="CASCADE"), index=True)


class Iro(Base):
    """An impact, risk or opportunity of the register. `value_chain` lists its places in the
    value chain separated by ``;`` (``upstream;own_operations``)."""

    __tablename__ = "iro"
    __table_args__ = (UniqueConstraint("assessment_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = _assessment_id()
    code: Mapped[str] = mapped_column(String(IRO_ID_LENGTH))
    position: Mapped[int] = mapped_column(default=0)
    topic: Mapped[str] = mapped_column(String(KEY_LENGTH))
    sub_topic: Mapped[str] = mapped_column(String(SUB_TOPIC_LENGTH), default="")
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    value_chain: Mapped[str] = mapped_column(String(64), default="")
    horizon: Mapped[str] = mapped_column(String(16), default="")
    human_rights: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(String(IRO_TEXT_LENGTH), default="")
    owner: Mapped[str] = mapped_column(String(ACTOR_LENGTH), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class IroEvidence(Base):
    """Evidence for an IRO: a link, or a file kept in the database with its SHA-256."""

    __tablename__ = "iro_evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    iro_id: Mapped[int] = _iro_id()
    kind: Mapped[str] = mapped_column(String(8))  # link or file
    label: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    url: Mapped[str] = mapped_column(String(URL_LENGTH), default="")
    filename: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    size: Mapped[int] = mapped_column(default=0)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    added_by: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class IroRating(Base):
    """One assessor's rating of one criterion of an IRO, with the rationale."""

    __tablename__ = "iro_rating"
    __table_args__ = (UniqueConstraint("iro_id", "assessor", "criterion"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    iro_id: Mapped[int] = _iro_id()
    assessor: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    criterion: Mapped[str] = mapped_column(String(32))
    value: Mapped[int]
    rationale: Mapped[str] = mapped_column(String(IRO_TEXT_LENGTH))
    rated_at: Mapped[datetime] = mapped_column(default=utcnow)


class IroConsensus(Base):
    """A value agreed in calibration for one criterion of an IRO; it replaces the mean."""

    __tablename__ = "iro_consensus"
    __table_args__ = (UniqueConstraint("iro_id", "criterion"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    iro_id: Mapped[int] = _iro_id()
    criterion: Mapped[str] = mapped_column(String(32))
    value: Mapped[int]
    rationale: Mapped[str] = mapped_column(String(IRO_TEXT_LENGTH))
    set_by: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)


class DmaThresholdRecord(Base):
    """A setting of the impact and financial thresholds (append-only); the latest is in force.
    `after_ratings` records that ratings existed when it was set."""

    __tablename__ = "dma_threshold"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = _assessment_id()
    impact: Mapped[float | None]
    financial: Mapped[float | None]
    reason: Mapped[str] = mapped_column(String(2000))
    set_by: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    after_ratings: Mapped[bool] = mapped_column(default=False)


class DmaEvent(Base):
    """A step of the double-materiality workflow (append-only): `state` is the state after it
    (draft, rating, calibration, signed_off)."""

    __tablename__ = "dma_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = _assessment_id()
    action: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    reason: Mapped[str] = mapped_column(String(2000), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
