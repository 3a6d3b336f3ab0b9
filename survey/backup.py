"""A whole assessment as one file, to move it between databases (SQLite to PostgreSQL and back)
or to keep it as a backup.

The file is JSON (gzip-compressed when its name ends in ``.gz``) with a format name and
version. It holds the assessment's catalog snapshot (dimensions, topics, groups, channels, focus
areas), its invitations (token hashes only, so links keep working after a move), responses,
ratings, comments and the method log. Rows refer to each other by their position in the file
(``ref``), never by database ids, so exporting an imported assessment gives the same file.
The summary tables are not in the file: they are recounted from the ratings on import.

:func:`import_assessment` checks the whole file first and writes it in the caller's
transaction: all of it or nothing.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from survey.catalog import Catalog, ChannelSpec, DimensionSpec, FocusSpec, GroupSpec, Scale, TopicSpec
from survey.models import (
    Assessment,
    AssessmentStatus,
    Channel,
    Comment,
    Dimension,
    FocusArea,
    Invitation,
    MethodRecord,
    Rating,
    Response,
    StakeholderGroup,
    Topic,
)
from survey.store import StoreError, create_assessment, get_assessment, refresh_aggregates

FORMAT = "materiality-assessment"
FORMAT_VERSION = 1
BATCH = 5000


class BackupError(StoreError):
    """The file cannot be imported; the message names the file and what is wrong."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssessmentRow(_Strict):
    key: str = Field(max_length=64)
    year: int = Field(ge=1900, le=2999)
    name: str = Field(max_length=200)
    status: AssessmentStatus
    scale_min: int
    scale_max: int
    scale_labels: dict
    revision: int = Field(ge=0)
    created_at: datetime


class DimensionRow(_Strict):
    key: str = Field(max_length=64)
    name_en: str = Field(max_length=200)
    name_zh: str = Field(default="", max_length=200)
    question_en: str = Field(default="", max_length=500)
    question_zh: str = Field(default="", max_length=500)


class TopicRow(_Strict):
    key: str = Field(max_length=64)
    category: str = Field(pattern="^[ESG]$")
    name_en: str = Field(max_length=200)
    name_zh: str = Field(default="", max_length=200)
    description_en: str = Field(default="", max_length=2000)
    description_zh: str = Field(default="", max_length=2000)


class GroupRow(_Strict):
    key: str = Field(max_length=64)
    kind: str = Field(pattern="^(internal|external)$")
    dimension_key: str = Field(max_length=64)
    default_weight: float = Field(ge=0)
    name_en: str = Field(max_length=200)
    name_zh: str = Field(default="", max_length=200)


class ChannelRow(_Strict):
    group: str
    name_en: str = Field(max_length=200)
    name_zh: str = Field(default="", max_length=200)


class FocusRow(_Strict):
    group: str
    label: str = Field(max_length=200)
    topic: str | None = None


class InvitationRow(_Strict):
    ref: int
    group: str
    channel: str | None = None
    language: str = Field(max_length=8)
    token_hash: str = Field(min_length=16, max_length=128)
    is_open: bool
    created_at: datetime
    opened_at: datetime | None = None
    draft: dict | None = None
    draft_saved_at: datetime | None = None
    submitted_at: datetime | None = None


class ResponseRow(_Strict):
    ref: int
    group: str
    channel: str | None = None
    invitation: int | None = None  # an invitation's ref
    via_open_link: bool = False
    source: str = Field(max_length=64)
    source_response_id: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, max_length=8)
    submitted_at: datetime


class Ratings(_Strict):
    """Column by column: response ref, dimension key, topic key, value (null: don't know)."""

    response: list[int]
    dimension: list[str]
    topic: list[str]
    value: list[int | None]


class CommentRow(_Strict):
    response: int
    topic: str | None = None
    text: str = Field(max_length=4000)


class MethodRow(_Strict):
    created_at: datetime
    author: str = Field(max_length=200)
    reason: str = Field(default="", max_length=2000)
    config: dict


class AssessmentFile(_Strict):
    format: str
    format_version: int
    exported_at: datetime
    assessment: AssessmentRow
    dimensions: list[DimensionRow]
    topics: list[TopicRow]
    groups: list[GroupRow]
    channels: list[ChannelRow]
    focus_areas: list[FocusRow]
    invitations: list[InvitationRow]
    responses: list[ResponseRow]
    ratings: Ratings
    comments: list[CommentRow]
    method_records: list[MethodRow]


