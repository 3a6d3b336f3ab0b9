"""Invitations and reminders by e-mail: the contact list, and mailing each contact its link.

How a link is never lost nor issued twice: :func:`send_invitations` first issues the links of
all contacts that have none, in one transaction that also stores each token *sealed* (encrypted
with ``MATERIALITY_MAIL_KEY``) on its contact. Then it mails the contacts one by one; each
message is claimed by a conditional update before it is sent and recorded (sent, or failed with
the server's reason) right after, in its own transaction. A failed message, or one cut off by a
crash, is sent again on the next call with the same link, unsealed again; a contact gets at most
one link, however often it is tried. Reminders carry the same link; the sealed token is dropped
once the link has been submitted, and with the contact list (:func:`purge_contacts`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from survey import audit, contacts, tokens
from survey.assessments import get_assessment
from survey.contacts import ContactCounts, ContactFile, ContactImport, ContactStatus, Recipient
from survey.db import erase_free_pages, secure_delete, transaction
from survey.errors import StoreError
from survey.mail import Mailbox, MailError, MailServer, ServerUnavailable
from survey.messages import Letter, Survey, address, compose
from survey.models import StakeholderGroup, Topic
from survey.settings import get_settings

# (done, total, the address just mailed, None when it went out else why not)
SendProgress = Callable[[int, int, str, str | None], None]
LINK_PLACEHOLDER = "(personal link)"


def read_contacts(source: str | Path | bytes, *, filename: str | None = None) -> ContactFile:
    """Read a contact file (CSV or XLSX); raises :class:`survey.importers.ImportFailed`."""
    return contacts.read_contact_file(source, filename=filename)


def import_contacts(
    *,
    engine: Engine,
    assessment_key: str,
    contact_file: ContactFile,
    dry_run: bool = False,
    actor: str | None = None,
) -> ContactImport:
    """Add the file's new contacts, all of them or (on any problem) none."""
    with transaction(engine, write=not dry_run) as session:
        added = contacts.add_contacts(
            session=session, assessment_key=assessment_key, contacts=contact_file, dry_run=dry_run
        )
        if not dry_run:
            audit.record(
                session=session,
                actor=actor,
                action="contacts.import",
                object=f"contacts of assessment {assessment_key}",
                assessment=assessment_key,
                # counts only: the audit trail is kept for good, the addresses are not
                after={
                    "file": added.filename,
                    "added": added.added,
                    "already_listed": added.already_listed,
                    "by_group": dict(added.by_group),
                },
            )
        return added


def list_contacts(*, engine: Engine, assessment_key: str) -> list[ContactStatus]:
    with transaction(engine, write=False) as session:
        return contacts.list_contacts(session=session, assessment_key=assessment_key)


def contact_counts(*, engine: Engine, assessment_key: str) -> ContactCounts:
    with transaction(engine, write=False) as session:
        return contacts.contact_counts(session=session, assessment_key=assessment_key)


@dataclass(frozen=True)
class Purged:
    deleted: int
    erased: str  # what was done to the database file, or what the administrator should run


def purge_contacts(*, engine: Engine, assessment_key: str, actor: str | None = None) -> Purged:
    """Delete the assessment's contact list for good: addresses, names and sealed links. On SQLite
    the deleted content is overwritten and the file rebuilt; on PostgreSQL `erased` says what to run."""
    with transaction(engine) as session, secure_delete(session):
        deleted = contacts.purge(session=session, assessment_key=assessment_key)
        audit.record(
            session=session,
            actor=actor,
            action="contacts.purge",
            object=f"contacts of assessment {assessment_key}",
            assessment=assessment_key,
            before={"contacts": deleted},
        )
    return Purged(deleted, erase_free_pages(engine, table="contact"))


# --- sending -----------------------------------------------------------------------------------------


@dataclass
class SendReport:
    """What one call of :func:`send_invitations` or :func:`send_reminders` did."""

    kind: str  # "invitation" or "reminder"
    base_url: str
    server: str
    issued: int = 0  # links issued now for new contacts
    sent: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (address, reason)
    busy: int = 0  # being mailed by another sender just now: left to it

    def lines(self) -> list[str]:
        lines = [
            f"Links point to {self.base_url}; mail goes through {self.server}.",
            f"{self.sent} {self.kind}s sent, {len(self.failed)} failed"
            + (f", {self.busy} left to another sender" if self.busy else "")
            + (f"; {self.issued} new links issued" if self.issued else "")
            + ".",
        ]
        reasons: dict[str, int] = {}
        for _, reason in self.failed:
            reasons[reason] = reasons.get(reason, 0) + 1
        lines += [f"  {n} x {reason}" for reason, n in reasons.items()]
        if self.failed:
            lines.append("Failed messages are sent again, with the same links, the next time this runs.")
        return lines


