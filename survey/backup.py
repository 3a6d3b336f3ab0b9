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
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core.limits import LimitExceeded, gunzip_capped, read_capped
from survey.assessments import create_assessment, load_index, read_catalog
from survey.catalog import (
    Catalog,
    ChannelSpec,
    DimensionSpec,
    FocusSpec,
    GroupSpec,
    Scale,
    TopicSpec,
    name_clashes,
)
from survey.errors import StoreError
from survey.iro_backup import DmaSection, export_dma, import_dma
from survey.models import (
    Assessment,
    AssessmentStatus,
    Base,
    Comment,
    Invitation,
    MethodRecord,
    Rating,
    Response,
    table_of,
)
from survey.settings import import_limits
from survey.summaries import refresh_aggregates

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
    scale_labels: dict[str, Any]
    revision: int = Field(ge=0)
    created_at: datetime


class InvitationRow(_Strict):
    ref: int
    group: str
    channel: str | None = None
    language: str = Field(max_length=8)
    token_hash: str = Field(min_length=16, max_length=128)
    is_open: bool
    created_at: datetime
    opened_at: datetime | None = None
    draft: dict[str, Any] | None = None
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
    config: dict[str, Any]


class AssessmentFile(_Strict):
    format: str
    format_version: int
    exported_at: datetime
    assessment: AssessmentRow
    # the catalog rows as the catalog files have them, but for a group's `dimension_key`
    dimensions: list[DimensionSpec]
    topics: list[TopicSpec]
    groups: list[GroupSpec]
    channels: list[ChannelSpec]
    focus_areas: list[FocusSpec]
    invitations: list[InvitationRow]
    responses: list[ResponseRow]
    ratings: Ratings
    comments: list[CommentRow]
    method_records: list[MethodRow]
    double_materiality: DmaSection | None = None


# --- export ---------------------------------------------------------------------------------------


def _utc(value: datetime | None) -> str | None:
    """Times in the file are ISO 8601 in UTC (SQLite hands them back without a zone)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


_CATALOG_ROWS: dict[type, TypeAdapter[Any]] = {
    model: TypeAdapter(model) for model in (DimensionSpec, TopicSpec, GroupSpec, ChannelSpec, FocusSpec)
}


def _catalog_rows(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Catalog rows as the file has them (a group's dimension as `dimension_key`)."""
    return [_CATALOG_ROWS[type(row)].dump_python(row, by_alias=True) for row in rows]


def export_assessment(*, session: Session, assessment_key: str) -> dict[str, Any]:
    """The assessment as a document for :func:`write_assessment_file`."""
    index = load_index(session=session, assessment_key=assessment_key)
    catalog = read_catalog(session, index)
    a = index.assessment
    aid = a.id

    invitations = session.scalars(
        select(Invitation).where(Invitation.assessment_id == aid).order_by(Invitation.id)
    ).all()
    responses = session.scalars(
        select(Response).where(Response.assessment_id == aid).order_by(Response.id)
    ).all()
    methods = session.scalars(
        select(MethodRecord).where(MethodRecord.assessment_id == aid).order_by(MethodRecord.id)
    ).all()
    keys = index.keys_by_id()
    dimension_key, group_key = keys["dimension"], keys["group"]
    # keyed by optional ids too: an absent channel, invitation or comment topic is None in the file
    topic_key: dict[int | None, str] = dict(keys["topic"].items())
    channel_name: dict[int | None, str] = dict(index.channel_names().items())
    invitation_ref: dict[int | None, int] = {inv.id: ref for ref, inv in enumerate(invitations, start=1)}
    response_ref = {r.id: ref for ref, r in enumerate(responses, start=1)}

    ratings: dict[str, list[Any]] = {"response": [], "dimension": [], "topic": [], "value": []}
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
        "dimensions": _catalog_rows(catalog.dimensions),
        "topics": _catalog_rows(catalog.topics),
        "groups": _catalog_rows(catalog.groups),
        "channels": _catalog_rows(catalog.channels),
        "focus_areas": _catalog_rows(catalog.focus_areas),
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
        "double_materiality": export_dma(session=session, assessment_id=aid),
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
    limit = import_limits().max_bytes
    try:
        with Path(path).open("rb") as stream:
            data = read_capped(stream, name=name, limit=limit)
        if data[:2] == b"\x1f\x8b":
            data = gunzip_capped(data, name=name, limit=limit)
    except LimitExceeded as exc:
        raise BackupError(str(exc)) from None
    except OSError as exc:
        raise BackupError(f"{name}: cannot read the file: {exc.strerror or exc}") from None
    except (zlib.error, EOFError) as exc:
        raise BackupError(f"{name}: not a readable gzip file ({exc})") from None
    try:
        text = data.decode("utf-8")
        del data  # the bytes are not needed beside the text
        document = json.loads(text)
    except RecursionError:
        raise BackupError(f"{name}: nested too deeply to be an assessment file") from None
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


