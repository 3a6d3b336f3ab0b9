"""The e-mail part of the Campaign page (widgets only): the address links carry, the contact list
(upload with a preview, counts, purge), and invitations and reminders with a preview of the
message, a progress bar and the counts sent and failed."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components
from sqlalchemy.engine import Engine

from services import mailing
from services.mailing import MailPreview, SendProgress, SendReport
from survey.errors import StoreError
from survey.importers import ImportFailed
from survey.settings import get_settings


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def link_address() -> str:
    """Show the address new links will carry, warn when the committee reaches the app at another
    one, and return the address to use (the committee may switch to the one it is using)."""
    configured = get_settings().base_url.rstrip("/")
    here = st.context.url
    st.caption(f"Links will carry **{configured}** (set by MATERIALITY_BASE_URL).")
    if here and _origin(here) != _origin(configured):
        current = _origin(here)
        st.warning(
            f"You are using this app at **{current}**, but links will carry **{configured}**. "
            "Stakeholders must be able to open that address from their own devices; links cannot be "
            "changed once issued. Set MATERIALITY_BASE_URL to the app's public address."
        )
        if st.checkbox(f"Use {current} in the links instead", key="links_use_current"):
            return current
    return configured


def _problems(error: ImportFailed) -> None:
    st.error(f"{error.total} problem(s) found; nothing was added.")
    st.text("\n".join(str(p) for p in error.problems))


def _contact_upload(engine: Engine, key: str) -> None:
    upload = st.file_uploader(
        "Contact list: CSV or XLSX with columns email and group (optional: channel, language, name)",
        type=["csv", "xlsx", "txt"],
        key="contacts_file",
    )
    if upload is None:
        return
    try:
        contact_file = mailing.read_contacts(upload.getvalue(), filename=upload.name)
        check = mailing.import_contacts(
            engine=engine, assessment_key=key, contact_file=contact_file, dry_run=True
        )
    except ImportFailed as error:
        _problems(error)
        return
    st.dataframe(pd.DataFrame(check.preview), hide_index=True, key="contacts_preview")
    st.text("\n".join(check.lines()[:-1]))
    if st.button(f"Add {check.added} contacts", type="primary", disabled=not check.added, key="contacts_add"):
        try:
            added = mailing.import_contacts(engine=engine, assessment_key=key, contact_file=contact_file)
        except ImportFailed as error:
            _problems(error)
        else:
            st.success(added.lines()[0])


def _preview(shown: MailPreview) -> None:
    if shown.letter is None:
        return
    with st.expander(f"Preview: the {shown.kind} to {shown.recipient}"):
        st.text(f"Subject: {shown.letter.subject}\n\n{shown.letter.text}")
        components.html(shown.letter.html, height=420, scrolling=True)


def _sent(report: SendReport) -> None:
    (st.success if not report.failed else st.error)(" ".join(report.lines()[1:2]))
    if report.failed:
        st.dataframe(
            pd.DataFrame(report.failed, columns=["address", "reason"]), hide_index=True, key="mail_failed"
        )
        st.caption("Failed messages are sent again, with the same links, the next time you send.")


def _send(
    label: str, count: int, *, disabled: bool, key: str, send: Callable[[SendProgress], SendReport]
) -> None:
    if not st.button(label, type="primary", disabled=disabled or not count, key=key):
        return
    bar = st.progress(0.0, text="Sending ...")

    def progress(done: int, total: int, email: str, failure: str | None) -> None:
        bar.progress(
            done / total, text=f"{done} / {total}: {email} {'sent' if failure is None else 'failed'}"
        )

    try:
        report = send(progress)
    except StoreError as error:
        st.error(str(error))
        return
    st.session_state.mail_report = report  # shown after the rerun, with the counts brought up to date
    st.rerun()


def email_section(engine: Engine, key: str, status: str, base_url: str) -> None:
    """Contacts, invitations and reminders by e-mail."""
    st.subheader("Invitations by e-mail")
    if "mail_report" in st.session_state:
        _sent(st.session_state.pop("mail_report"))
    _contact_upload(engine, key)
    counts = mailing.contact_counts(engine=engine, assessment_key=key)
    st.write(
        f"{counts.total} contacts: {counts.invited} invited, {counts.to_invite} not invited yet "
        f"({counts.failed} of them failed last time), {counts.reminded} reminded."
    )
    problem = mailing.setup_problem()
    if problem:
        st.info(f"To send from here: {problem}.")
        return
    if status != "open":
        st.info("Open the survey to send invitations: the links take answers only while it is open.")
    deadline = st.text_input(
        "Answer by (shown in the message)", get_settings().survey_deadline, key="mail_deadline"
    )
    invite = mailing.preview(engine=engine, assessment_key=key, base_url=base_url, deadline=deadline)
    _preview(invite)
    _send(
        f"Send {invite.count} invitations",
        invite.count,
        disabled=status != "open",
        key="mail_invite",
        send=lambda progress: mailing.send_invitations(
            engine=engine, assessment_key=key, base_url=base_url, deadline=deadline, progress=progress
        ),
    )
    days, times = st.columns(2)
    min_days = days.number_input("Remind those last mailed at least (days) ago", 0, 365, 7, key="remind_days")
    max_reminders = times.number_input("At most this many reminders each", 1, 10, 2, key="remind_max")
    remind = mailing.preview(
        engine=engine,
        assessment_key=key,
        reminder=True,
        min_days=min_days,
        max_reminders=int(max_reminders),
        base_url=base_url,
        deadline=deadline,
    )
    _preview(remind)
    _send(
        f"Send {remind.count} reminders (only to those who have not answered)",
        remind.count,
        disabled=status != "open",
        key="mail_remind",
        send=lambda progress: mailing.send_reminders(
            engine=engine,
            assessment_key=key,
            min_days=min_days,
            max_reminders=int(max_reminders),
            base_url=base_url,
            deadline=deadline,
            progress=progress,
        ),
    )


def purge_section(engine: Engine, key: str) -> None:
    """Delete the contact list for good, once the fieldwork is over."""
    with st.form("contacts_purge"):
        sure = st.checkbox(
            "Delete every address, name and kept link of this assessment's contacts for good",
            key="purge_sure",
        )
        if st.form_submit_button("Delete the contact list", key="purge_submit"):
            if not sure:
                st.error("Tick the box to confirm.")
            else:
                purged = mailing.purge_contacts(engine=engine, assessment_key=key)
                st.success(f"Deleted {purged.deleted} contacts. {purged.erased}.")
