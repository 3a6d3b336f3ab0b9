"""The contact list of an assessment: who is mailed a survey link, kept apart from the answers.

A contact file is a CSV or XLSX with the columns ``email`` and ``group`` (a group key or name of
the assessment) and optionally ``channel``, ``language`` (en or zh; default en) and ``name`` (used
only in the salutation). A file is added all or nothing: every bad row is named with its row and
column. Addresses are checked with `email-validator` (syntax only: nothing is looked up) and
compared ignoring case. The same address twice in one file is refused; an address already on the
list is left as it is when the file says the same about it (counted as already listed) and
refused when it gives another group, channel or language, because a link for the first one may
have been sent already.

What can be linked to what: a contact row holds its invitation's id once a link has been issued
for it; the response submitted through that link holds the same invitation id. No code path
joins contacts to responses, and the app shows no contact next to an answer; but while the
contact list exists, whoever can read the database can follow contact -> invitation -> response.
:func:`purge` deletes the list of an assessment; after it nothing leads from a response to a
person (see :func:`survey.db.erase_free_pages` for the file itself).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.orm import Session

from survey.assessments import get_assessment
from survey.errors import StoreError
from survey.i18n import LANGUAGES
from survey.importers.problems import ImportFailed, Problem, Problems, column_letter, shown
from survey.importers.reading import read_grid
from survey.issuing import issue_invitations
from survey.models import (
    EMAIL_LENGTH,
    NAME_LENGTH,
    Channel,
    Contact,
    Invitation,
    StakeholderGroup,
    utcnow,
)
from survey.tokens import hash_token, new_token, seal

COLUMNS = ("email", "group", "channel", "language", "name")
REQUIRED = ("email", "group")
# other spellings of the column names (compared ignoring case, spaces, '-' and '_')
ALIASES = {"emailaddress": "email", "mail": "email", "stakeholdergroup": "group", "lang": "language"}
LANGUAGE_NAMES = {"english": "en", "chinese": "zh", "中文": "zh", "简体中文": "zh", "汉语": "zh"}
CLAIM_EXPIRES = timedelta(minutes=15)  # a sender that stopped mid-way gives its contacts back


def _column_key(header: str) -> str:
    key = re.sub(r"[\s_\-]+", "", header.strip().casefold())
    return ALIASES.get(key, key)


def _one_line(text: str) -> str:
    """Whitespace and control characters (a line break in a spreadsheet cell) as single spaces."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", text).split())


@dataclass(frozen=True)
class ContactRow:
    row: int
    email: str
    group: str  # as written in the file
    channel: str
    language: str
    name: str


@dataclass
class ContactFile:
    """The rows of a contact file, read and checked as far as possible without the assessment."""

    filename: str
    rows: list[ContactRow]
    ignored_columns: list[str]
    columns: dict[str, str]  # column -> its header and letter, for messages
    problems: Problems = field(repr=False)