def _repeated(keys: Iterable[object]) -> list[object]:
    return [k for k, n in Counter(keys).items() if n > 1]


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
    unique: list[tuple[str, list[object]]] = [
        ("dimensions", [d.key for d in f.dimensions]),
        ("topics", [t.key for t in f.topics]),
        ("groups", [g.key for g in f.groups]),
        ("channels", [(c.group, c.name_en) for c in f.channels]),
        ("invitations", [i.ref for i in f.invitations]),
        ("invitations", [i.token_hash for i in f.invitations]),
        ("responses", [r.ref for r in f.responses]),
    ]
    for label, keys in unique:
        for duplicate in _repeated(keys):
            problems.append(f"{label}: {duplicate!r} appears more than once")
    problems.extend(
        name_clashes(Catalog(f.topics, f.groups, f.channels, f.focus_areas, f.dimensions, Scale()))
    )
    for i, g in enumerate(f.groups):
        if g.dimension not in dimensions:
            problems.append(f"groups.{i}.dimension_key: unknown dimension '{g.dimension}'")
    for i, c in enumerate(f.channels):
        if c.group not in groups:
            problems.append(f"channels.{i}.group: unknown group '{c.group}'")
    for i, fa in enumerate(f.focus_areas):
        if fa.group not in groups:
            problems.append(f"focus_areas.{i}.group: unknown group '{fa.group}'")
        if fa.topic is not None and fa.topic not in topics:
            problems.append(f"focus_areas.{i}.topic: unknown topic '{fa.topic}'")
    invitation_refs = {inv.ref for inv in f.invitations}
    for label, targets in (
        ("invitations", [(inv.group, inv.channel) for inv in f.invitations]),
        ("responses", [(r.group, r.channel) for r in f.responses]),
    ):
        for i, (group, channel) in enumerate(targets):
            if group not in groups:
                problems.append(f"{label}.{i}.group: unknown group '{group}'")
            elif channel is not None and (group, channel) not in channels:
                problems.append(f"{label}.{i}.channel: '{channel}' is not a channel of '{group}'")
    for i, r in enumerate(f.responses):
        if r.invitation is not None and r.invitation not in invitation_refs:
            problems.append(f"responses.{i}.invitation: no invitation with ref {r.invitation}")
    for duplicate in _repeated(r.invitation for r in f.responses if r.invitation is not None):
        problems.append(f"responses: invitation {duplicate} answered more than once")
    for duplicate in _repeated(
        (r.source, r.source_response_id) for r in f.responses if r.source_response_id is not None
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
    for i, comment in enumerate(f.comments):
        if comment.response not in response_refs:
            problems.append(f"comments.{i}.response: no response with ref {comment.response}")
        if comment.topic is not None and comment.topic not in topics:
            problems.append(f"comments.{i}.topic: unknown topic '{comment.topic}'")
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
        topics=f.topics,
        groups=f.groups,
        channels=f.channels,
        focus_areas=f.focus_areas,
        dimensions=f.dimensions,
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
    index = load_index(session=session, assessment_key=key)
    topic_id, dimension_id, group_id = index.topics, index.dimensions, index.groups

    def channel_of(group: str, channel: str | None) -> int | None:
        return index.channels[(group, channel)] if channel is not None else None

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
    import_dma(session=session, assessment_id=aid, section=f.double_materiality)
    refresh_aggregates(session=session, assessment_id=aid)
    return assessment


def _insert_returning_ids(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows in order; their new ids, in the same order."""
    table = table_of(model)
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        result = session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows[start : start + BATCH]
        )
        ids.extend(result.scalars().all())
    return ids


def _insert_batches(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(table_of(model)), rows[start : start + BATCH])