def _survey(session, assessment_key: str, deadline: str | None) -> Survey:  # type: ignore[no-untyped-def]
    settings = get_settings()
    assessment = get_assessment(session=session, key=assessment_key)
    groups = session.execute(
        select(StakeholderGroup.key, StakeholderGroup.name_en, StakeholderGroup.name_zh).where(
            StakeholderGroup.assessment_id == assessment.id
        )
    ).all()
    topics = len(session.scalars(select(Topic.id).where(Topic.assessment_id == assessment.id)).all())
    return Survey(
        company=settings.company_name,
        year=assessment.year,
        topics=topics,
        deadline=deadline if deadline is not None else settings.survey_deadline,
        contact=settings.survey_contact,
        group_names={key: {"en": en, "zh": zh or en} for key, en, zh in groups},
    )


def _letter(survey: Survey, recipient: Recipient, link: str, reminder: bool) -> Letter:
    return compose(
        survey,
        group=recipient.group,
        language=recipient.language,
        name=recipient.name,
        link=link,
        reminder=reminder,
    )


def _deliver(
    *,
    engine: Engine,
    server: MailServer,
    survey: Survey,
    recipients: list[Recipient],
    report: SendReport,
    key: str | None,
    reminder: bool,
    progress: SendProgress | None,
) -> SendReport:
    """Mail each recipient its link, one claim and one record per message."""
    total = len(recipients)
    with Mailbox(server) as mailbox:
        for done, recipient in enumerate(recipients, start=1):
            with transaction(engine) as session:
                claimed = contacts.claim(session=session, recipient=recipient, reminder=reminder)
            if not claimed:
                report.busy += 1
                continue
            try:
                message = _message(engine, server, survey, recipient, report.base_url, key, reminder)
                mailbox.send(message)
            except (MailError, tokens.SealError) as error:
                reason = error.reason if isinstance(error, MailError) else str(error)
                if isinstance(error, ServerUnavailable):
                    rest = recipients[done - 1 :]
                    with transaction(engine) as session:
                        contacts.record_failed(
                            session=session, contact_ids=[r.contact_id for r in rest], reason=reason
                        )
                    report.failed += [(r.email, reason) for r in rest]
                    if progress:
                        progress(total, total, recipient.email, reason)
                    break
                with transaction(engine) as session:
                    contacts.record_failed(session=session, contact_ids=[recipient.contact_id], reason=reason)
                report.failed.append((recipient.email, reason))
                if progress:
                    progress(done, total, recipient.email, reason)
                continue
            with transaction(engine) as session:
                contacts.record_sent(session=session, recipient=recipient, reminder=reminder)
            report.sent += 1
            if progress:
                progress(done, total, recipient.email, None)
    return report


def _message(
    engine: Engine,
    server: MailServer,
    survey: Survey,
    recipient: Recipient,
    base_url: str,
    key: str | None,
    reminder: bool,
) -> EmailMessage:
    try:
        token = tokens.unseal(recipient.sealed_token, key)
    except tokens.SealError:
        if reminder:
            raise
        with transaction(engine) as session:  # never mailed: a fresh token replaces the old one
            token = tokens.unseal(contacts.reseal_unsent(session=session, recipient=recipient, key=key), key)
    letter = _letter(survey, recipient, tokens.survey_link(base_url, token), reminder)
    return address(letter, sender=server.sender, recipient=recipient.email)


def setup_problem() -> str | None:
    """What keeps mail from being sent with the current settings (None when nothing does)."""
    try:
        _setup(None)
    except StoreError as error:
        return str(error)
    return None


def _setup(server: MailServer | None) -> tuple[MailServer, str | None]:
    settings = get_settings()
    server = server or MailServer.from_settings(settings)
    tokens.check_mail_key(settings.mail_key)
    return server, settings.mail_key


