"""Survey links: issuing invitations, resolving a token, drafts, submission, tracking.

A link is ``{base_url}/survey?token=TOKEN``. A token is 32 random bytes from :mod:`secrets`
(256 bits, URL-safe base64); the database keeps only its SHA-256, so neither the database nor
one link tells anything about another link. A token is shown exactly once, when it is issued.

Personal links are used once: submitting claims the invitation (``submitted_at``) with a
conditional update, and ``response.invitation_id`` is UNIQUE, so a second submission from the
same link fails in the database even when two tabs submit at the same moment.

An *open* link (one per group and channel, for an event or a notice board) may be answered by
anyone any number of times; its responses are anonymous, carry ``via_open_link`` and the
source ``web:open-link``, and are counted apart from the personal links.

Unused links cannot be exported again, because only their hashes exist. For reminders there
are two honest ways: :func:`unused_invitations` lists the unused invitations by id, group,
channel and language (join them with the ``invitation_id`` column of the CSV the links were
sent from), and :func:`reissue_unused` gives unused invitations fresh tokens (the old links
stop working; saved drafts are kept).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pandas as pd
from pydantic import BaseModel, Field
from sqlalchemy import bindparam, case, delete, func, insert, null, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.models import (
    Assessment,
    AssessmentStatus,
    Channel,
    Dimension,
    Invitation,
    Response,
    StakeholderGroup,
    Topic,
    utcnow,
)
from survey.store import (
    NotFound,
    RatingIn,
    ResponseIn,
    StoreError,
    get_assessment,
    load_index,
    record_response,
    withdraw_response,
)

TOKEN_BYTES = 32
LANGUAGES = ("en", "zh")
MAX_LINKS_PER_CALL = 100_000
MAX_TEXT = 4000
OPEN_LINK_SOURCE = "web:open-link"
# What token_urlsafe produces; anything else is rejected before the database is asked.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,128}")


class LinkUnavailable(StoreError):
    """The link cannot take answers now. Subclasses say why; respondents see none of it."""


class UnknownLink(LinkUnavailable):
    pass


class SurveyClosed(LinkUnavailable):
    pass


class AlreadySubmitted(LinkUnavailable):
    pass


class IncompleteAnswers(StoreError):
    """Required answers are missing; `topics` lists their keys in survey order."""

    def __init__(self, topics: list[str]):
        self.topics = topics
        super().__init__(f"{len(topics)} topic(s) not answered: {', '.join(topics)}")


# --- tokens and links --------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def is_well_formed(token: str | None) -> bool:
    return bool(token) and _TOKEN_SHAPE.fullmatch(token) is not None


def survey_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/survey?token={token}"


def token_from_link(link_or_token: str) -> str:
    """The token of a survey link (or the argument itself when it is a bare token)."""
    text = link_or_token.strip()
    if "token=" in text:
        values = parse_qs(urlsplit(text).query).get("token") or parse_qs(text.split("?", 1)[-1]).get("token")
        text = values[0] if values else ""
    if not is_well_formed(text):
        raise UnknownLink("that is not a survey link or token")
    return text


# --- issuing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedLink:
    """A freshly issued link: the only time its token exists outside the respondent's hands."""

    invitation_id: int
    token: str
    group: str
    channel: str | None
    language: str
    is_open: bool

    def link(self, base_url: str) -> str:
        return survey_link(base_url, self.token)


def _check_target(
    session: Session, assessment_key: str, group: str, channel: str | None, language: str
) -> tuple[int, int, int | None]:
    index = load_index(session=session, assessment_key=assessment_key)
    if group not in index.groups:
        known = ", ".join(sorted(index.groups))
        raise StoreError(f"group: no group '{group}' in assessment '{assessment_key}' (known: {known})")
    channel_id = None
    if channel:
        channel_id = index.channels.get((group, channel))
        if channel_id is None:
            known = "; ".join(sorted(name for g, name in index.channels if g == group)) or "none"
            raise StoreError(f"channel: '{channel}' is not a channel of group '{group}' (known: {known})")
    if language not in LANGUAGES:
        raise StoreError(f"language: '{language}' is not one of {', '.join(LANGUAGES)}")
    return index.assessment.id, index.groups[group], channel_id


def issue_invitations(
    *,
    session: Session,
    assessment_key: str,
    group: str,
    count: int = 1,
    channel: str | None = None,
    language: str = "en",
) -> list[IssuedLink]:
    """Create `count` personal links for a group (and channel) in one language."""
    if not 1 <= count <= MAX_LINKS_PER_CALL:
        raise StoreError(f"count: expected 1 to {MAX_LINKS_PER_CALL} links, got {count}")
    assessment_id, group_id, channel_id = _check_target(session, assessment_key, group, channel, language)
    tokens = [new_token() for _ in range(count)]
    now = utcnow()
    ids = session.scalars(
        insert(Invitation).returning(Invitation.id, sort_by_parameter_order=True),
        [
            {
                "assessment_id": assessment_id,
                "group_id": group_id,
                "channel_id": channel_id,
                "language": language,
                "token_hash": hash_token(token),
                "is_open": False,
                "created_at": now,
            }
            for token in tokens
        ],
    ).all()
    return [
        IssuedLink(i, token, group, channel, language, False) for i, token in zip(ids, tokens, strict=True)
    ]


