"""The IRO register of an assessment and everything recorded about it: evidence, ratings,
consensus values, the threshold log and the workflow log. Every database read and write of
double materiality goes through here.

Write functions take keyword-only arguments and an explicit session; the caller owns the
transaction (:func:`survey.db.transaction`), so a file is written whole or not at all. What the
rows say is checked before they get here (:mod:`analysis.dma_inputs`, called by
:mod:`services.dma`); here the store refuses what depends on the stored state: a signed-off
assessment, a type changed under existing ratings, an IRO that does not exist.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from survey import audit
from survey.assessments import get_assessment
from survey.errors import NotFound, StoreError
from survey.iro_models import (
    DmaEvent,
    DmaThresholdRecord,
    Iro,
    IroConsensus,
    IroEvidence,
    IroRating,
)
from survey.models import Assessment, RatingHistogram, Response, StakeholderGroup, Topic, table_of, utcnow

STATES = ("draft", "rating", "calibration", "signed_off")
REGISTER_COLUMNS = [
    "iro",
    "topic",
    "sub_topic",
    "type",
    "status",
    "value_chain",
    "horizon",
    "human_rights",
    "description",
    "owner",
]
RATING_COLUMNS = ["assessor", "iro", "criterion", "value", "rationale", "rated_at"]
CONSENSUS_COLUMNS = ["iro", "criterion", "value", "rationale", "set_by", "set_at"]
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024


class SignedOff(StoreError):
    """The assessment's double materiality is signed off: nothing can change until reopened."""


def _actor(actor: str) -> str:
    if not actor or not actor.strip():
        raise StoreError("say who does this: an actor is required")
    if len(actor) > 200:
        raise StoreError("actor may have 200 characters")
    return actor.strip()


def _iros(session: Session, assessment: Assessment) -> list[Iro]:
    return list(
        session.scalars(
            select(Iro).where(Iro.assessment_id == assessment.id).order_by(Iro.position, Iro.id)
        ).all()
    )


def state(*, session: Session, assessment_key: str) -> str:
    """The workflow state: the state after the latest logged step, ``draft`` before any."""
    assessment = get_assessment(session=session, key=assessment_key)
    latest = session.scalar(
        select(DmaEvent.state)
        .where(DmaEvent.assessment_id == assessment.id)
        .order_by(DmaEvent.id.desc())
        .limit(1)
    )
    return latest or "draft"


def ensure_open(*, session: Session, assessment_key: str) -> Assessment:
    """The assessment, if its double materiality is not signed off; :class:`SignedOff` if it is."""
    assessment = get_assessment(session=session, key=assessment_key)
    if state(session=session, assessment_key=assessment_key) == "signed_off":
        raise SignedOff(
            f"assessment '{assessment_key}' is signed off: the register, the ratings and the "
            "thresholds are locked; reopen it with a reason first"
        )
    return assessment


def record_event(
    *,
    session: Session,
    assessment_key: str,
    action: str,
    actor: str,
    new_state: str | None = None,
    reason: str = "",
    audit_action: str = "dma.step",
    details: dict[str, Any] | None = None,
) -> DmaEvent:
    """Log one workflow step with its actor and reason (`new_state` is the state after it; by
    default the state stays as it is), and
    append it to the audit trail as `audit_action` (``iro.rating.*`` needs the right to rate,
    every other action the right to change; :class:`survey.accounts_roles.AccessDenied`
    otherwise, and the caller's transaction rolls back)."""
    if new_state is None:
        new_state = state(session=session, assessment_key=assessment_key)
    if new_state not in STATES:
        raise StoreError(f"unknown state {new_state!r} (known: {', '.join(STATES)})")
    if len(reason) > 2000:
        raise StoreError("a reason may have 2000 characters")
    assessment = get_assessment(session=session, key=assessment_key)
    who = _actor(actor)
    audit.record(
        session=session,
        actor=who,
        action=audit_action,
        object=f"double materiality of assessment {assessment_key}",
        after={"step": action, "state": new_state, "reason": reason.strip(), **(details or {})},
        assessment=assessment_key,
    )
    event = DmaEvent(
        assessment_id=assessment.id, action=action[:64], state=new_state, actor=who, reason=reason.strip()
    )
    session.add(event)
    session.flush()
    return event


