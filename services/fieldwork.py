"""The fieldwork of an assessment: opening and closing the survey, survey links, their
tracking, reminders, withdrawal of a response.

Fresh links exist only once: their tokens are stored as hashes. Every service that issues
links returns them as rows for a mail merge and, given `deliver`, hands those rows over before
its transaction commits, so links whose file could not be written are never issued.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from survey import assessments, audit, i18n, issuing, reads, responding, tokens, tracking
from survey.db import transaction
from survey.settings import get_settings

LINK_COLUMNS = issuing.LINK_COLUMNS
UNUSED_COLUMNS = tracking.UNUSED_COLUMNS
LANGUAGES = i18n.LANGUAGES  # language key -> its name in that language
MAX_LINKS_PER_CALL = issuing.MAX_LINKS_PER_CALL

Rows = list[dict[str, object]]
Deliver = Callable[[Rows], None]


@dataclass(frozen=True)
class NewLinks:
    """Links issued just now, as rows of :data:`LINK_COLUMNS`; `replaced`: an open link took the
    place of the group's older one, which no longer works."""

    rows: Rows
    replaced: bool = False

    def __len__(self) -> int:
        return len(self.rows)


def _handed_over(links: list[issuing.IssuedLink], base_url: str | None, deliver: Deliver | None) -> Rows:
    rows = issuing.link_rows(links, base_url or get_settings().base_url)
    if deliver is not None:
        deliver(rows)
    return rows


def _set_status(engine: Engine, assessment_key: str, status: str, actor: str | None) -> str:
    with transaction(engine) as session:
        before = assessments.get_assessment(session=session, key=assessment_key).status
        after = assessments.set_status(session=session, key=assessment_key, status=status).status
        audit.record(
            session=session,
            actor=actor,
            action="assessment.status",
            object=f"assessment {assessment_key}",
            assessment=assessment_key,
            before={"status": before},
            after={"status": after},
        )
        return after


def open_survey(*, engine: Engine, assessment_key: str, actor: str | None = None) -> str:
    """Start the fieldwork: the assessment's links accept answers. Returns the new status."""
    return _set_status(engine, assessment_key, "open", actor)


def close_survey(*, engine: Engine, assessment_key: str, actor: str | None = None) -> str:
    """End the fieldwork: the assessment's links no longer accept answers. Returns the new status."""
    return _set_status(engine, assessment_key, "closed", actor)


def _record_links(
    session: Session,
    actor: str | None,
    action: str,
    assessment_key: str,
    links: list[issuing.IssuedLink],
    **what: object,
) -> None:
    """Links issued, by count (never the links themselves: they exist only once)."""
    audit.record(
        session=session,
        actor=actor,
        action=action,
        object=f"links of assessment {assessment_key}",
        assessment=assessment_key,
        after={"count": len(links), **{k: v for k, v in what.items() if v is not None}},
    )


def issue_links(
    *,
    engine: Engine,
    assessment_key: str,
    group: str,
    count: int = 1,
    channel: str | None = None,
    language: str = "en",
    base_url: str | None = None,
    deliver: Deliver | None = None,
    actor: str | None = None,
) -> NewLinks:
    """`count` personal links (1 to :data:`MAX_LINKS_PER_CALL`) for a group, and channel, in one
    of :data:`LANGUAGES`; `base_url` defaults to the configured public address of the app."""
    with transaction(engine) as session:
        links = issuing.issue_invitations(
            session=session,
            assessment_key=assessment_key,
            group=group,
            count=count,
            channel=channel,
            language=language,
        )
        _record_links(
            session,
            actor,
            "links.issue",
            assessment_key,
            links,
            group=group,
            channel=channel,
            language=language,
        )
        return NewLinks(_handed_over(links, base_url, deliver))


def issue_open_link(
    *,
    engine: Engine,
    assessment_key: str,
    group: str,
    channel: str | None = None,
    language: str = "en",
    base_url: str | None = None,
    deliver: Deliver | None = None,
    actor: str | None = None,
) -> NewLinks:
    """The open (anonymous, shared) link of a group and channel; an older one stops working."""
    with transaction(engine) as session:
        link, replaced = issuing.issue_open_link(
            session=session, assessment_key=assessment_key, group=group, channel=channel, language=language
        )
        _record_links(
            session,
            actor,
            "links.open",
            assessment_key,
            [link],
            group=group,
            channel=channel,
            replaced=replaced,
        )
        return NewLinks(_handed_over([link], base_url, deliver), replaced)


def reissue_unused(
    *,
    engine: Engine,
    assessment_key: str,
    group: str | None = None,
    channel: str | None = None,
    base_url: str | None = None,
    deliver: Deliver | None = None,
    actor: str | None = None,
) -> NewLinks:
    """Fresh links for the personal invitations not submitted yet; their old links stop working."""
    with transaction(engine) as session:
        links = issuing.reissue_unused(
            session=session, assessment_key=assessment_key, group=group, channel=channel
        )
        _record_links(session, actor, "links.reissue", assessment_key, links, group=group, channel=channel)
        return NewLinks(_handed_over(links, base_url, deliver))


def unused_invitations(
    *, engine: Engine, assessment_key: str, group: str | None = None, channel: str | None = None
) -> Rows:
    """The personal invitations not submitted yet, as rows of :data:`UNUSED_COLUMNS` (by
    invitation id: links cannot be rebuilt from their hashes)."""
    with transaction(engine, write=False) as session:
        pending = tracking.unused_invitations(
            session=session, assessment_key=assessment_key, group=group, channel=channel
        )
    return tracking.unused_rows(pending)


def link_tracking(*, engine: Engine, assessment_key: str) -> pd.DataFrame:
    """Per group and channel: links issued, opened, drafts, submitted, the response rate and
    the open link with its responses (see :func:`survey.tracking.tracking`)."""
    with transaction(engine, write=False) as session:
        return tracking.tracking(session=session, assessment_key=assessment_key)


@dataclass(frozen=True)
class Campaign:
    """What the campaign page shows, read in one transaction."""

    status: str
    tracking: pd.DataFrame
    unused: Rows  # rows of UNUSED_COLUMNS
    latest_responses: pd.DataFrame  # id, group, channel, source, submitted_at; newest first


def campaign(*, engine: Engine, assessment_key: str, latest: int = 50) -> Campaign:
    with transaction(engine, write=False) as session:
        return Campaign(
            status=assessments.get_assessment(session=session, key=assessment_key).status,
            tracking=tracking.tracking(session=session, assessment_key=assessment_key),
            unused=tracking.unused_rows(
                tracking.unused_invitations(session=session, assessment_key=assessment_key)
            ),
            latest_responses=reads.recent_responses(
                session=session, assessment_key=assessment_key, limit=latest
            ),
        )


def withdraw(
    *,
    engine: Engine,
    assessment_key: str,
    response_id: int | None = None,
    link: str | None = None,
    actor: str | None = None,
) -> int:
    """Delete a response, given its id or the personal link (or token) it came from, for good:
    it then counts nowhere. Returns its id."""
    token = tokens.token_from_link(link) if link is not None else None
    with transaction(engine) as session:
        withdrawn = responding.withdraw(
            session=session, assessment_key=assessment_key, response_id=response_id, token=token
        )
        audit.record(
            session=session,
            actor=actor,
            action="response.withdraw",
            object=f"response {withdrawn}",
            assessment=assessment_key,
            before={"response": withdrawn, "given_as": "link" if token else "id"},
        )
        return withdrawn
