"""Which assessor rates which IRO: the assignment table and its reads and writes.

An assessor (an account with the right to rate) rates the IROs assigned to them; the committee
and admins may rate any. Assignments belong to an IRO and go with it. Every change is appended
to the audit trail in the same transaction (``iro.assignment.*``, which needs the right to
change), so an account that may not assign cannot, through any face.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from survey import audit
from survey.accounts_roles import RATE, may
from survey.errors import StoreError
from survey.iro import ensure_open, register
from survey.iro_assignment_models import IroAssignment
from survey.iro_models import Iro
from survey.models import Account, Assessment

ASSIGNMENT_COLUMNS = ["iro", "assessor", "assigned_by", "assigned_at"]


def _ids(session: Session, assessment: Assessment, codes: list[str]) -> dict[str, int]:
    """The register's ids of `codes`; every unknown one named."""
    rows = session.execute(
        select(Iro.code, Iro.id).where(Iro.assessment_id == assessment.id, Iro.code.in_(codes))
    ).all()
    found = {code: iro_id for code, iro_id in rows}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise StoreError(
            f"not in the IRO register of assessment '{assessment.key}': {', '.join(unknown[:20])}"
        )
    return found


def _assessor(session: Session, email: str) -> str:
    """The account `email` names, if it is active and may rate."""
    address = email.strip().lower()
    account = session.scalar(select(Account).where(Account.email == address))
    if account is None:
        raise StoreError(f"there is no account {address!r}: add it first")
    if account.disabled:
        raise StoreError(f"the account {address} is disabled")
    if not may(account.role, RATE):
        raise StoreError(
            f"{address} ({account.role}) cannot rate: only assessors, the committee and admins rate"
        )
    return address


def assign(*, session: Session, assessment_key: str, iros: list[str], assessor: str, actor: str) -> int:
    """Assign `iros` (codes) to `assessor`; returns how many were new. Refused once signed off."""
    assessment = ensure_open(session=session, assessment_key=assessment_key)
    address = _assessor(session, assessor)
    ids = _ids(session, assessment, iros)
    present = set(
        session.scalars(
            select(IroAssignment.iro_id).where(
                IroAssignment.assessor == address, IroAssignment.iro_id.in_(ids.values())
            )
        ).all()
    )
    new = [code for code, iro_id in ids.items() if iro_id not in present]
    entry = audit.record(
        session=session,
        actor=actor,
        action="iro.assignment.add",
        object=f"IRO assignments of assessment {assessment_key}",
        after={"assessor": address, "iros": new},
        assessment=assessment_key,
    )
    for code in new:
        session.add(IroAssignment(iro_id=ids[code], assessor=address, assigned_by=entry.actor))
    session.flush()
    return len(new)


def unassign(*, session: Session, assessment_key: str, iros: list[str], assessor: str, actor: str) -> int:
    """Take `iros` (codes) from `assessor`; their ratings stay. Returns how many were removed."""
    assessment = ensure_open(session=session, assessment_key=assessment_key)
    address = assessor.strip().lower()
    ids = _ids(session, assessment, iros)
    gone = session.execute(
        delete(IroAssignment)
        .where(IroAssignment.assessor == address, IroAssignment.iro_id.in_(ids.values()))
        .returning(IroAssignment.iro_id)
    ).all()
    removed = {row[0] for row in gone}
    audit.record(
        session=session,
        actor=actor,
        action="iro.assignment.remove",
        object=f"IRO assignments of assessment {assessment_key}",
        before={"assessor": address, "iros": [c for c, i in ids.items() if i in removed]},
        assessment=assessment_key,
    )
    return len(removed)


def assignments(*, session: Session, assessment_key: str) -> pd.DataFrame:
    """Every assignment of the assessment (:data:`ASSIGNMENT_COLUMNS`), in register order."""
    codes = register(session=session, assessment_key=assessment_key)["iro"].tolist()
    rows = session.execute(
        select(Iro.code, IroAssignment.assessor, IroAssignment.assigned_by, IroAssignment.assigned_at)
        .join(Iro, Iro.id == IroAssignment.iro_id)
        .join(Assessment, Assessment.id == Iro.assessment_id)
        .where(Assessment.key == assessment_key)
    ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=ASSIGNMENT_COLUMNS)
    order = {code: i for i, code in enumerate(codes)}
    frame["position"] = frame["iro"].map(order)
    return frame.sort_values(["position", "assessor"]).drop(columns="position").reset_index(drop=True)


def assigned_to(*, session: Session, assessor: str) -> dict[str, list[str]]:
    """The IRO codes assigned to `assessor`, per assessment key."""
    rows = session.execute(
        select(Assessment.key, Iro.code)
        .join(Iro, Iro.assessment_id == Assessment.id)
        .join(IroAssignment, IroAssignment.iro_id == Iro.id)
        .where(IroAssignment.assessor == assessor.strip().lower())
        .order_by(Assessment.key, Iro.position, Iro.id)
    ).all()
    found: dict[str, list[str]] = {}
    for key, code in rows:
        found.setdefault(key, []).append(code)
    return found


def assessments_with_register(*, session: Session) -> list[str]:
    """The keys of assessments that have an IRO register, newest year first."""
    rows = session.execute(
        select(Assessment.key).join(Iro, Iro.assessment_id == Assessment.id).distinct()
    ).all()
    years = dict(session.execute(select(Assessment.key, Assessment.year)).all())
    return sorted((r[0] for r in rows), key=lambda k: (-years.get(k, 0), k))