def events(*, session: Session, assessment_key: str) -> pd.DataFrame:
    """The workflow log, oldest first: at, action, state, actor, reason."""
    assessment = get_assessment(session=session, key=assessment_key)
    rows = session.scalars(
        select(DmaEvent).where(DmaEvent.assessment_id == assessment.id).order_by(DmaEvent.id)
    ).all()
    return pd.DataFrame(
        [(e.at, e.action, e.state, e.actor, e.reason) for e in rows],
        columns=["at", "action", "state", "actor", "reason"],
    )


# --- the register -------------------------------------------------------------------------------


def register(*, session: Session, assessment_key: str) -> pd.DataFrame:
    """The register in its order (:data:`REGISTER_COLUMNS`; `human_rights` a boolean)."""
    assessment = get_assessment(session=session, key=assessment_key)
    rows = [
        (
            i.code,
            i.topic,
            i.sub_topic,
            i.type,
            i.status,
            i.value_chain,
            i.horizon,
            i.human_rights,
            i.description,
            i.owner,
        )
        for i in _iros(session, assessment)
    ]
    return pd.DataFrame(rows, columns=REGISTER_COLUMNS).astype({"human_rights": bool})


def has_register(*, session: Session, assessment_key: str) -> bool:
    assessment = get_assessment(session=session, key=assessment_key)
    return bool(session.scalar(select(func.count(Iro.id)).where(Iro.assessment_id == assessment.id)))


def save_register(
    *, session: Session, assessment_key: str, rows: pd.DataFrame, replace: bool = False
) -> dict[str, int]:
    """Add the IROs of `rows` (checked, :data:`REGISTER_COLUMNS`) and update those whose id exists.

    With `replace`, IROs missing from `rows` are deleted with their ratings. The type or status
    of an IRO that has ratings cannot change (its criteria would change): refused, naming it.
    Returns the counts added, updated and deleted.
    """
    assessment = ensure_open(session=session, assessment_key=assessment_key)
    existing = {i.code: i for i in _iros(session, assessment)}
    rated = set(
        session.scalars(
            select(Iro.code)
            .join(IroRating, IroRating.iro_id == Iro.id)
            .where(Iro.assessment_id == assessment.id)
        ).all()
    )
    problems = [
        f"IRO {row['iro']!r} has ratings: its type and status cannot change "
        f"(from {existing[row['iro']].type}/{existing[row['iro']].status}); "
        "delete its ratings or add a new IRO"
        for row in rows.to_dict("records")
        if row["iro"] in existing
        and row["iro"] in rated
        and (existing[row["iro"]].type, existing[row["iro"]].status) != (row["type"], row["status"])
    ]
    if problems:
        raise StoreError("\n".join(problems))
    counts = {"added": 0, "updated": 0, "deleted": 0}
    now = utcnow()
    listed = set()
    next_position = max((i.position for i in existing.values()), default=-1) + 1
    for row in rows.to_dict("records"):
        listed.add(row["iro"])
        fields = {column: row[column] for column in REGISTER_COLUMNS if column != "iro"}
        fields["human_rights"] = bool(fields["human_rights"])
        iro = existing.get(row["iro"])
        if iro is None:
            session.add(
                Iro(
                    assessment_id=assessment.id,
                    code=row["iro"],
                    position=next_position,
                    updated_at=now,
                    **fields,
                )
            )
            next_position += 1
            counts["added"] += 1
        elif any(getattr(iro, k) != v for k, v in fields.items()):
            for key, value in fields.items():
                setattr(iro, key, value)
            iro.updated_at = now
            counts["updated"] += 1
    if replace:
        for code, iro in existing.items():
            if code not in listed:
                session.delete(iro)
                counts["deleted"] += 1
    session.flush()
    return counts


def _iro(session: Session, assessment: Assessment, code: str) -> Iro:
    iro = session.scalar(select(Iro).where(Iro.assessment_id == assessment.id, Iro.code == code))
    if iro is None:
        raise NotFound(f"no IRO {code!r} in assessment '{assessment.key}'")
    return iro


