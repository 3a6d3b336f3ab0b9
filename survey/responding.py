"""Answering through a survey link: resolving the token, the form, drafts, submission and
withdrawal.

Personal links are used once: submitting claims the invitation (``submitted_at``) with a
conditional update, and ``response.invitation_id`` is UNIQUE, so a second submission from the
same link fails in the database even when two tabs submit at the same moment.

An open link's responses are anonymous, carry ``via_open_link`` and the source
``web:open-link``; its answers are never kept as a draft, as strangers share it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any, cast

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import CursorResult, delete, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.assessments import get_assessment, load_index
from survey.errors import AlreadySubmitted, IncompleteAnswers, NotFound, StoreError, SurveyClosed, UnknownLink
from survey.i18n import LANGUAGES
from survey.models import (
    AppSetting,
    Assessment,
    AssessmentStatus,
    Channel,
    Dimension,
    Invitation,
    Response,
    StakeholderGroup,
    Topic,
    table_of,
    utcnow,
)
from survey.responses import RatingIn, ResponseIn, record_response, withdraw_response
from survey.tokens import hash_token, is_well_formed

MAX_TEXT = 4000
OPEN_LINK_SOURCE = "web:open-link"
FORM_SECRET_SETTING = "survey_form_secret"
# C0 and C1 control characters but tab and newline, DEL, and lone surrogates (no valid UTF-8).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Respondent text without NUL and other control characters (PostgreSQL refuses NUL, and
    none of them means anything in a comment); line ends become newlines."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


@dataclass(frozen=True)
class LinkTarget:
    """What a valid token points at (never the token itself)."""

    invitation_id: int
    assessment_id: int
    assessment_key: str
    assessment_status: str
    group: str
    channel: str | None
    language: str
    is_open: bool
    opened: bool
    submitted: bool
    draft: dict[str, Any] | None

    @property
    def accepts_answers(self) -> bool:
        return self.assessment_status == AssessmentStatus.open.value and not self.submitted


def find_link(*, session: Session, token: str | None) -> LinkTarget:
    """Resolve a token; raises :class:`UnknownLink` for a malformed or unknown one."""
    if token is None or not is_well_formed(token):
        raise UnknownLink("unknown link")
    row = session.execute(
        select(Invitation, Assessment.key, Assessment.status, StakeholderGroup.key, Channel.name_en)
        .join(Assessment, Assessment.id == Invitation.assessment_id)
        .join(StakeholderGroup, StakeholderGroup.id == Invitation.group_id)
        .outerjoin(Channel, Channel.id == Invitation.channel_id)
        .where(Invitation.token_hash == hash_token(token))
    ).first()
    if row is None:
        raise UnknownLink("unknown link")
    invitation, assessment_key, status, group, channel = row
    return LinkTarget(
        invitation_id=invitation.id,
        assessment_id=invitation.assessment_id,
        assessment_key=assessment_key,
        assessment_status=status,
        group=group,
        channel=channel,
        language=invitation.language,
        is_open=invitation.is_open,
        opened=invitation.opened_at is not None,
        submitted=invitation.submitted_at is not None and not invitation.is_open,
        draft=invitation.draft if isinstance(invitation.draft, dict) else None,
    )


def mark_opened(*, session: Session, invitation_id: int) -> None:
    """Record the first visit (the time only; nothing about the visitor)."""
    session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.opened_at.is_(None))
        .values(opened_at=utcnow())
    )


# --- the form ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyTopic:
    key: str
    category: str
    name: dict[str, str]
    description: dict[str, str]


@dataclass(frozen=True)
class SurveyForm:
    """Everything the survey page shows for one group, in both languages."""

    assessment_key: str
    assessment_name: str
    year: int
    dimension: str
    question: dict[str, str]
    group_name: dict[str, str]
    scale_min: int
    scale_max: int
    labels: dict[str, list[str]]
    topics: tuple[SurveyTopic, ...]

    def values(self) -> list[int]:
        return list(range(self.scale_min, self.scale_max + 1))


def _both(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh or en}


def survey_form(*, session: Session, assessment_key: str, group: str) -> SurveyForm:
    assessment = get_assessment(session=session, key=assessment_key)
    group_row = session.scalar(
        select(StakeholderGroup).where(
            StakeholderGroup.assessment_id == assessment.id, StakeholderGroup.key == group
        )
    )
    if group_row is None:
        raise NotFound(f"no group '{group}' in assessment '{assessment_key}'")
    dimension = session.scalar(
        select(Dimension).where(
            Dimension.assessment_id == assessment.id, Dimension.key == group_row.dimension_key
        )
    )
    topics = session.scalars(
        select(Topic).where(Topic.assessment_id == assessment.id).order_by(Topic.position)
    ).all()
    values = range(assessment.scale_min, assessment.scale_max + 1)
    stored = (assessment.scale_labels or {}).get(group_row.dimension_key, {})
    labels = {}
    for language in LANGUAGES:
        given = list(stored.get(language) or stored.get("en") or [])
        labels[language] = given if len(given) == len(values) else [""] * len(values)
    return SurveyForm(
        assessment_key=assessment.key,
        assessment_name=assessment.name,
        year=assessment.year,
        dimension=group_row.dimension_key,
        question=_both(dimension.question_en, dimension.question_zh) if dimension else _both("", ""),
        group_name=_both(group_row.name_en, group_row.name_zh),
        scale_min=assessment.scale_min,
        scale_max=assessment.scale_max,
        labels=labels,
        topics=tuple(
            SurveyTopic(
                t.key,
                t.category,
                _both(t.name_en, t.name_zh),
                _both(t.description_en, t.description_zh),
            )
            for t in topics
        ),
    )


# --- answers, drafts, submission -----------------------------------------------------------------


class Answers(BaseModel):
    """A respondent's answers. A topic missing from `ratings` is unanswered; a value of None
    is "don't know"."""

    ratings: dict[str, int | None] = Field(default_factory=dict)
    comments: dict[str, str] = Field(default_factory=dict)
    suggestion: str = Field(default="", max_length=MAX_TEXT)

    @field_validator("comments")
    @classmethod
    def _clean_comments(cls, comments: dict[str, str]) -> dict[str, str]:
        return {topic: clean_text(text) for topic, text in comments.items()}

    @field_validator("suggestion")
    @classmethod
    def _clean_suggestion(cls, suggestion: str) -> str:
        return clean_text(suggestion)


def answers_from_draft(draft: dict[str, Any] | None) -> Answers:
    """A saved draft as answers; a draft that no longer fits the model is ignored, not fatal."""
    if not draft:
        return Answers()
    try:
        return Answers.model_validate(draft)
    except ValueError:
        return Answers()


def missing_topics(form: SurveyForm, answers: Answers) -> list[str]:
    return [t.key for t in form.topics if t.key not in answers.ratings]


def _usable(session: Session, token: str | None) -> LinkTarget:
    target = find_link(session=session, token=token)
    if target.submitted:
        raise AlreadySubmitted("already submitted")
    if target.assessment_status != AssessmentStatus.open.value:
        raise SurveyClosed("the survey is not open")
    return target


def save_draft(*, session: Session, token: str | None, answers: Answers) -> bool:
    """Keep unfinished answers with a personal link; returns False for an open link (whose
    answers are never kept before submission, as strangers share it)."""
    target = _usable(session, token)
    if target.is_open:
        return False
    session.execute(
        update(Invitation)
        .where(Invitation.id == target.invitation_id, Invitation.submitted_at.is_(None))
        .values(draft=answers.model_dump(mode="json"), draft_saved_at=utcnow())
    )
    return True


def submit(*, session: Session, token: str | None, answers: Answers) -> int:
    """Record the answers given through a link; returns the response id.

    Raises :class:`UnknownLink`, :class:`SurveyClosed`, :class:`AlreadySubmitted` or
    :class:`IncompleteAnswers`. Everything lands in the caller's transaction.
    """
    target = _usable(session, token)
    topics = session.scalars(
        select(Topic.key).where(Topic.assessment_id == target.assessment_id).order_by(Topic.position)
    ).all()
    missing = [t for t in topics if t not in answers.ratings]
    if missing:
        raise IncompleteAnswers(missing)
    response_in = ResponseIn(
        group=target.group,
        channel=target.channel,
        ratings=[RatingIn(topic=t, value=answers.ratings[t]) for t in topics],
        comments={
            topic: text.strip()[:MAX_TEXT]
            for topic, text in answers.comments.items()
            if topic in topics and text and text.strip()
        },
        suggestion=answers.suggestion.strip()[:MAX_TEXT] or None,
        source=OPEN_LINK_SOURCE if target.is_open else "web",
        invitation_id=None if target.is_open else target.invitation_id,
        via_open_link=target.is_open,
        language=target.language,
    )
    if not target.is_open:
        # Claim the link first: of two concurrent submissions only one updates the row.
        table = table_of(Invitation)
        claim = session.execute(
            update(table)
            .where(table.c.id == target.invitation_id, table.c.submitted_at.is_(None))
            .values(submitted_at=utcnow(), draft=null())
        )
        claimed = cast(CursorResult[Any], claim).rowcount  # an UPDATE's result; typed as any result
        if claimed == 0:
            raise AlreadySubmitted("already submitted")
    index = load_index(session=session, assessment_key=target.assessment_key)
    try:
        with session.begin_nested():
            return record_response(session=session, index=index, response_in=response_in)
    except IntegrityError:
        # The unique invitation id is the last word when the claim above was bypassed.
        raise AlreadySubmitted("already submitted") from None


def group_names(*, session: Session, assessment_key: str) -> dict[str, str]:
    """The assessment's stakeholder groups, key to English name, in catalog order."""
    assessment = get_assessment(session=session, key=assessment_key)
    rows = session.execute(
        select(StakeholderGroup.key, StakeholderGroup.name_en)
        .where(StakeholderGroup.assessment_id == assessment.id)
        .order_by(StakeholderGroup.id)
    ).all()
    return {key: name for key, name in rows}


