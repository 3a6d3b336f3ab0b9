"""The analysis method of an assessment: who chose it, when and why, and its history.

The configuration itself is the analysis's business (a method file's fields); the data side keeps
it as given, with the record of the choice.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.assessments import get_assessment
from survey.errors import StoreError
from survey.models import MethodRecord


def save_method(
    *, session: Session, assessment_key: str, config: dict[str, Any], author: str, reason: str
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


def current_method(*, session: Session, assessment_key: str) -> dict[str, Any] | None:
    """The configuration of the assessment's latest method record (None: use the defaults)."""
    assessment = get_assessment(session=session, key=assessment_key)
    record = session.scalar(
        select(MethodRecord)
        .where(MethodRecord.assessment_id == assessment.id)
        .order_by(MethodRecord.created_at.desc(), MethodRecord.id.desc())
        .limit(1)
    )
    return dict(record.config) if record is not None else None


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