def _recorded(engine: Engine, actor: str | None, assessment_key: str, report: SendReport) -> SendReport:
    """Enter a send in the audit trail: how many messages went out and failed (no addresses)."""
    with transaction(engine) as session:
        audit.record(
            session=session,
            actor=actor,
            action=f"mail.{report.kind}s",
            object=f"contacts of assessment {assessment_key}",
            assessment=assessment_key,
            after={"sent": report.sent, "failed": len(report.failed), "issued": report.issued},
        )
    return report


def send_invitations(
    *,
    engine: Engine,
    assessment_key: str,
    base_url: str | None = None,
    deadline: str | None = None,
    server: MailServer | None = None,
    progress: SendProgress | None = None,
    actor: str | None = None,
) -> SendReport:
    """Mail every contact not yet invited its personal link (issued now when it has none).

    The survey must be open. `server` defaults to the settings' mail server; `base_url` to the
    configured public address of the app. Failed messages are reported and stay due.
    """
    server, key = _setup(server)
    base_url = base_url or get_settings().base_url
    with transaction(engine) as session:
        status = get_assessment(session=session, key=assessment_key).status
        if status != "open":
            raise StoreError(
                f"assessment '{assessment_key}' is {status}: open the survey first, so the links take answers"
            )
        issued = contacts.issue_links(session=session, assessment_key=assessment_key, key=key)
        survey = _survey(session, assessment_key, deadline)
        due = contacts.to_invite(session=session, assessment_key=assessment_key)
    report = SendReport("invitation", base_url, server.describe(), issued=issued)
    _deliver(
        engine=engine,
        server=server,
        survey=survey,
        recipients=due,
        report=report,
        key=key,
        reminder=False,
        progress=progress,
    )
    return _recorded(engine, actor, assessment_key, report)


def send_reminders(
    *,
    engine: Engine,
    assessment_key: str,
    min_days: float = 7,
    max_reminders: int = 2,
    base_url: str | None = None,
    deadline: str | None = None,
    server: MailServer | None = None,
    progress: SendProgress | None = None,
    actor: str | None = None,
) -> SendReport:
    """Remind the invited contacts whose link has not been submitted, last mailed at least
    `min_days` ago and reminded fewer than `max_reminders` times; the reminder carries the same link."""
    if min_days < 0 or max_reminders < 0:
        raise StoreError("min_days and max_reminders cannot be negative")
    server, key = _setup(server)
    base_url = base_url or get_settings().base_url
    with transaction(engine) as session:
        contacts.forget_answered_links(session=session, assessment_key=assessment_key)
        survey = _survey(session, assessment_key, deadline)
        due = contacts.to_remind(
            session=session, assessment_key=assessment_key, min_days=min_days, max_reminders=max_reminders
        )
    report = SendReport("reminder", base_url, server.describe())
    _deliver(
        engine=engine,
        server=server,
        survey=survey,
        recipients=due,
        report=report,
        key=key,
        reminder=True,
        progress=progress,
    )
    return _recorded(engine, actor, assessment_key, report)


@dataclass(frozen=True)
class MailPreview:
    """What a send would do: how many messages, and the first one with a placeholder link."""

    kind: str
    count: int
    base_url: str
    recipient: str | None
    letter: Letter | None


def preview(
    *,
    engine: Engine,
    assessment_key: str,
    reminder: bool = False,
    min_days: float = 7,
    max_reminders: int = 2,
    base_url: str | None = None,
    deadline: str | None = None,
) -> MailPreview:
    """The message the next invitation (or reminder) run would send first, and how many it would
    send; nothing is issued or written."""
    base_url = base_url or get_settings().base_url
    with transaction(engine, write=False) as session:
        survey = _survey(session, assessment_key, deadline)
        if reminder:
            due = contacts.to_remind(
                session=session, assessment_key=assessment_key, min_days=min_days, max_reminders=max_reminders
            )
            count = len(due)
        else:
            due = contacts.to_invite(session=session, assessment_key=assessment_key)
            due += contacts.not_yet_issued(session=session, assessment_key=assessment_key)
            count = len(due)
    if not due:
        return MailPreview("reminder" if reminder else "invitation", 0, base_url, None, None)
    first = due[0]
    link = f"{base_url.rstrip('/')}/survey?token={LINK_PLACEHOLDER}"
    return MailPreview(
        "reminder" if reminder else "invitation",
        count,
        base_url,
        first.email,
        _letter(survey, first, link, reminder),
    )
