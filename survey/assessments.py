"""Assessments: creating one with its own catalog snapshot, finding it, its status and the
version of its data, and the key -> id index of its catalog rows.

Write functions take keyword-only arguments and an explicit session; the caller owns the
transaction (see :func:`survey.db.transaction`), so an assessment is written whole or not at all.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.catalog import (
    Catalog,
    ChannelSpec,
    DimensionSpec,
    FocusSpec,
    GroupSpec,
    Scale,
    TopicSpec,
    from_record,
    name_clashes,
)
from survey.errors import NotFound, StoreError
from survey.models import (
    Assessment,
    AssessmentStatus,
    Channel,
    Dimension,
    FocusArea,
    Response,
    StakeholderGroup,
    Topic,
)


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
    clashes = name_clashes(catalog)
    if clashes:
        raise StoreError(f"assessment '{key}': " + "; ".join(clashes))
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
    session.add_all(Dimension(assessment_id=aid, **asdict(d)) for d in catalog.dimensions)
    topics = {t.key: Topic(assessment_id=aid, position=i, **asdict(t)) for i, t in enumerate(catalog.topics)}
    groups = {
        g.key: StakeholderGroup(assessment_id=aid, position=i, **asdict(g))
        for i, g in enumerate(catalog.groups)
    }
    session.add_all([*topics.values(), *groups.values()])
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
    return read_catalog(session, load_index(session=session, assessment_key=assessment_key))


def read_catalog(session: Session, index: AssessmentIndex) -> Catalog:
    """The catalog snapshot of the assessment of `index`, rows in their order."""
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
        topics=[from_record(TopicSpec, t) for t in topics],
        groups=[from_record(GroupSpec, g) for g in groups],
        channels=[ChannelSpec(group_key[c.group_id], c.name_en, c.name_zh) for c in channels],
        focus_areas=[
            FocusSpec(group_key[f.group_id], f.label, topic_key.get(f.topic_id) if f.topic_id else None)
            for f in focus
        ],
        dimensions=[from_record(DimensionSpec, d) for d in dimensions],
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

    def keys_by_id(self) -> dict[str, dict[int, str]]:
        """The catalog key of each id, for ``group``, ``dimension`` and ``topic``."""
        kinds = {"group": self.groups, "dimension": self.dimensions, "topic": self.topics}
        return {kind: {i: key for key, i in ids.items()} for kind, ids in kinds.items()}

    def channel_names(self) -> dict[int, str]:
        return {cid: name for (_, name), cid in self.channels.items()}


def load_index(*, session: Session, assessment_key: str) -> AssessmentIndex:
    assessment = get_assessment(session=session, key=assessment_key)
    aid = assessment.id
    topics = {
        key: tid
        for key, tid in session.execute(select(Topic.key, Topic.id).where(Topic.assessment_id == aid))
    }
    group_rows = session.execute(
        select(StakeholderGroup.key, StakeholderGroup.id, StakeholderGroup.dimension_key).where(
            StakeholderGroup.assessment_id == aid
        )
    ).all()
    dimensions = {
        key: did
        for key, did in session.execute(
            select(Dimension.key, Dimension.id).where(Dimension.assessment_id == aid)
        )
    }
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