def issue_open_link(
    *,
    session: Session,
    assessment_key: str,
    group: str,
    channel: str | None = None,
    language: str = "en",
) -> tuple[IssuedLink, bool]:
    """The open (anonymous, reusable) link of a group and channel.

    There is one per group and channel; asking again gives it a new token, and the old open
    link stops working. Returns the link and whether an older one was replaced.
    """
    assessment_id, group_id, channel_id = _check_target(session, assessment_key, group, channel, language)
    token = new_token()
    existing = session.scalar(
        select(Invitation).where(
            Invitation.assessment_id == assessment_id,
            Invitation.group_id == group_id,
            Invitation.channel_id.is_(None) if channel_id is None else Invitation.channel_id == channel_id,
            Invitation.is_open.is_(True),
        )
    )
    if existing is not None:
        existing.token_hash = hash_token(token)
        existing.language = language
        session.flush()
        return IssuedLink(existing.id, token, group, channel, language, True), True
    invitation = Invitation(
        assessment_id=assessment_id,
        group_id=group_id,
        channel_id=channel_id,
        language=language,
        token_hash=hash_token(token),
        is_open=True,
    )
    session.add(invitation)
    session.flush()
    return IssuedLink(invitation.id, token, group, channel, language, True), False


# --- what a link leads to ------------------------------------------------------------------------


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
    draft: dict | None

    @property
    def accepts_answers(self) -> bool:
        return self.assessment_status == AssessmentStatus.open.value and not self.submitted


def find_link(*, session: Session, token: str | None) -> LinkTarget:
    """Resolve a token; raises :class:`UnknownLink` for a malformed or unknown one."""
    if not is_well_formed(token):
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


def answers_from_draft(draft: dict | None) -> Answers:
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
        table = Invitation.__table__
        claimed = session.execute(
            update(table)
            .where(table.c.id == target.invitation_id, table.c.submitted_at.is_(None))
            .values(submitted_at=utcnow(), draft=null())
        ).rowcount
        if claimed == 0:
            raise AlreadySubmitted("already submitted")
    index = load_index(session=session, assessment_key=target.assessment_key)
    try:
        with session.begin_nested():
            return record_response(session=session, index=index, response_in=response_in)
    except IntegrityError:
        # The unique invitation id is the last word when the claim above was bypassed.
        raise AlreadySubmitted("already submitted") from None


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
    if row is None or row.assessment_id != aid:
        raise NotFound(f"no response with id {response_id} in assessment '{assessment_key}'")
    withdraw_response(session=session, response_id=response_id)
    if row.invitation_id is not None:
        session.execute(delete(Invitation).where(Invitation.id == row.invitation_id))
    return response_id


# --- tracking ----------------------------------------------------------------------------------

TRACKING_COLUMNS = [
    "group",
    "channel",
    "issued",
    "opened",
    "drafts",
    "submitted",
    "response_rate",
    "open_link",
    "open_link_responses",
]


def tracking(*, session: Session, assessment_key: str) -> pd.DataFrame:
    """Per group and channel: personal links issued, opened, with a saved draft, submitted,
    the response rate (submitted / issued), and whether an open link exists with its responses.
    """
    assessment = get_assessment(session=session, key=assessment_key)
    aid = assessment.id
    personal = Invitation.is_open.is_(False)
    submitted = Response.id.is_not(None)
    links = session.execute(
        select(
            Invitation.group_id,
            Invitation.channel_id,
            func.sum(case((personal, 1), else_=0)),
            func.sum(case((personal & Invitation.opened_at.is_not(None), 1), else_=0)),
            func.sum(case((personal & Invitation.draft_saved_at.is_not(None) & ~submitted, 1), else_=0)),
            func.count(Response.id),
            func.sum(case((Invitation.is_open.is_(True), 1), else_=0)),
        )
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(Invitation.assessment_id == aid)
        .group_by(Invitation.group_id, Invitation.channel_id)
    ).all()
    open_responses = session.execute(
        select(Response.group_id, Response.channel_id, func.count())
        .where(Response.assessment_id == aid, Response.via_open_link.is_(True))
        .group_by(Response.group_id, Response.channel_id)
    ).all()
    counts: dict[tuple[int, int | None], list[int]] = {}
    for gid, cid, issued, opened, drafts, done, has_open in links:
        counts[(gid, cid)] = [int(issued), int(opened), int(drafts), int(done), int(has_open), 0]
    for gid, cid, n in open_responses:
        counts.setdefault((gid, cid), [0, 0, 0, 0, 0, 0])[5] = int(n)
    groups = {
        g.id: g
        for g in session.scalars(select(StakeholderGroup).where(StakeholderGroup.assessment_id == aid))
    }
    channels = {c.id: c for c in session.scalars(select(Channel).where(Channel.assessment_id == aid))}

    def order(key: tuple[int, int | None]) -> tuple[int, int]:
        gid, cid = key
        return groups[gid].position, channels[cid].position if cid in channels else -1

    rows = []
    for key in sorted(counts, key=order):
        gid, cid = key
        issued, opened, drafts, done, has_open, open_n = counts[key]
        rows.append(
            {
                "group": groups[gid].key,
                "channel": channels[cid].name_en if cid in channels else None,
                "issued": issued,
                "opened": opened,
                "drafts": drafts,
                "submitted": done,
                "response_rate": done / issued if issued else float("nan"),
                "open_link": bool(has_open),
                "open_link_responses": open_n,
            }
        )
    return pd.DataFrame(rows, columns=TRACKING_COLUMNS)