# --- evidence -----------------------------------------------------------------------------------


def add_evidence(
    *,
    session: Session,
    assessment_key: str,
    iro: str,
    actor: str,
    url: str = "",
    label: str = "",
    filename: str = "",
    content: bytes | None = None,
) -> IroEvidence:
    """A link (`url`, http or https) or a file (`filename`, `content`, kept with its SHA-256)."""
    assessment = ensure_open(session=session, assessment_key=assessment_key)
    target = _iro(session, assessment, iro)
    if content is not None:
        if not filename.strip() or len(filename) > 200:
            raise StoreError("evidence file: a file name of 1-200 characters is required")
        if len(content) > MAX_EVIDENCE_BYTES:
            raise StoreError(
                f"evidence file {filename}: {len(content)} bytes; at most {MAX_EVIDENCE_BYTES} are kept"
            )
        evidence = IroEvidence(
            iro_id=target.id,
            kind="file",
            label=label[:200],
            filename=filename.strip(),
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            content=content,
            added_by=_actor(actor),
        )
    else:
        link = url.strip()
        if (
            not link.lower().startswith(("https://", "http://"))
            or len(link) > 2000
            or any(c.isspace() for c in link)
        ):
            raise StoreError(
                f"evidence link {link[:80]!r}: expected an http:// or https:// address without spaces"
            )
        evidence = IroEvidence(
            iro_id=target.id, kind="link", label=label[:200], url=link, added_by=_actor(actor)
        )
    session.add(evidence)
    session.flush()
    return evidence


def evidence(*, session: Session, assessment_key: str) -> pd.DataFrame:
    """Every piece of evidence: id, iro, kind, label, url, filename, sha256, size, added_by, added_at."""
    assessment = get_assessment(session=session, key=assessment_key)
    rows = session.execute(
        select(
            IroEvidence.id,
            Iro.code,
            IroEvidence.kind,
            IroEvidence.label,
            IroEvidence.url,
            IroEvidence.filename,
            IroEvidence.sha256,
            IroEvidence.size,
            IroEvidence.added_by,
            IroEvidence.added_at,
        )
        .join(Iro, Iro.id == IroEvidence.iro_id)
        .where(Iro.assessment_id == assessment.id)
        .order_by(Iro.position, IroEvidence.id)
    ).all()
    columns = ["id", "iro", "kind", "label", "url", "filename", "sha256", "size", "added_by", "added_at"]
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def evidence_file(*, session: Session, assessment_key: str, evidence_id: int) -> tuple[str, bytes]:
    """The name and bytes of a stored evidence file of the assessment."""
    assessment = get_assessment(session=session, key=assessment_key)
    row = session.execute(
        select(IroEvidence.filename, IroEvidence.content)
        .join(Iro, Iro.id == IroEvidence.iro_id)
        .where(Iro.assessment_id == assessment.id, IroEvidence.id == evidence_id, IroEvidence.kind == "file")
    ).one_or_none()
    if row is None or row[1] is None:
        raise NotFound(f"no evidence file {evidence_id} in assessment '{assessment_key}'")
    return row[0], row[1]


# --- ratings and consensus ----------------------------------------------------------------------


def ratings(*, session: Session, assessment_key: str) -> pd.DataFrame:
    """Every rating (:data:`RATING_COLUMNS`), by IRO order, assessor and criterion."""
    assessment = get_assessment(session=session, key=assessment_key)
    rows = session.execute(
        select(
            IroRating.assessor,
            Iro.code,
            IroRating.criterion,
            IroRating.value,
            IroRating.rationale,
            IroRating.rated_at,
        )
        .join(Iro, Iro.id == IroRating.iro_id)
        .where(Iro.assessment_id == assessment.id)
        .order_by(Iro.position, IroRating.assessor, IroRating.criterion)
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=RATING_COLUMNS).astype({"value": "int64"})


