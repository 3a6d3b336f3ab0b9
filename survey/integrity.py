"""Is the database sound? What `materiality check` runs.

Checks, each reported with what it found:

- the schema revision against the newest migration of this toolkit;
- SQLite's own ``PRAGMA integrity_check`` and ``foreign_key_check`` (on a SQLite file);
- the audit trail's hash chain (:func:`survey.audit.verify_chain`);
- rows that point nowhere or into another assessment: ratings and comments without their
  response, invitations marked submitted without a response, responses whose group, channel or
  invitation belongs to another assessment, ratings whose topic or dimension does, contacts whose
  group or invitation does;
- per assessment, the summary tables against a recount from the raw ratings of the responses
  already folded in (:func:`aggregate_differences`).

Everything is read in one read transaction: the check writes nothing, not even pending
aggregates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import and_, exists, func, inspect, not_, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, aliased

from core.aggregates import MOMENTS, SUMMARY_TABLES, Aggregates, canonical_moments, summarise_ratings
from survey import audit
from survey.db import head_revision, schema_revision, transaction
from survey.iro_backup import check_dma
from survey.models import (
    Assessment,
    Channel,
    Comment,
    Contact,
    Dimension,
    Invitation,
    Rating,
    Response,
    StakeholderGroup,
    Topic,
)
from survey.summaries import ratings_of, stored_aggregates

SHOWN = 5  # examples named per finding


@dataclass(frozen=True)
class Finding:
    """One problem: which check found it, where, and what it is."""

    check: str
    message: str
    assessment: str | None = None

    def __str__(self) -> str:
        where = f"assessment '{self.assessment}': " if self.assessment else ""
        return f"{self.check}: {where}{self.message}"


@dataclass
class IntegrityReport:
    """What was checked (one line each) and the problems found."""

    checked: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def lines(self) -> list[str]:
        out = [f"ok   {line}" for line in self.checked]
        out += [f"FAIL {finding}" for finding in self.findings]
        verdict = "no problems found" if self.ok else f"{len(self.findings)} problem(s) found"
        return [*out, verdict]


def check_database(engine: Engine) -> IntegrityReport:
    """Run every check on the database behind `engine`."""
    report = IntegrityReport()
    _check_schema(engine, report)
    if engine.dialect.name == "sqlite":
        _check_sqlite_file(engine, report)
    if "assessment" not in inspect(engine).get_table_names():
        return report
    with transaction(engine, write=False) as session:
        if "audit_log" in inspect(engine).get_table_names():
            _check_audit_trail(session, report)
        _check_references(session, report)
        if "iro_rating" in inspect(session.connection()).get_table_names():  # schema 0005 and later
            check_dma(session, report)
        for assessment in session.scalars(select(Assessment).order_by(Assessment.id)):
            _check_aggregates(session, assessment, report)
    return report


def _check_audit_trail(session: Session, report: IntegrityReport) -> None:
    count, problems = audit.verify_chain(session=session)
    if problems:
        report.findings += [Finding("audit trail", str(problem)) for problem in problems]
    else:
        report.checked.append(f"audit trail: {count} entries, each following the one before it")


def _check_schema(engine: Engine, report: IntegrityReport) -> None:
    current, head = schema_revision(engine), head_revision()
    if current == head:
        report.checked.append(f"schema at revision {current}, the newest")
    elif current is None:
        report.findings.append(Finding("schema", f"no schema revision recorded (expected {head})"))
    else:
        report.findings.append(
            Finding(
                "schema",
                f"schema at revision {current}, this toolkit expects {head}: "
                "open the database with any other command to upgrade it",
            )
        )


def _check_sqlite_file(engine: Engine, report: IntegrityReport) -> None:
    with engine.connect() as connection:
        verdict = [row[0] for row in connection.execute(text("PRAGMA integrity_check")).all()]
        broken_keys = connection.execute(text("PRAGMA foreign_key_check")).all()
    if verdict == ["ok"]:
        report.checked.append("SQLite integrity_check: ok")
    else:
        report.findings.append(Finding("sqlite", "integrity_check: " + "; ".join(verdict[:SHOWN])))
    if not broken_keys:
        report.checked.append("SQLite foreign_key_check: every reference resolves")
    else:
        tables = sorted({row[0] for row in broken_keys})
        report.findings.append(
            Finding(
                "sqlite",
                f"foreign_key_check: {len(broken_keys)} row(s) refer to missing rows "
                f"(in {', '.join(tables)})",
            )
        )


def _check_references(session: Session, report: IntegrityReport) -> None:
    """Rows that point nowhere, or into another assessment."""
    group = aliased(StakeholderGroup)
    channel = aliased(Channel)
    invitation = aliased(Invitation)
    topic = aliased(Topic)
    dimension = aliased(Dimension)
    checks = [
        (
            "ratings without their response",
            select(Rating.response_id).where(not_(exists().where(Response.id == Rating.response_id))),
        ),
        (
            "comments without their response",
            select(Comment.id).where(not_(exists().where(Response.id == Comment.response_id))),
        ),
        (
            "personal invitations marked submitted without a response",
            select(Invitation.id).where(
                Invitation.submitted_at.is_not(None),
                Invitation.is_open.is_(False),
                not_(exists().where(Response.invitation_id == Invitation.id)),
            ),
        ),
        (
            "responses whose group is missing or belongs to another assessment",
            select(Response.id)
            .outerjoin(group, group.id == Response.group_id)
            .where((group.id.is_(None)) | (group.assessment_id != Response.assessment_id)),
        ),
        (
            "responses whose channel belongs to another group",
            select(Response.id)
            .join(channel, channel.id == Response.channel_id)
            .where(channel.group_id != Response.group_id),
        ),
        (
            "responses whose invitation belongs to another assessment",
            select(Response.id)
            .join(invitation, invitation.id == Response.invitation_id)
            .where(invitation.assessment_id != Response.assessment_id),
        ),
        (
            "ratings whose topic or dimension belongs to another assessment",
            select(Rating.response_id)
            .join(Response, Response.id == Rating.response_id)
            .outerjoin(topic, topic.id == Rating.topic_id)
            .outerjoin(dimension, dimension.id == Rating.dimension_id)
            .where(
                topic.id.is_(None)
                | dimension.id.is_(None)
                | (topic.assessment_id != Response.assessment_id)
                | (dimension.assessment_id != Response.assessment_id)
            ),
        ),
        (
            "comments whose topic belongs to another assessment",
            select(Comment.id)
            .join(Response, Response.id == Comment.response_id)
            .join(topic, topic.id == Comment.topic_id)
            .where(topic.assessment_id != Response.assessment_id),
        ),
    ]
    if "contact" in inspect(session.connection()).get_table_names():  # not in a schema older than 0003
        checks.append(
            (
                "contacts whose group or invitation belongs to another assessment",
                select(Contact.id)
                .join(group, group.id == Contact.group_id)
                .outerjoin(invitation, invitation.id == Contact.invitation_id)
                .where(
                    (group.assessment_id != Contact.assessment_id)
                    | (invitation.id.is_not(None) & (invitation.assessment_id != Contact.assessment_id))
                ),
            )
        )
    for label, query in checks:
        count = session.scalar(select(func.count()).select_from(query.subquery()))
        if count:
            ids = session.scalars(query.limit(SHOWN)).all()
            shown = ", ".join(str(i) for i in ids) + (", ..." if count > SHOWN else "")
            report.findings.append(Finding("references", f"{count} {label} (ids {shown})"))
        else:
            report.checked.append(f"no {label}")


# --- aggregates against a recount ----------------------------------------------------------------


def aggregate_differences(stored: Aggregates, recount: Aggregates, *, shown: int = SHOWN) -> list[str]:
    """How the stored summary statistics differ from a recount; empty when they agree.

    Both sides may be keyed by ids or by catalog keys (the same on both sides). Counts must be
    equal; sums equal to a relative 1e-9. Rows absent on one side count as zero there.
    """
    problems = []
    for layout in SUMMARY_TABLES:
        name, keys, values = layout.frame, list(layout.keys), list(layout.values)
        left, right = stored.frame(layout), recount.frame(layout)
        if layout is MOMENTS:
            left, right = canonical_moments(left), canonical_moments(right)
        left = left[keys + values].astype({k: str for k in keys})
        right = right[keys + values].astype({k: str for k in keys})
        merged = left.merge(right, on=keys, how="outer", suffixes=("_stored", "_recount"))
        wrong = np.zeros(len(merged), dtype=bool)
        for value in values:
            a = pd.to_numeric(merged[f"{value}_stored"]).fillna(0).to_numpy(dtype=float)
            b = pd.to_numeric(merged[f"{value}_recount"]).fillna(0).to_numpy(dtype=float)
            wrong |= ~np.isclose(a, b, rtol=1e-9, atol=1e-9)
        if wrong.any():
            rows = merged.loc[wrong]
            examples = "; ".join(
                ", ".join(f"{k}={row[k]}" for k in keys)
                + " -> "
                + ", ".join(
                    f"{v} {row[f'{v}_stored']} stored, {row[f'{v}_recount']} recounted" for v in values
                )
                for _, row in rows.head(shown).iterrows()
            )
            problems.append(f"{name}: {int(wrong.sum())} row(s) differ ({examples})")
    return problems


def recounted_aggregates(*, session: Session, assessment_id: int) -> Aggregates:
    """The summary statistics recomputed from the raw ratings of the responses already folded
    into the summary tables (pending ones are not there yet), keyed by ids."""
    folded = and_(Response.assessment_id == assessment_id, Response.aggregated.is_(True))
    return summarise_ratings(ratings_of(session, folded))


def _check_aggregates(session: Session, assessment: Assessment, report: IntegrityReport) -> None:
    aid = assessment.id
    assert aid is not None
    differences = aggregate_differences(
        stored_aggregates(session=session, assessment_id=aid),
        recounted_aggregates(session=session, assessment_id=aid),
    )
    folded, pending = session.execute(
        select(
            func.count().filter(Response.aggregated.is_(True)),
            func.count().filter(Response.aggregated.is_(False)),
        ).where(Response.assessment_id == aid)
    ).one()
    if differences:
        for problem in differences:
            report.findings.append(Finding("aggregates", problem, assessment.key))
    else:
        note = f", {pending} new response(s) not folded in yet" if pending else ""
        report.checked.append(
            f"assessment '{assessment.key}': summary tables equal a recount of {folded} response(s){note}"
        )