def links_version(*, session: Session, assessment_key: str) -> str:
    """Changes whenever links are issued or deleted: with the data version (which submissions
    and withdrawals change), a cache key for the links issued per group and channel."""
    aid = get_assessment(session=session, key=assessment_key).id
    count, highest = session.execute(
        select(func.count(Invitation.id), func.max(Invitation.id)).where(Invitation.assessment_id == aid)
    ).one()
    return f"{count}:{highest or 0}"


# --- reminders -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnusedInvitation:
    invitation_id: int
    group: str
    channel: str | None
    language: str
    created_at: datetime
    opened: bool
    draft_saved: bool


def _unused_query(aid: int, group: str | None, channel: str | None):
    query = (
        select(Invitation, StakeholderGroup.key, Channel.name_en)
        .join(StakeholderGroup, StakeholderGroup.id == Invitation.group_id)
        .outerjoin(Channel, Channel.id == Invitation.channel_id)
        .where(
            Invitation.assessment_id == aid,
            Invitation.is_open.is_(False),
            Invitation.submitted_at.is_(None),
        )
        .order_by(Invitation.id)
    )
    if group:
        query = query.where(StakeholderGroup.key == group)
    if channel:
        query = query.where(Channel.name_en == channel)
    return query


def unused_invitations(
    *, session: Session, assessment_key: str, group: str | None = None, channel: str | None = None
) -> list[UnusedInvitation]:
    """Personal invitations not submitted yet (for reminders), by id; no links, which cannot
    be rebuilt from their hashes."""
    aid = get_assessment(session=session, key=assessment_key).id
    return [
        UnusedInvitation(
            inv.id,
            group_key,
            channel_name,
            inv.language,
            inv.created_at,
            inv.opened_at is not None,
            inv.draft_saved_at is not None,
        )
        for inv, group_key, channel_name in session.execute(_unused_query(aid, group, channel)).all()
    ]


def reissue_unused(
    *, session: Session, assessment_key: str, group: str | None = None, channel: str | None = None
) -> list[IssuedLink]:
    """Give every unused personal invitation a fresh token and return the new links.

    The old links of these invitations stop working; a saved draft stays with the invitation
    and is found again through the new link.
    """
    aid = get_assessment(session=session, key=assessment_key).id
    issued = []
    updates = []
    for inv, group_key, channel_name in session.execute(_unused_query(aid, group, channel)).all():
        token = new_token()
        updates.append({"invitation_id": inv.id, "new_hash": hash_token(token)})
        issued.append(IssuedLink(inv.id, token, group_key, channel_name, inv.language, False))
    if updates:
        session.execute(
            update(Invitation.__table__)
            .where(Invitation.__table__.c.id == bindparam("invitation_id"))
            .values(token_hash=bindparam("new_hash")),
            updates,
        )
    return issued


# --- files for mail merges ----------------------------------------------------------------------

LINK_COLUMNS = ["link", "invitation_id", "group", "channel", "language", "kind"]
UNUSED_COLUMNS = ["invitation_id", "group", "channel", "language", "issued_at", "opened", "draft_saved"]


def link_rows(links: list[IssuedLink], base_url: str) -> list[dict]:
    """One row per link, ready for a mail merge (join reminders on `invitation_id`)."""
    return [
        {
            "link": link.link(base_url),
            "invitation_id": link.invitation_id,
            "group": link.group,
            "channel": link.channel or "",
            "language": link.language,
            "kind": "open" if link.is_open else "personal",
        }
        for link in links
    ]


def unused_rows(unused: list[UnusedInvitation]) -> list[dict]:
    return [
        {
            "invitation_id": u.invitation_id,
            "group": u.group,
            "channel": u.channel or "",
            "language": u.language,
            "issued_at": u.created_at.isoformat(timespec="seconds"),
            "opened": "yes" if u.opened else "no",
            "draft_saved": "yes" if u.draft_saved else "no",
        }
        for u in unused
    ]