def save_ratings(*, session: Session, assessment_key: str, rows: pd.DataFrame) -> dict[str, int]:
    """Store checked ratings (``assessor, iro, criterion, value, rationale``): a new rating is
    added, an assessor's earlier rating of the same criterion replaced. Returns the counts."""
    assessment = ensure_open(session=session, assessment_key=assessment_key)
    ids = {i.code: i.id for i in _iros(session, assessment)}
    missing = sorted(set(rows["iro"]) - set(ids))
    if missing:
        raise NotFound(f"no IRO {', '.join(map(repr, missing))} in assessment '{assessment_key}'")
    stored = {
        (r.iro_id, r.assessor, r.criterion): r
        for r in session.scalars(select(IroRating).where(IroRating.iro_id.in_(ids.values()))).all()
    }
    counts = {"added": 0, "replaced": 0}
    now = utcnow()
    new: list[dict[str, Any]] = []
    for assessor, code, criterion, value, rationale in zip(
        rows["assessor"], rows["iro"], rows["criterion"], rows["value"], rows["rationale"], strict=True
    ):
        key = (ids[code], assessor, criterion)
        current = stored.get(key)
        if current is None:
            new.append(
                {
                    "iro_id": key[0],
                    "assessor": assessor,
                    "criterion": criterion,
                    "value": int(value),
                    "rationale": rationale,
                    "rated_at": now,
                }
            )
        elif (current.value, current.rationale) != (int(value), rationale):
            current.value, current.rationale, current.rated_at = int(value), rationale, now
            counts["replaced"] += 1
    for start in range(0, len(new), 5000):
        session.execute(insert(table_of(IroRating)), new[start : start + 5000])
    counts["added"] = len(new)
    session.flush()
    return counts


def consensus(*, session: Session, assessment_key: str) -> pd.DataFrame:
    """Every consensus value (:data:`CONSENSUS_COLUMNS`)."""
    assessment = get_assessment(session=session, key=assessment_key)
    rows = session.execute(
        select(
            Iro.code,
            IroConsensus.criterion,
            IroConsensus.value,
            IroConsensus.rationale,
            IroConsensus.set_by,
            IroConsensus.set_at,
        )
        .join(Iro, Iro.id == IroConsensus.iro_id)
        .where(Iro.assessment_id == assessment.id)
        .order_by(Iro.position, IroConsensus.criterion)
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=CONSENSUS_COLUMNS).astype({"value": "int64"})


def set_consensus(
    *,
    session: Session,
    assessment_key: str,
    iro: str,
    criterion: str,
    value: int | None,
    rationale: str,
    actor: str,
) -> None:
    """Set (or, with `value` None, remove) the consensus value of one criterion of an IRO."""
    assessment = ensure_open(session=session, assessment_key=assessment_key)
    target = _iro(session, assessment, iro)
    session.execute(
        delete(IroConsensus).where(IroConsensus.iro_id == target.id, IroConsensus.criterion == criterion)
    )
    if value is not None:
        session.add(
            IroConsensus(
                iro_id=target.id,
                criterion=criterion,
                value=int(value),
                rationale=rationale,
                set_by=_actor(actor),
            )
        )
    session.flush()


# --- thresholds ---------------------------------------------------------------------------------


def record_thresholds(
    *,
    session: Session,
    assessment_key: str,
    impact: float | None,
    financial: float | None,
    reason: str,
    actor: str,
) -> DmaThresholdRecord:
    """Append a threshold setting (who, when, why); flagged when ratings already exist."""
    assessment = ensure_open(session=session, assessment_key=assessment_key)
    if not reason or not reason.strip():
        raise StoreError("say why the thresholds are set: a reason is required")
    if len(reason) > 2000:
        raise StoreError("a reason may have 2000 characters")
    rated = session.scalar(
        select(func.count(IroRating.id))
        .join(Iro, Iro.id == IroRating.iro_id)
        .where(Iro.assessment_id == assessment.id)
    )
    record = DmaThresholdRecord(
        assessment_id=assessment.id,
        impact=impact,
        financial=financial,
        reason=reason.strip(),
        set_by=_actor(actor),
        after_ratings=bool(rated),
    )
    session.add(record)
    session.flush()
    return record