# --- export ---------------------------------------------------------------------------------------


def _utc(value: datetime | None) -> str | None:
    """Times in the file are ISO 8601 in UTC (SQLite hands them back without a zone)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def export_assessment(*, session: Session, assessment_key: str) -> dict[str, Any]:
    """The assessment as a document for :func:`write_assessment_file`."""
    a = get_assessment(session=session, key=assessment_key)
    aid = a.id

    def rows(model, order):
        return session.scalars(select(model).where(model.assessment_id == aid).order_by(*order)).all()

    dimensions = rows(Dimension, [Dimension.id])
    topics = rows(Topic, [Topic.position, Topic.id])
    groups = rows(StakeholderGroup, [StakeholderGroup.position, StakeholderGroup.id])
    channels = rows(Channel, [Channel.group_id, Channel.position, Channel.id])
    focus = rows(FocusArea, [FocusArea.id])
    invitations = rows(Invitation, [Invitation.id])
    responses = rows(Response, [Response.id])
    methods = rows(MethodRecord, [MethodRecord.id])
    dimension_key = {d.id: d.key for d in dimensions}
    topic_key = {t.id: t.key for t in topics}
    group_key = {g.id: g.key for g in groups}
    channel_name = {c.id: c.name_en for c in channels}
    invitation_ref = {inv.id: ref for ref, inv in enumerate(invitations, start=1)}
    response_ref = {r.id: ref for ref, r in enumerate(responses, start=1)}

    ratings: dict[str, list] = {"response": [], "dimension": [], "topic": [], "value": []}
    for response_id, dimension_id, topic_id, value in session.execute(
        select(Rating.response_id, Rating.dimension_id, Rating.topic_id, Rating.value)
        .join(Response, Response.id == Rating.response_id)
        .where(Response.assessment_id == aid)
        .order_by(Rating.response_id, Rating.dimension_id, Rating.topic_id)
    ):
        ratings["response"].append(response_ref[response_id])
        ratings["dimension"].append(dimension_key[dimension_id])
        ratings["topic"].append(topic_key[topic_id])
        ratings["value"].append(value)
    comments = session.execute(
        select(Comment.response_id, Comment.topic_id, Comment.text)
        .join(Response, Response.id == Comment.response_id)
        .where(Response.assessment_id == aid)
        .order_by(Comment.response_id, Comment.id)
    ).all()

    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": _utc(datetime.now(UTC)),
        "assessment": {
            "key": a.key,
            "year": a.year,
            "name": a.name,
            "status": a.status,
            "scale_min": a.scale_min,
            "scale_max": a.scale_max,
            "scale_labels": a.scale_labels or {},
            "revision": a.revision,
            "created_at": _utc(a.created_at),
        },
        "dimensions": [
            {
                "key": d.key,
                "name_en": d.name_en,
                "name_zh": d.name_zh,
                "question_en": d.question_en,
                "question_zh": d.question_zh,
            }
            for d in dimensions
        ],
        "topics": [
            {
                "key": t.key,
                "category": t.category,
                "name_en": t.name_en,
                "name_zh": t.name_zh,
                "description_en": t.description_en,
                "description_zh": t.description_zh,
            }
            for t in topics
        ],
        "groups": [
            {
                "key": g.key,
                "kind": g.kind,
                "dimension_key": g.dimension_key,
                "default_weight": g.default_weight,
                "name_en": g.name_en,
                "name_zh": g.name_zh,
            }
            for g in groups
        ],
        "channels": [
            {"group": group_key[c.group_id], "name_en": c.name_en, "name_zh": c.name_zh} for c in channels
        ],
        "focus_areas": [
            {"group": group_key[f.group_id], "label": f.label, "topic": topic_key.get(f.topic_id)}
            for f in focus
        ],
        "invitations": [
            {
                "ref": invitation_ref[i.id],
                "group": group_key[i.group_id],
                "channel": channel_name.get(i.channel_id),
                "language": i.language,
                "token_hash": i.token_hash,
                "is_open": i.is_open,
                "created_at": _utc(i.created_at),
                "opened_at": _utc(i.opened_at),
                "draft": i.draft,
                "draft_saved_at": _utc(i.draft_saved_at),
                "submitted_at": _utc(i.submitted_at),
            }
            for i in invitations
        ],
        "responses": [
            {
                "ref": response_ref[r.id],
                "group": group_key[r.group_id],
                "channel": channel_name.get(r.channel_id),
                "invitation": invitation_ref.get(r.invitation_id),
                "via_open_link": r.via_open_link,
                "source": r.source,
                "source_response_id": r.source_response_id,
                "language": r.language,
                "submitted_at": _utc(r.submitted_at),
            }
            for r in responses
        ],
        "ratings": ratings,
        "comments": [
            {"response": response_ref[rid], "topic": topic_key.get(tid), "text": text}
            for rid, tid, text in comments
        ],
        "method_records": [
            {"created_at": _utc(m.created_at), "author": m.author, "reason": m.reason, "config": m.config}
            for m in methods
        ],
    }


def write_assessment_file(document: dict[str, Any], path: str | Path) -> Path:
    """Write `document` to `path` (gzip when the name ends in .gz); the file appears whole or
    not at all, and an existing file is never overwritten."""
    target = Path(path)
    if target.exists():
        raise BackupError(f"{target}: exists already; choose a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if target.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_bytes(data)
    partial.replace(target)
    return target


# --- import ---------------------------------------------------------------------------------------


def read_assessment_file(path: str | Path) -> AssessmentFile:
    """Read and check an assessment file; :class:`BackupError` names the file and each problem."""
    name = Path(path).name
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise BackupError(f"{name}: cannot read the file: {exc.strerror or exc}") from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise BackupError(f"{name}: not a readable gzip file ({exc})") from None
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise BackupError(f"{name}: not UTF-8 text; expected an assessment file (JSON)") from None
    except json.JSONDecodeError as exc:
        raise BackupError(
            f"{name}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "expected a file written by `materiality export-assessment`"
        ) from None
    return parse_assessment_document(document, filename=name)


def parse_assessment_document(document: Any, *, filename: str = "assessment file") -> AssessmentFile:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(
            f'{filename}: not an assessment file (expected "format": "{FORMAT}"); '
            "write one with `materiality export-assessment`"
        )
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise BackupError(
            f"{filename}: format version {version!r}; this toolkit reads version {FORMAT_VERSION}"
        )
    try:
        parsed = AssessmentFile.model_validate(document)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()[:20]
        ]
        more = f" (and {exc.error_count() - 20} more)" if exc.error_count() > 20 else ""
        raise BackupError(f"{filename}: " + "; ".join(problems) + more) from None
    problems = _cross_references(parsed)
    if problems:
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise BackupError(f"{filename}: " + "; ".join(problems[:20]) + more)
    return parsed


T = TypeVar("T")


def _duplicates(items: list[T], key: Callable[[T], object]) -> list[object]:
    return [k for k, n in Counter(key(i) for i in items).items() if n > 1]


def _cross_references(f: AssessmentFile) -> list[str]:
    """Every reference in the file resolves, and nothing is there twice."""
    problems: list[str] = []
    a = f.assessment
    if a.scale_min >= a.scale_max:
        problems.append(f"assessment.scale: min {a.scale_min} must be below max {a.scale_max}")
    dimensions = {d.key for d in f.dimensions}
    topics = {t.key for t in f.topics}
    groups = {g.key for g in f.groups}
    channels = {(c.group, c.name_en) for c in f.channels}
    for label, items, key in (
        ("dimensions", f.dimensions, lambda d: d.key),
        ("topics", f.topics, lambda t: t.key),
        ("groups", f.groups, lambda g: g.key),
        ("channels", f.channels, lambda c: (c.group, c.name_en)),
        ("invitations", f.invitations, lambda i: i.ref),
        ("invitations", f.invitations, lambda i: i.token_hash),
        ("responses", f.responses, lambda r: r.ref),
    ):
        for duplicate in _duplicates(items, key):  # type: ignore[arg-type]
            problems.append(f"{label}: {duplicate!r} appears more than once")
    for i, g in enumerate(f.groups):
        if g.dimension_key not in dimensions:
            problems.append(f"groups.{i}.dimension_key: unknown dimension '{g.dimension_key}'")
    for i, c in enumerate(f.channels):
        if c.group not in groups:
            problems.append(f"channels.{i}.group: unknown group '{c.group}'")
    for i, fa in enumerate(f.focus_areas):
        if fa.group not in groups:
            problems.append(f"focus_areas.{i}.group: unknown group '{fa.group}'")
        if fa.topic is not None and fa.topic not in topics:
            problems.append(f"focus_areas.{i}.topic: unknown topic '{fa.topic}'")
    invitation_refs = {inv.ref for inv in f.invitations}
    for label, rows in (("invitations", f.invitations), ("responses", f.responses)):
        for i, row in enumerate(rows):
            if row.group not in groups:
                problems.append(f"{label}.{i}.group: unknown group '{row.group}'")
            elif row.channel is not None and (row.group, row.channel) not in channels:
                problems.append(f"{label}.{i}.channel: '{row.channel}' is not a channel of '{row.group}'")
    for i, r in enumerate(f.responses):
        if r.invitation is not None and r.invitation not in invitation_refs:
            problems.append(f"responses.{i}.invitation: no invitation with ref {r.invitation}")
    for duplicate in _duplicates(
        [r for r in f.responses if r.invitation is not None], lambda r: r.invitation
    ):
        problems.append(f"responses: invitation {duplicate} answered more than once")
    for duplicate in _duplicates(
        [r for r in f.responses if r.source_response_id is not None],
        lambda r: (r.source, r.source_response_id),
    ):
        problems.append(f"responses: source response id {duplicate!r} appears more than once")

    ratings = f.ratings
    lengths = {len(ratings.response), len(ratings.dimension), len(ratings.topic), len(ratings.value)}
    if len(lengths) != 1:
        problems.append("ratings: the columns response, dimension, topic and value differ in length")
        return problems
    response_refs = {r.ref for r in f.responses}
    seen: set[tuple[int, str, str]] = set()
    for i, (ref, dimension, topic, value) in enumerate(
        zip(ratings.response, ratings.dimension, ratings.topic, ratings.value, strict=True)
    ):
        where = f"ratings row {i + 1}"
        if ref not in response_refs:
            problems.append(f"{where}: no response with ref {ref}")
        if dimension not in dimensions:
            problems.append(f"{where}: unknown dimension '{dimension}'")
        if topic not in topics:
            problems.append(f"{where}: unknown topic '{topic}'")
        if value is not None and not a.scale_min <= value <= a.scale_max:
            problems.append(f"{where}: value {value} is outside the scale {a.scale_min}-{a.scale_max}")
        if (ref, dimension, topic) in seen:
            problems.append(f"{where}: response {ref} rates '{topic}' on '{dimension}' twice")
        seen.add((ref, dimension, topic))
        if len(problems) > 40:
            break
    for i, c in enumerate(f.comments):
        if c.response not in response_refs:
            problems.append(f"comments.{i}.response: no response with ref {c.response}")
        if c.topic is not None and c.topic not in topics:
            problems.append(f"comments.{i}.topic: unknown topic '{c.topic}'")
    return problems


def import_assessment(*, session: Session, document: AssessmentFile, as_key: str | None = None) -> Assessment:
    """Write the assessment of `document` (under `as_key` when given) in the caller's transaction.

    Refuses a key the database already has, and invitations whose link (token hash) another
    assessment of the database already uses."""
    f = document
    key = as_key or f.assessment.key
    if session.scalar(select(Assessment.id).where(Assessment.key == key)) is not None:
        hint = "" if as_key else "; import it under another key with --as NEWKEY"
        raise BackupError(f"assessment '{key}' exists already in this database{hint}")
    hashes = [inv.token_hash for inv in f.invitations]
    taken = 0
    for start in range(0, len(hashes), 1000):
        taken += len(
            session.scalars(
                select(Invitation.id).where(Invitation.token_hash.in_(hashes[start : start + 1000]))
            ).all()
        )
    if taken:
        raise BackupError(
            f"{taken} of the file's survey links are already in use in this database (an earlier copy of "
            "this assessment?): one link cannot lead to two assessments"
        )

    catalog = Catalog(
        topics=[
            TopicSpec(t.key, t.category, t.name_en, t.name_zh, t.description_en, t.description_zh)
            for t in f.topics
        ],
        groups=[
            GroupSpec(g.key, g.kind, g.dimension_key, g.default_weight, g.name_en, g.name_zh)
            for g in f.groups
        ],
        channels=[ChannelSpec(c.group, c.name_en, c.name_zh) for c in f.channels],
        focus_areas=[FocusSpec(fa.group, fa.label, fa.topic) for fa in f.focus_areas],
        dimensions=[
            DimensionSpec(d.key, d.name_en, d.name_zh, d.question_en, d.question_zh) for d in f.dimensions
        ],
        scale=Scale(f.assessment.scale_min, f.assessment.scale_max, dict(f.assessment.scale_labels)),
    )
    assessment = create_assessment(
        session=session, key=key, year=f.assessment.year, catalog=catalog, name=f.assessment.name
    )
    assessment.status = f.assessment.status.value
    assessment.revision = f.assessment.revision
    assessment.created_at = f.assessment.created_at
    session.add(assessment)
    session.flush()
    aid = assessment.id
    assert aid is not None

    topic_id = dict(session.execute(select(Topic.key, Topic.id).where(Topic.assessment_id == aid)).all())
    dimension_id = dict(
        session.execute(select(Dimension.key, Dimension.id).where(Dimension.assessment_id == aid)).all()
    )
    group_id = dict(
        session.execute(
            select(StakeholderGroup.key, StakeholderGroup.id).where(StakeholderGroup.assessment_id == aid)
        ).all()
    )
    channel_id = {
        (g, name): cid
        for cid, g, name in session.execute(
            select(Channel.id, StakeholderGroup.key, Channel.name_en)
            .join(StakeholderGroup, StakeholderGroup.id == Channel.group_id)
            .where(Channel.assessment_id == aid)
        ).all()
    }

    def channel_of(group: str, channel: str | None) -> int | None:
        return channel_id[(group, channel)] if channel is not None else None

    invitation_id = _insert_returning_ids(
        session,
        Invitation,
        [
            {
                "assessment_id": aid,
                "group_id": group_id[i.group],
                "channel_id": channel_of(i.group, i.channel),
                "language": i.language,
                "token_hash": i.token_hash,
                "is_open": i.is_open,
                "created_at": i.created_at,
                "opened_at": i.opened_at,
                "draft": i.draft,
                "draft_saved_at": i.draft_saved_at,
                "submitted_at": i.submitted_at,
            }
            for i in f.invitations
        ],
    )
    invitation_by_ref = dict(zip((i.ref for i in f.invitations), invitation_id, strict=True))
    response_id = _insert_returning_ids(
        session,
        Response,
        [
            {
                "assessment_id": aid,
                "group_id": group_id[r.group],
                "channel_id": channel_of(r.group, r.channel),
                "invitation_id": invitation_by_ref[r.invitation] if r.invitation is not None else None,
                "via_open_link": r.via_open_link,
                "source": r.source,
                "source_response_id": r.source_response_id,
                "language": r.language,
                "submitted_at": r.submitted_at,
                "aggregated": False,
            }
            for r in f.responses
        ],
    )
    response_by_ref = dict(zip((r.ref for r in f.responses), response_id, strict=True))
    ratings = f.ratings
    _insert_batches(
        session,
        Rating,
        [
            {
                "response_id": response_by_ref[ref],
                "dimension_id": dimension_id[dimension],
                "topic_id": topic_id[topic],
                "value": value,
            }
            for ref, dimension, topic, value in zip(
                ratings.response, ratings.dimension, ratings.topic, ratings.value, strict=True
            )
        ],
    )
    _insert_batches(
        session,
        Comment,
        [
            {
                "response_id": response_by_ref[c.response],
                "topic_id": topic_id[c.topic] if c.topic is not None else None,
                "text": c.text,
            }
            for c in f.comments
        ],
    )
    _insert_batches(
        session,
        MethodRecord,
        [
            {
                "assessment_id": aid,
                "created_at": m.created_at,
                "author": m.author,
                "reason": m.reason,
                "config": m.config,
            }
            for m in f.method_records
        ],
    )
    refresh_aggregates(session=session, assessment_id=aid)
    return assessment


def _insert_returning_ids(session: Session, model, rows: list[dict]) -> list[int]:
    """Insert rows in order; their new ids, in the same order."""
    table = model.__table__
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        result = session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows[start : start + BATCH]
        )
        ids.extend(result.scalars().all())
    return ids


def _insert_batches(session: Session, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(model.__table__), rows[start : start + BATCH])