def read_contact_file(source: str | Path | bytes, *, filename: str | None = None) -> ContactFile:
    """Read a contact file (path, or bytes with their `filename`); :class:`ImportFailed` when it
    cannot be read or lacks a required column. Addresses are checked and normalised here."""
    if isinstance(source, bytes):
        data, name = source, filename or "contacts"
    else:
        path = Path(source)
        name = filename or path.name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ImportFailed(
                name, [Problem(name, f"cannot read the file: {exc.strerror or exc}")]
            ) from None
    problems = Problems(name)
    grid = read_grid(data, filename=name, encoding=None, problems=problems)
    if grid is None:
        raise ImportFailed.of(problems)
    headers = grid.row(0)
    positions: dict[str, int] = {}
    ignored = []
    for position, header in enumerate(headers):
        key = _column_key(header)
        if key in COLUMNS and key not in positions:
            positions[key] = position
        elif header:
            ignored.append(header)
    missing = [c for c in REQUIRED if c not in positions]
    if missing:
        problems.add(
            f"missing column {', '.join(repr(c) for c in missing)} (the first row names the columns: "
            f"{', '.join(COLUMNS)}; found {', '.join(repr(h) for h in headers if h) or 'none'})",
            row=1,
        )
        raise ImportFailed.of(problems)

    columns = {c: f"{shown(headers[p])} ({column_letter(p)})" for c, p in positions.items()}

    def where(column: str) -> str:
        return columns[column]

    rows = []
    first_row: dict[str, int] = {}
    for row_number, cells in grid.cells.iloc[1:].iterrows():
        values = {c: str(cells.iloc[p]).strip() for c, p in positions.items()}
        if not any(values.values()):
            continue
        row = int(row_number)
        email = values["email"]
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            problems.add(
                f"{shown(values['email'])} is not an e-mail address: {exc}"
                if email
                else "the address is empty",
                row=row,
                column=where("email"),
            )
            continue
        if len(email) > EMAIL_LENGTH:
            problems.add(
                f"the address is longer than {EMAIL_LENGTH} characters", row=row, column=where("email")
            )
            continue
        earlier = first_row.setdefault(email.casefold(), row)
        if earlier != row:
            problems.add(
                f"{email} is listed twice (rows {earlier} and {row})", row=row, column=where("email")
            )
        if not values["group"]:
            problems.add("the group is empty", row=row, column=where("group"))
        language = values.get("language", "").casefold()
        language = LANGUAGE_NAMES.get(language, language.split("-")[0].split("_")[0]) if language else "en"
        if language not in LANGUAGES:
            problems.add(
                f"language {shown(values['language'])} is not one of {', '.join(LANGUAGES)}",
                row=row,
                column=where("language"),
            )
        name_text = _one_line(values.get("name", ""))
        if len(name_text) > NAME_LENGTH:
            problems.add(f"the name is longer than {NAME_LENGTH} characters", row=row, column=where("name"))
        rows.append(ContactRow(row, email, values["group"], values.get("channel", ""), language, name_text))
    if not rows and not problems:
        problems.add("the file lists no contacts below its header row")
    return ContactFile(name, rows, ignored, columns, problems)


# --- the list in the database ---------------------------------------------------------------------


@dataclass(frozen=True)
class ContactImport:
    """What adding a contact file did (or, in a dry run, would do)."""

    filename: str
    assessment: str
    dry_run: bool
    added: int
    already_listed: int
    by_group: dict[str, int]  # new contacts per group key
    ignored_columns: list[str]
    preview: list[dict[str, str]]  # the file's first rows as read (group keys resolved)

    def lines(self) -> list[str]:
        verb = "would add" if self.dry_run else "added"
        groups = ", ".join(f"{g}: {n}" for g, n in self.by_group.items()) or "none"
        lines = [
            f"{self.filename}: {verb} {self.added} contacts to assessment '{self.assessment}' ({groups}); "
            f"{self.already_listed} already listed",
        ]
        if self.ignored_columns:
            lines.append(f"ignored columns (not stored): {', '.join(self.ignored_columns)}")
        if self.dry_run:
            lines.append("dry run: nothing was written")
        return lines


def _groups(session: Session, assessment_id: int) -> tuple[dict[str, int], dict[int, str], dict[str, str]]:
    """Group ids by key, keys by id, and every way the file may name a group -> key."""
    rows = session.execute(
        select(StakeholderGroup.id, StakeholderGroup.key, StakeholderGroup.name_en, StakeholderGroup.name_zh)
        .where(StakeholderGroup.assessment_id == assessment_id)
        .order_by(StakeholderGroup.position)
    ).all()
    names: dict[str, str] = {}
    for _, key, name_en, name_zh in rows:
        for spelling in (name_zh, name_en, key):
            if spelling:
                names[_one_line(spelling).casefold()] = key
    return {key: gid for gid, key, _, _ in rows}, {gid: key for gid, key, _, _ in rows}, names