def threshold_log(*, session: Session, assessment_key: str) -> pd.DataFrame:
    """Every threshold setting, oldest first: set_at, set_by, impact, financial, reason, after_ratings."""
    assessment = get_assessment(session=session, key=assessment_key)
    rows = session.scalars(
        select(DmaThresholdRecord)
        .where(DmaThresholdRecord.assessment_id == assessment.id)
        .order_by(DmaThresholdRecord.id)
    ).all()
    return pd.DataFrame(
        [(r.set_at, r.set_by, r.impact, r.financial, r.reason, r.after_ratings) for r in rows],
        columns=["set_at", "set_by", "impact", "financial", "reason", "after_ratings"],
    )


def dma_version(*, session: Session, assessment_key: str) -> str:
    """Changes whenever anything of the assessment's double materiality changes: a cache key."""
    assessment = get_assessment(session=session, key=assessment_key)
    aid = assessment.id
    parts: list[Any] = [aid]
    parts += session.execute(
        select(func.count(Iro.id), func.max(Iro.updated_at)).where(Iro.assessment_id == aid)
    ).one()
    parts += session.execute(
        select(func.count(IroRating.id), func.max(IroRating.id), func.max(IroRating.rated_at))
        .join(Iro, Iro.id == IroRating.iro_id)
        .where(Iro.assessment_id == aid)
    ).one()
    parts += session.execute(
        select(func.count(IroConsensus.id), func.max(IroConsensus.id), func.max(IroConsensus.set_at))
        .join(Iro, Iro.id == IroConsensus.iro_id)
        .where(Iro.assessment_id == aid)
    ).one()
    parts += session.execute(
        select(func.count(IroEvidence.id))
        .join(Iro, Iro.id == IroEvidence.iro_id)
        .where(Iro.assessment_id == aid)
    ).one()
    parts.append(
        session.scalar(select(func.max(DmaThresholdRecord.id)).where(DmaThresholdRecord.assessment_id == aid))
    )
    parts.append(session.scalar(select(func.max(DmaEvent.id)).where(DmaEvent.assessment_id == aid)))
    return ":".join(p.isoformat() if isinstance(p, datetime) else str(p) for p in parts)


def survey_evidence(*, session: Session, assessment_key: str) -> pd.DataFrame:
    """The stakeholder survey as evidence for the register: per group and topic, how many
    respondents rated the topic and their mean rating, from the summary tables (responses not
    yet folded in are not counted). Columns group, group_name, topic, respondents, mean."""
    assessment = get_assessment(session=session, key=assessment_key)
    rows = session.execute(
        select(
            StakeholderGroup.key,
            StakeholderGroup.name_en,
            Topic.key,
            func.sum(RatingHistogram.n),
            func.sum(RatingHistogram.n * RatingHistogram.value),
        )
        .join(StakeholderGroup, StakeholderGroup.id == RatingHistogram.group_id)
        .join(Topic, Topic.id == RatingHistogram.topic_id)
        .where(RatingHistogram.assessment_id == assessment.id)
        .group_by(StakeholderGroup.key, StakeholderGroup.name_en, StakeholderGroup.position, Topic.key)
        .order_by(StakeholderGroup.position, Topic.key)
    ).all()
    frame = pd.DataFrame(
        [
            (g, name, t, int(n or 0), (float(total) / n) if n else float("nan"))
            for g, name, t, n, total in rows
        ],
        columns=["group", "group_name", "topic", "respondents", "mean"],
    )
    return frame


def topic_names(*, session: Session, assessment_key: str) -> list[tuple[str, str]]:
    """The assessment's catalog topics in order: (key, English name)."""
    assessment = get_assessment(session=session, key=assessment_key)
    rows = session.execute(
        select(Topic.key, Topic.name_en).where(Topic.assessment_id == assessment.id).order_by(Topic.position)
    ).all()
    return [(k, n) for k, n in rows]


def has_responses(*, session: Session, assessment_key: str) -> bool:
    assessment = get_assessment(session=session, key=assessment_key)
    return (
        session.scalar(select(Response.id).where(Response.assessment_id == assessment.id).limit(1))
        is not None
    )
