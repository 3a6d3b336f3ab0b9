"""How a survey campaign goes: links issued, opened, with a draft, submitted, per group and
channel, and the personal invitations nobody has used yet (for reminders).

Unused links cannot be exported again, because only their hashes exist. For reminders there
are two honest ways: :func:`unused_invitations` lists the unused invitations by id, group,
channel and language (join them with the ``invitation_id`` column of the CSV the links were
sent from), and :func:`survey.issuing.reissue_unused` gives unused invitations fresh tokens
(the old links stop working; saved drafts are kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from survey.assessments import get_assessment
from survey.models import Channel, Invitation, Response, StakeholderGroup

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
UNUSED_COLUMNS = ["invitation_id", "group", "channel", "language", "issued_at", "opened", "draft_saved"]


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


def unused_query(assessment_id: int, group: str | None, channel: str | None) -> Select[Invitation, str, str]:
    """The personal invitations of an assessment not submitted yet, with their group key and
    channel name (None without a channel), oldest first; optionally of one group and channel."""
    query = (
        select(Invitation, StakeholderGroup.key, Channel.name_en)
        .join(StakeholderGroup, StakeholderGroup.id == Invitation.group_id)
        .outerjoin(Channel, Channel.id == Invitation.channel_id)
        .where(
            Invitation.assessment_id == assessment_id,
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
        for inv, group_key, channel_name in session.execute(unused_query(aid, group, channel)).all()
    ]


def unused_rows(unused: list[UnusedInvitation]) -> list[dict[str, Any]]:
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
