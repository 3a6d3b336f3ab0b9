"""Issuing survey links: personal invitations, the open link of a group and channel, fresh tokens
for unused invitations, and the rows of the file links are sent from.

A personal link is answered once. An *open* link (one per group and channel, for an event or a
notice board) may be answered by anyone any number of times; its responses are anonymous and
counted apart from the personal links (:mod:`survey.responding`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from survey.assessments import get_assessment, load_index
from survey.errors import StoreError
from survey.i18n import LANGUAGES
from survey.models import Invitation, table_of, utcnow
from survey.tokens import hash_token, new_token, survey_link
from survey.tracking import unused_query

MAX_LINKS_PER_CALL = 100_000
LINK_COLUMNS = ["link", "invitation_id", "group", "channel", "language", "kind"]


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
    for inv, group_key, channel_name in session.execute(unused_query(aid, group, channel)).all():
        token = new_token()
        updates.append({"invitation_id": inv.id, "new_hash": hash_token(token)})
        issued.append(IssuedLink(inv.id, token, group_key, channel_name, inv.language, False))
    if updates:
        table = table_of(Invitation)
        session.execute(
            update(table)
            .where(table.c.id == bindparam("invitation_id"))
            .values(token_hash=bindparam("new_hash")),
            updates,
        )
    return issued


def link_rows(links: list[IssuedLink], base_url: str) -> list[dict[str, Any]]:
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
