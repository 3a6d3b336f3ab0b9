"""Double materiality in assessment backups and in the integrity check.

The backup file (:mod:`survey.backup`) gets an optional ``double_materiality`` section: the
register with its evidence (files as base64 with their SHA-256), the ratings, the consensus
values, the threshold log and the workflow log, rows referring to IROs by their id. Files
written before it existed have no such section and import as before.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.iro_models import DmaEvent, DmaThresholdRecord, Iro, IroConsensus, IroEvidence, IroRating

if TYPE_CHECKING:
    from survey.integrity import IntegrityReport


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IroRow(_Strict):
    iro: str = Field(min_length=1, max_length=64)
    topic: str = Field(min_length=1, max_length=64)
    sub_topic: str = Field(default="", max_length=200)
    type: str = Field(max_length=32)
    status: str = Field(max_length=16)
    value_chain: str = Field(default="", max_length=64)
    horizon: str = Field(default="", max_length=16)
    human_rights: bool = False
    description: str = Field(default="", max_length=4000)
    owner: str = Field(default="", max_length=200)
    updated_at: datetime


class EvidenceRow(_Strict):
    iro: str
    kind: str = Field(pattern="^(link|file)$")
    label: str = Field(default="", max_length=200)
    url: str = Field(default="", max_length=2000)
    filename: str = Field(default="", max_length=200)
    sha256: str = Field(default="", max_length=64)
    content: str | None = None  # base64
    added_by: str = Field(max_length=200)
    added_at: datetime

    @model_validator(mode="after")
    def _digest_matches(self) -> EvidenceRow:
        if self.kind == "file":
            data = base64.b64decode(self.content or "", validate=True)
            if hashlib.sha256(data).hexdigest() != self.sha256:
                raise ValueError(
                    f"evidence file {self.filename!r} of IRO {self.iro!r}: content does not match its SHA-256"
                )
        return self


class IroRatingRow(_Strict):
    assessor: str = Field(min_length=1, max_length=200)
    iro: str
    criterion: str = Field(max_length=32)
    value: int = Field(ge=1, le=5)
    rationale: str = Field(min_length=1, max_length=4000)
    rated_at: datetime


class ConsensusRow(_Strict):
    iro: str
    criterion: str = Field(max_length=32)
    value: int = Field(ge=1, le=5)
    rationale: str = Field(max_length=4000)
    set_by: str = Field(max_length=200)
    set_at: datetime


class ThresholdRow(_Strict):
    impact: float | None = Field(default=None, ge=1, le=5)
    financial: float | None = Field(default=None, ge=1, le=5)
    reason: str = Field(max_length=2000)
    set_by: str = Field(max_length=200)
    set_at: datetime
    after_ratings: bool = False


class EventRow(_Strict):
    action: str = Field(max_length=64)
    state: str = Field(pattern="^(draft|rating|calibration|signed_off)$")
    actor: str = Field(max_length=200)
    reason: str = Field(default="", max_length=2000)
    at: datetime


class DmaSection(_Strict):
    iros: list[IroRow] = []
    evidence: list[EvidenceRow] = []
    ratings: list[IroRatingRow] = []
    consensus: list[ConsensusRow] = []
    thresholds: list[ThresholdRow] = []
    events: list[EventRow] = []

    @model_validator(mode="after")
    def _known_iros(self) -> DmaSection:
        known = {row.iro for row in self.iros}
        if len(known) != len(self.iros):
            raise ValueError("double_materiality.iros: an IRO id is listed twice")
        referred = [row.iro for row in self.evidence] + [row.iro for row in self.ratings]
        unknown = {*referred, *(row.iro for row in self.consensus)} - known
        if unknown:
            raise ValueError(
                f"double_materiality refers to IROs not in its register: {', '.join(sorted(unknown))}"
            )
        return self


def _utc(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def export_dma(*, session: Session, assessment_id: int) -> dict[str, Any] | None:
    """The section for the backup file, or None when the assessment has no double materiality."""
    iros = session.scalars(
        select(Iro).where(Iro.assessment_id == assessment_id).order_by(Iro.position, Iro.id)
    ).all()
    events = session.scalars(
        select(DmaEvent).where(DmaEvent.assessment_id == assessment_id).order_by(DmaEvent.id)
    ).all()
    thresholds = session.scalars(
        select(DmaThresholdRecord)
        .where(DmaThresholdRecord.assessment_id == assessment_id)
        .order_by(DmaThresholdRecord.id)
    ).all()
    if not (iros or events or thresholds):
        return None
    code = {i.id: i.code for i in iros}
    ids = list(code)
    evidence = session.scalars(
        select(IroEvidence).where(IroEvidence.iro_id.in_(ids)).order_by(IroEvidence.id)
    ).all()
    ratings = session.scalars(select(IroRating).where(IroRating.iro_id.in_(ids)).order_by(IroRating.id)).all()
    consensus = session.scalars(
        select(IroConsensus).where(IroConsensus.iro_id.in_(ids)).order_by(IroConsensus.id)
    ).all()
    return {
        "iros": [
            {
                "iro": i.code,
                "topic": i.topic,
                "sub_topic": i.sub_topic,
                "type": i.type,
                "status": i.status,
                "value_chain": i.value_chain,
                "horizon": i.horizon,
                "human_rights": i.human_rights,
                "description": i.description,
                "owner": i.owner,
                "updated_at": _utc(i.updated_at),
            }
            for i in iros
        ],
        "evidence": [
            {
                "iro": code[e.iro_id],
                "kind": e.kind,
                "label": e.label,
                "url": e.url,
                "filename": e.filename,
                "sha256": e.sha256,
                "added_by": e.added_by,
                "added_at": _utc(e.added_at),
                "content": base64.b64encode(e.content).decode("ascii") if e.content is not None else None,
            }
            for e in evidence
        ],
        "ratings": [
            {
                "assessor": r.assessor,
                "iro": code[r.iro_id],
                "criterion": r.criterion,
                "value": r.value,
                "rationale": r.rationale,
                "rated_at": _utc(r.rated_at),
            }
            for r in ratings
        ],
        "consensus": [
            {
                "iro": code[c.iro_id],
                "criterion": c.criterion,
                "value": c.value,
                "rationale": c.rationale,
                "set_by": c.set_by,
                "set_at": _utc(c.set_at),
            }
            for c in consensus
        ],
        "thresholds": [
            {
                "impact": t.impact,
                "financial": t.financial,
                "reason": t.reason,
                "set_by": t.set_by,
                "set_at": _utc(t.set_at),
                "after_ratings": t.after_ratings,
            }
            for t in thresholds
        ],
        "events": [
            {"action": e.action, "state": e.state, "actor": e.actor, "reason": e.reason, "at": _utc(e.at)}
            for e in events
        ],
    }


def import_dma(*, session: Session, assessment_id: int, section: DmaSection | None) -> None:
    """Write a checked section into the (new) assessment, in the caller's transaction."""
    if section is None:
        return
    ids: dict[str, int] = {}
    for position, row in enumerate(section.iros):
        iro = Iro(
            assessment_id=assessment_id, code=row.iro, position=position, **row.model_dump(exclude={"iro"})
        )
        session.add(iro)
        session.flush()
        ids[row.iro] = iro.id
    for e in section.evidence:
        content = base64.b64decode(e.content) if e.content is not None else None
        session.add(
            IroEvidence(
                iro_id=ids[e.iro],
                size=len(content or b""),
                content=content,
                **e.model_dump(exclude={"iro", "content"}),
            )
        )
    for r in section.ratings:
        session.add(IroRating(iro_id=ids[r.iro], **r.model_dump(exclude={"iro"})))
    for c in section.consensus:
        session.add(IroConsensus(iro_id=ids[c.iro], **c.model_dump(exclude={"iro"})))
    for t in section.thresholds:
        session.add(DmaThresholdRecord(assessment_id=assessment_id, **t.model_dump()))
    for ev in section.events:
        session.add(DmaEvent(assessment_id=assessment_id, **ev.model_dump()))
    session.flush()


def check_dma(session: Session, report: IntegrityReport) -> None:
    """Ratings off the 1-5 scale, and evidence files whose content no longer matches its SHA-256."""
    from survey.integrity import SHOWN, Finding

    off_scale = session.scalar(
        select(func.count(IroRating.id)).where((IroRating.value < 1) | (IroRating.value > 5))
    )
    if off_scale:
        report.findings.append(Finding("double materiality", f"{off_scale} IRO rating(s) off the 1-5 scale"))
    else:
        report.checked.append("no IRO rating off the 1-5 scale")
    changed = []
    for evidence_id, digest, content in session.execute(
        select(IroEvidence.id, IroEvidence.sha256, IroEvidence.content).where(IroEvidence.kind == "file")
    ):
        if content is None or hashlib.sha256(content).hexdigest() != digest:
            changed.append(evidence_id)
    if changed:
        shown = ", ".join(str(i) for i in changed[:SHOWN]) + (", ..." if len(changed) > SHOWN else "")
        report.findings.append(
            Finding(
                "double materiality",
                f"{len(changed)} evidence file(s) do not match their SHA-256 (ids {shown})",
            )
        )
    else:
        report.checked.append("every IRO evidence file matches its SHA-256")