def form_secret(*, session: Session) -> str:
    """The key the survey form's anti-forgery fields and the committee's preview links are
    signed with: made once, kept in the database so that every server process shares it."""
    stored = session.scalar(select(AppSetting.value).where(AppSetting.key == FORM_SECRET_SETTING))
    if stored:
        return stored
    insert_fn = postgresql.insert if session.connection().dialect.name == "postgresql" else sqlite.insert
    table = table_of(AppSetting)
    session.execute(
        insert_fn(table)
        .values(key=FORM_SECRET_SETTING, value=secrets.token_hex(32), updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return session.scalar(select(AppSetting.value).where(AppSetting.key == FORM_SECRET_SETTING)) or ""


# --- withdrawal ---------------------------------------------------------------------------------


def withdraw(
    *, session: Session, assessment_key: str, response_id: int | None = None, token: str | None = None
) -> int:
    """Delete a response of an assessment given its id or the personal link it came from;
    returns its id.

    The response counts nowhere afterwards: its ratings and comments go, the summary tables are
    corrected, and its invitation is deleted too, so the link leaves no trace in the tracking
    either (it then reads as an unknown link).
    """
    if (response_id is None) == (token is None):
        raise StoreError("give either a response id or a link")
    aid = get_assessment(session=session, key=assessment_key).id
    if token is not None:
        target = find_link(session=session, token=token)
        if target.assessment_id != aid:
            raise NotFound(f"that link does not belong to assessment '{assessment_key}'")
        if target.is_open:
            raise StoreError(
                "an open link is shared by many respondents; withdraw its responses by response id"
            )
        response_id = session.scalar(
            select(Response.id).where(Response.invitation_id == target.invitation_id)
        )
        if response_id is None:
            raise NotFound("no response has been submitted from that link")
    row = session.execute(
        select(Response.assessment_id, Response.invitation_id).where(Response.id == response_id)
    ).first()
    if row is None or row.assessment_id != aid or response_id is None:
        raise NotFound(f"no response with id {response_id} in assessment '{assessment_key}'")
    withdraw_response(session=session, response_id=response_id)
    if row.invitation_id is not None:
        session.execute(delete(Invitation).where(Invitation.id == row.invitation_id))
    return response_id