def add_contacts(
    *, session: Session, assessment_key: str, contacts: ContactFile, dry_run: bool = False
) -> ContactImport:
    """Check a read contact file against the assessment and add its new contacts, all or none."""
    assessment = get_assessment(session=session, key=assessment_key)
    problems = Problems(contacts.filename)
    problems.extend(contacts.problems)
    group_ids, group_keys, group_names = _groups(session, assessment.id)
    channels = {
        (gid, _one_line(name).casefold()): cid
        for cid, gid, name_en, name_zh in session.execute(
            select(Channel.id, Channel.group_id, Channel.name_en, Channel.name_zh).where(
                Channel.assessment_id == assessment.id
            )
        ).all()
        for name in (name_en, name_zh)
        if name
    }
    existing = {
        c.email.casefold(): c
        for c in session.scalars(select(Contact).where(Contact.assessment_id == assessment.id))
    }
    new: list[Contact] = []
    already = 0
    preview: list[dict[str, str]] = []
    for row in contacts.rows:
        key = group_names.get(_one_line(row.group).casefold())
        if key is None:
            if row.group:
                problems.add(
                    f"unknown group {shown(row.group)} (groups of assessment '{assessment_key}': "
                    f"{', '.join(group_ids)})",
                    row=row.row,
                    column=contacts.columns["group"],
                )
            continue
        gid = group_ids[key]
        channel_id = None
        if row.channel:
            channel_id = channels.get((gid, _one_line(row.channel).casefold()))
            if channel_id is None:
                problems.add(
                    f"{shown(row.channel)} is not a channel of group '{key}'",
                    row=row.row,
                    column=contacts.columns["channel"],
                )
                continue
        if len(preview) < 20:
            preview.append(
                {
                    "row": str(row.row),
                    "email": row.email,
                    "name": row.name,
                    "group": key,
                    "channel": row.channel,
                    "language": row.language,
                }  # fmt: skip
            )
        listed = existing.get(row.email.casefold())
        if listed is not None:
            if (listed.group_id, listed.channel_id, listed.language) != (gid, channel_id, row.language):
                problems.add(
                    f"{row.email} is already a contact of group '{group_keys[listed.group_id]}' with another "
                    "channel or language: a link may have been sent; purge the list or leave the row out",
                    row=row.row,
                    column=contacts.columns["email"],
                )
            else:
                already += 1
            continue
        new.append(
            Contact(
                assessment_id=assessment.id,
                email=row.email,
                name=row.name,
                group_id=gid,
                channel_id=channel_id,
                language=row.language,
            )
        )
    if problems:
        raise ImportFailed.of(problems)
    if not dry_run:
        session.add_all(new)
        session.flush()
    by_group = Counter(group_keys[c.group_id] for c in new)
    return ContactImport(
        contacts.filename,
        assessment_key,
        dry_run,
        len(new),
        already,
        {key: by_group[key] for key in group_ids if by_group[key]},
        contacts.ignored_columns,
        preview,
    )


@dataclass(frozen=True)
class ContactStatus:
    """One contact as the committee sees it: what was sent, not whether it answered."""

    email: str
    name: str
    group: str
    channel: str | None
    language: str
    invited_at: datetime | None
    reminders: int
    last_error: str | None


def list_contacts(*, session: Session, assessment_key: str) -> list[ContactStatus]:
    aid = get_assessment(session=session, key=assessment_key).id
    rows = session.execute(
        select(Contact, StakeholderGroup.key, Channel.name_en)
        .join(StakeholderGroup, StakeholderGroup.id == Contact.group_id)
        .outerjoin(Channel, Channel.id == Contact.channel_id)
        .where(Contact.assessment_id == aid)
        .order_by(StakeholderGroup.position, Contact.id)
    ).all()
    return [
        ContactStatus(c.email, c.name, g, ch, c.language, c.invited_at, c.reminders, c.last_error)
        for c, g, ch in rows
    ]


@dataclass(frozen=True)
class ContactCounts:
    total: int
    invited: int  # the invitation was accepted by the mail server
    to_invite: int  # not invited yet (never tried, or failed)
    failed: int  # of those, the last try failed
    reminded: int


def contact_counts(*, session: Session, assessment_key: str) -> ContactCounts:
    aid = get_assessment(session=session, key=assessment_key).id
    total, invited, failed, reminded = session.execute(
        select(
            func.count(Contact.id),
            func.count(Contact.invited_at),
            func.count(Contact.last_error).filter(Contact.invited_at.is_(None)),
            func.count(Contact.reminded_at),
        ).where(Contact.assessment_id == aid)
    ).one()
    return ContactCounts(total, invited, total - invited, failed, reminded)


def _changed(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (its result is typed as any result)."""
    return cast(CursorResult[Any], result).rowcount or 0


def purge(*, session: Session, assessment_key: str) -> int:
    """Delete the assessment's contact list (addresses, names, sealed links); the invitations and
    their responses stay. Returns how many contacts were deleted."""
    aid = get_assessment(session=session, key=assessment_key).id
    return _changed(session.execute(delete(Contact).where(Contact.assessment_id == aid)))


# --- what the senders need ---------------------------------------------------------------------------


def issue_links(*, session: Session, assessment_key: str, key: str | None) -> int:
    """Issue a personal link for every contact that has none, once: the invitation and the sealed
    token are written in the same transaction as the contact's `invitation_id`. Returns how many."""
    aid = get_assessment(session=session, key=assessment_key).id
    waiting = session.execute(
        select(Contact, StakeholderGroup.key, Channel.name_en)
        .join(StakeholderGroup, StakeholderGroup.id == Contact.group_id)
        .outerjoin(Channel, Channel.id == Contact.channel_id)
        .where(Contact.assessment_id == aid, Contact.invitation_id.is_(None), Contact.invited_at.is_(None))
        .order_by(Contact.id)
        .with_for_update(of=Contact)  # two senders at once: the second waits, then finds the links issued
    ).all()
    batches: dict[tuple[str, str | None, str], list[Contact]] = {}
    channel: str | None
    for contact, group, channel in waiting:
        batches.setdefault((group, channel, contact.language), []).append(contact)
    for (group, channel, language), members in batches.items():
        links = issue_invitations(
            session=session,
            assessment_key=assessment_key,
            group=group,
            count=len(members),
            channel=channel,
            language=language,
        )
        for contact, link in zip(members, links, strict=True):
            contact.invitation_id = link.invitation_id
            contact.sealed_token = seal(link.token, key)
    session.flush()
    return len(waiting)


@dataclass(frozen=True)
class Recipient:
    """A contact about to be mailed: what the message needs, and its sealed link."""

    contact_id: int
    email: str
    name: str
    group: str
    language: str
    sealed_token: bytes
    reminders: int


def _recipients(session: Session, query: Select[Contact, str]) -> list[Recipient]:
    return [
        Recipient(c.id, c.email, c.name, group, c.language, c.sealed_token, c.reminders)
        for c, group in session.execute(query).all()
        if c.sealed_token is not None
    ]


def to_invite(*, session: Session, assessment_key: str) -> list[Recipient]:
    """Contacts with a link that has not been mailed yet (never tried, or the last try failed)."""
    aid = get_assessment(session=session, key=assessment_key).id
    return _recipients(
        session,
        select(Contact, StakeholderGroup.key)
        .join(StakeholderGroup, StakeholderGroup.id == Contact.group_id)
        .where(Contact.assessment_id == aid, Contact.invitation_id.is_not(None), Contact.invited_at.is_(None))
        .order_by(Contact.id),
    )


def forget_answered_links(*, session: Session, assessment_key: str) -> int:
    """Drop the sealed tokens of contacts whose invitation was submitted (or withdrawn): no
    reminder will need them."""
    aid = get_assessment(session=session, key=assessment_key).id
    answered = select(Invitation.id).where(Invitation.submitted_at.is_not(None))
    result = session.execute(
        update(Contact)
        .where(
            Contact.assessment_id == aid,
            Contact.sealed_token.is_not(None),
            Contact.invited_at.is_not(None),
            (Contact.invitation_id.in_(answered)) | Contact.invitation_id.is_(None),
        )
        .values(sealed_token=None)
    )
    return _changed(result)


def to_remind(
    *, session: Session, assessment_key: str, min_days: float, max_reminders: int
) -> list[Recipient]:
    """Invited contacts whose link has not been submitted, last mailed at least `min_days` ago and
    reminded fewer than `max_reminders` times."""
    aid = get_assessment(session=session, key=assessment_key).id
    before = utcnow() - timedelta(days=min_days)
    last_mailed = func.coalesce(Contact.reminded_at, Contact.invited_at)
    return _recipients(
        session,
        select(Contact, StakeholderGroup.key)
        .join(StakeholderGroup, StakeholderGroup.id == Contact.group_id)
        .join(Invitation, Invitation.id == Contact.invitation_id)
        .where(
            Contact.assessment_id == aid,
            Contact.invited_at.is_not(None),
            Invitation.submitted_at.is_(None),
            Contact.reminders < max_reminders,
            last_mailed <= before,
        )
        .order_by(Contact.id),
    )


def claim(*, session: Session, recipient: Recipient, reminder: bool) -> bool:
    """Take a contact for mailing, unless another sender has it or it was mailed meanwhile: a
    conditional update, so two senders never mail the same message."""
    now = utcnow()
    free = Contact.claimed_at.is_(None) | (Contact.claimed_at < now - CLAIM_EXPIRES)
    still = Contact.reminders == recipient.reminders if reminder else Contact.invited_at.is_(None)
    result = session.execute(
        update(Contact).where(Contact.id == recipient.contact_id, free, still).values(claimed_at=now)
    )
    return _changed(result) == 1


def record_sent(*, session: Session, recipient: Recipient, reminder: bool) -> None:
    now = utcnow()
    values: dict[str, object] = {"claimed_at": None, "last_error": None}
    if reminder:
        values.update(reminders=Contact.reminders + 1, reminded_at=now)
    else:
        values.update(invited_at=now)
    session.execute(update(Contact).where(Contact.id == recipient.contact_id).values(**values))


def record_failed(*, session: Session, contact_ids: list[int], reason: str) -> None:
    """The message did not go out: the contact stays due and is tried again on the next call."""
    session.execute(
        update(Contact)
        .where(Contact.id.in_(contact_ids))
        .values(claimed_at=None, failures=Contact.failures + 1, last_error=reason[:500])
    )


def reseal_unsent(*, session: Session, recipient: Recipient, key: str | None) -> bytes:
    """A fresh token for a contact whose link has never been mailed and cannot be unsealed (the
    mail key changed): nobody holds the old token, so replacing it on the same invitation, in one
    update, neither loses nor duplicates a link."""
    contact = session.get(Contact, recipient.contact_id)
    if contact is None or contact.invitation_id is None or contact.invited_at is not None:
        raise StoreError(f"{recipient.email}: the link has been mailed; it cannot be replaced")
    token = new_token()
    invitation = session.get(Invitation, contact.invitation_id)
    assert invitation is not None
    invitation.token_hash = hash_token(token)
    contact.sealed_token = seal(token, key)
    session.flush()
    return contact.sealed_token


def not_yet_issued(*, session: Session, assessment_key: str) -> list[Recipient]:
    """Contacts without a link yet (for a preview: their link is issued when they are mailed)."""
    aid = get_assessment(session=session, key=assessment_key).id
    rows = session.execute(
        select(Contact, StakeholderGroup.key)
        .join(StakeholderGroup, StakeholderGroup.id == Contact.group_id)
        .where(Contact.assessment_id == aid, Contact.invitation_id.is_(None), Contact.invited_at.is_(None))
        .order_by(Contact.id)
    ).all()
    return [Recipient(c.id, c.email, c.name, group, c.language, b"", c.reminders) for c, group in rows]
