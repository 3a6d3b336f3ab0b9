"""Invitations and reminders mailed through a real SMTP server (aiosmtpd on a loopback port), on
SQLite and PostgreSQL: every contact gets its own valid link once, in its language; reminders go
only to those who have not answered; refused or unreachable servers lose nothing."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from smtp_server import smtp_server, smtp_server_with_tls, smtps_server
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli import app
from services import mailing, responding
from survey.assessments import create_assessment, set_status
from survey.db import transaction
from survey.errors import StoreError
from survey.importers import ImportFailed
from survey.models import Contact, Invitation
from survey.responding import Answers
from survey.settings import get_settings
from survey.tokens import SealError, new_mail_key, token_from_link

BASE_URL = "https://survey.example.com"
CONTACTS = """email,group,channel,language,name
li.wei@example.cn,clients,Official website,zh,李伟
Ana.Silva@Example.com,employees,,en,Ana Silva
j.okafor@example.org,Suppliers,,,
"""
ADDRESSES = ["li.wei@example.cn", "Ana.Silva@example.com", "j.okafor@example.org"]
LINK = re.compile(r"https://survey\.example\.com/survey\?token=[A-Za-z0-9_-]+")


@pytest.fixture
def mail_settings(monkeypatch) -> Iterator[pytest.MonkeyPatch]:
    """Settings for mailing; each test sets MATERIALITY_SMTP_URL to its server."""
    monkeypatch.setenv("MATERIALITY_MAIL_FROM", "ESG Committee <esg@example.com>")
    monkeypatch.setenv("MATERIALITY_MAIL_KEY", new_mail_key())
    monkeypatch.setenv("MATERIALITY_MAIL_PER_MINUTE", "100000")
    monkeypatch.setenv("MATERIALITY_SMTP_TIMEOUT", "5")
    monkeypatch.setenv("MATERIALITY_BASE_URL", BASE_URL)
    monkeypatch.setenv("MATERIALITY_COMPANY_NAME", "Acme Holdings")
    monkeypatch.setenv("MATERIALITY_SURVEY_CONTACT", "esg@example.com")
    monkeypatch.setenv("MATERIALITY_SURVEY_DEADLINE", "30 June 2021")
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def use_server(monkeypatch: pytest.MonkeyPatch, url: str, ca_file: str | None = None) -> None:
    monkeypatch.setenv("MATERIALITY_SMTP_URL", url)
    if ca_file:
        monkeypatch.setenv("MATERIALITY_SMTP_CA_FILE", ca_file)
    get_settings.cache_clear()


@pytest.fixture
def campaign(engine, catalog, tmp_path, mail_settings):
    """An open assessment 2021 with three contacts in two languages."""
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=catalog)
        set_status(session=session, key="2021", status="open")
    add_contacts(engine, tmp_path, CONTACTS)
    return engine


def add_contacts(engine, folder: Path, text: str, name: str = "contacts.csv"):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return mailing.import_contacts(
        engine=engine, assessment_key="2021", contact_file=mailing.read_contacts(path)
    )


def link_of(message) -> str:
    (link,) = set(LINK.findall(message.get_body(("plain",)).get_content()))
    assert link in message.get_body(("html",)).get_content()
    return link


def invitations(engine) -> int:
    with transaction(engine, write=False) as session:
        return session.scalar(select(func.count(Invitation.id))) or 0


def test_each_contact_is_mailed_its_own_link_in_its_language(campaign, mail_settings):
    engine = campaign
    with smtp_server() as server:
        use_server(mail_settings, server.url)
        progress = []
        report = mailing.send_invitations(
            engine=engine, assessment_key="2021", progress=lambda *a: progress.append(a)
        )
        received = server.mailbox.messages
    assert (report.sent, report.failed, report.issued, report.base_url) == (3, [], 3, BASE_URL)
    assert [p[:2] for p in progress] == [(1, 3), (2, 3), (3, 3)]
    assert sorted(m["To"] for m in received) == sorted(ADDRESSES)
    by_address = {m["To"]: m for m in received}
    chinese, english = by_address["li.wei@example.cn"], by_address["Ana.Silva@example.com"]
    assert "邀请您就可持续发展议题发表意见" in chinese["Subject"] and "Acme Holdings" in chinese["Subject"]
    assert "李伟，您好" in chinese.get_body(("plain",)).get_content()
    assert "客户" in chinese.get_body(("plain",)).get_content()  # the group's Chinese name
    text = english.get_body(("plain",)).get_content()
    assert english["Subject"] == "Acme Holdings asks for your view on sustainability topics"
    for promise in (
        "Dear Ana Silva,",
        "by 30 June 2021",
        "we store no name, e-mail or IP address",
        "esg@example.com",
    ):
        assert promise in text
    assert english["From"] == "ESG Committee <esg@example.com>"
    assert by_address["j.okafor@example.org"].get_body(("plain",)).get_content().startswith("Hello,")
    links = [link_of(m) for m in received]
    assert len(set(links)) == 3
    for link in links:  # each link opens the survey of its contact's group
        visit = responding.visit(engine=engine, token=token_from_link(link))
        assert visit.target.assessment_key == "2021"
    groups = {
        m["To"]: responding.visit(engine=engine, token=token_from_link(link_of(m))).target.group
        for m in received
    }
    assert groups == {
        "li.wei@example.cn": "clients",
        "Ana.Silva@example.com": "employees",
        "j.okafor@example.org": "suppliers",
    }

    with smtp_server() as server:
        use_server(mail_settings, server.url)
        second = mailing.send_invitations(engine=engine, assessment_key="2021")
        assert server.mailbox.messages == []
    assert (second.sent, second.issued, invitations(engine)) == (0, 0, 3)


def answer(engine, link: str) -> None:
    token = token_from_link(link)
    form = responding.visit(engine=engine, token=token).form
    responding.submit(engine=engine, token=token, answers=Answers(ratings={t.key: 4 for t in form.topics}))


def test_reminders_reach_only_those_who_have_not_answered(campaign, mail_settings):
    engine = campaign
    with smtp_server() as server:
        use_server(mail_settings, server.url)
        mailing.send_invitations(engine=engine, assessment_key="2021")
        first_links = {m["To"]: link_of(m) for m in server.mailbox.messages}
        answer(engine, first_links["Ana.Silva@example.com"])
        server.mailbox.messages.clear()

        too_early = mailing.send_reminders(engine=engine, assessment_key="2021", min_days=1)
        assert (too_early.sent, server.mailbox.messages) == (0, [])
        report = mailing.send_reminders(engine=engine, assessment_key="2021", min_days=0, max_reminders=1)
        reminded = {m["To"]: m for m in server.mailbox.messages}
        assert (report.sent, sorted(reminded)) == (2, ["j.okafor@example.org", "li.wei@example.cn"])
        for address, message in reminded.items():  # the same link as the invitation
            assert link_of(message) == first_links[address]
        assert reminded["li.wei@example.cn"]["Subject"].startswith("提醒：")
        assert "A short reminder" in reminded["j.okafor@example.org"].get_body(("plain",)).get_content()

        server.mailbox.messages.clear()
        capped = mailing.send_reminders(engine=engine, assessment_key="2021", min_days=0, max_reminders=1)
        assert (capped.sent, server.mailbox.messages) == (0, [])
        answer(engine, first_links["li.wei@example.cn"])
        last = mailing.send_reminders(engine=engine, assessment_key="2021", min_days=0, max_reminders=2)
        assert [m["To"] for m in server.mailbox.messages] == ["j.okafor@example.org"] and last.sent == 1
    with transaction(engine, write=False) as session:
        sealed = dict(session.execute(select(Contact.email, Contact.sealed_token.is_not(None))).all())
    assert sealed == {
        "li.wei@example.cn": False,
        "Ana.Silva@example.com": False,
        "j.okafor@example.org": True,
    }


def test_a_refused_recipient_is_reported_and_gets_the_same_link_later(campaign, mail_settings):
    engine = campaign
    with smtp_server(refuse={"li.wei@example.cn"}) as server:
        use_server(mail_settings, server.url)
        report = mailing.send_invitations(engine=engine, assessment_key="2021")
        assert server.mailbox.refused == ["li.wei@example.cn"]
    assert report.sent == 2
    assert report.failed == [
        ("li.wei@example.cn", "the server refused the recipient: 550 5.1.1 Mailbox unavailable")
    ]
    assert any("1 x the server refused the recipient" in line for line in report.lines())
    (failed,) = [c for c in mailing.list_contacts(engine=engine, assessment_key="2021") if c.last_error]
    assert failed.email == "li.wei@example.cn" and failed.invited_at is None
    with transaction(engine, write=False) as session:
        invitation_id = session.scalar(
            select(Contact.invitation_id).where(Contact.email == "li.wei@example.cn")
        )

    with smtp_server() as server:
        use_server(mail_settings, server.url)
        retry = mailing.send_invitations(engine=engine, assessment_key="2021")
        (message,) = server.mailbox.messages
    assert (retry.sent, retry.failed, message["To"], invitations(engine)) == (1, [], "li.wei@example.cn", 3)
    visit = responding.visit(engine=engine, token=token_from_link(link_of(message)))
    assert visit.target.invitation_id == invitation_id
    assert mailing.contact_counts(engine=engine, assessment_key="2021").invited == 3


def test_an_unreachable_server_loses_nothing(campaign, mail_settings):
    engine = campaign
    with smtp_server() as gone:
        url = gone.url
    use_server(mail_settings, url)  # nothing listens there any more
    report = mailing.send_invitations(engine=engine, assessment_key="2021")
    assert report.sent == 0 and len(report.failed) == 3
    assert all(reason.startswith("cannot reach the mail server 127.0.0.1:") for _, reason in report.failed)
    assert invitations(engine) == 3  # issued once, kept sealed
    with smtp_server() as server:
        use_server(mail_settings, server.url)
        retry = mailing.send_invitations(engine=engine, assessment_key="2021")
        links = [link_of(m) for m in server.mailbox.messages]
    assert (retry.sent, retry.issued, invitations(engine), len(set(links))) == (3, 0, 3, 3)
    for link in links:
        responding.visit(engine=engine, token=token_from_link(link))


def test_a_changed_mail_key_gives_unsent_links_a_fresh_token(campaign, mail_settings):
    engine = campaign
    with smtp_server(refuse=set(ADDRESSES)) as server:
        use_server(mail_settings, server.url)
        mailing.send_invitations(engine=engine, assessment_key="2021")
    with transaction(engine, write=False) as session:
        before = dict(session.execute(select(Invitation.id, Invitation.token_hash)).all())
    mail_settings.setenv("MATERIALITY_MAIL_KEY", new_mail_key())
    with smtp_server() as server:
        use_server(mail_settings, server.url)
        report = mailing.send_invitations(engine=engine, assessment_key="2021")
        links = [link_of(m) for m in server.mailbox.messages]
    assert report.sent == 3 and invitations(engine) == 3
    with transaction(engine, write=False) as session:
        after = dict(session.execute(select(Invitation.id, Invitation.token_hash)).all())
    assert after.keys() == before.keys() and all(after[i] != before[i] for i in before)
    for link in links:
        responding.visit(engine=engine, token=token_from_link(link))
    mail_settings.setenv("MATERIALITY_MAIL_KEY", new_mail_key())
    get_settings.cache_clear()
    with smtp_server() as server:
        use_server(mail_settings, server.url)
        reminders = mailing.send_reminders(engine=engine, assessment_key="2021", min_days=0)
    assert reminders.sent == 0 and {r for _, r in reminders.failed} == {
        "the link was sealed with another MATERIALITY_MAIL_KEY"
    }


def test_starttls_and_sign_in(campaign, mail_settings, tmp_path):
    engine = campaign
    with smtp_server_with_tls(tmp_path, user="esg-mailer", password="s3cret p@ss") as server:
        wrong = server.url.replace("s3cret p@ss", "wrong")
        use_server(mail_settings, wrong, server.ca_file)
        refused = mailing.send_invitations(engine=engine, assessment_key="2021")
        assert refused.sent == 0 and "refused the sign-in: 535" in refused.failed[0][1]
        use_server(mail_settings, server.url.replace("p@ss", "p%40ss"), server.ca_file)
        report = mailing.send_invitations(engine=engine, assessment_key="2021")
        assert report.server.startswith("smtp://esg-mailer@127.0.0.1:")
        assert (report.sent, len(server.mailbox.messages)) == (3, 3)
    with smtp_server_with_tls(tmp_path, user="esg-mailer", password="s3cret") as server:
        mail_settings.delenv("MATERIALITY_SMTP_CA_FILE")
        use_server(mail_settings, server.url)  # the system's CAs do not know this certificate
        mailing.import_contacts(
            engine=engine,
            assessment_key="2021",
            contact_file=mailing.read_contacts(
                b"email,group\nnew@example.com,investors\n", filename="more.csv"
            ),
        )
        untrusted = mailing.send_invitations(engine=engine, assessment_key="2021")
        assert untrusted.sent == 0 and "TLS with 127.0.0.1" in untrusted.failed[0][1]


def test_tls_from_the_start(campaign, mail_settings, tmp_path):
    with smtps_server(tmp_path) as server:
        use_server(mail_settings, server.url, server.ca_file)
        report = mailing.send_invitations(engine=campaign, assessment_key="2021")
        assert (report.sent, len(server.mailbox.messages)) == (3, 3)
        assert report.server.startswith("smtps://127.0.0.1:")


def test_a_password_is_never_sent_without_tls(campaign, mail_settings):
    with smtp_server() as server:  # offers no STARTTLS
        use_server(mail_settings, server.url.replace("smtp://", "smtp://esg:secret@"))
        report = mailing.send_invitations(engine=campaign, assessment_key="2021")
        assert report.sent == 0 and server.mailbox.messages == []
    assert "does not offer STARTTLS: the password would go unencrypted" in report.failed[0][1]


def test_hostile_names_are_escaped_and_cannot_add_headers(campaign, mail_settings, tmp_path):
    engine = campaign
    add_contacts(
        engine,
        tmp_path,
        "email,group,name\nmallory@example.com,investors,"
        '"<script>alert(1)</script>\r\nBcc: all@example.com"\n',
        name="hostile.csv",
    )
    mail_settings.setenv("MATERIALITY_COMPANY_NAME", "Acme\r\nBcc: everyone@example.com")
    with smtp_server() as server:
        use_server(mail_settings, server.url)
        mailing.send_invitations(engine=engine, assessment_key="2021")
        (message,) = server.mailbox.to("mallory@example.com")
    assert message["Bcc"] is None and "\n" not in message["Subject"]
    assert message["Subject"].strip().startswith("Acme Bcc: everyone@example.com asks")
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Bcc: all@example.com" in html
    assert (
        "Dear <script>alert(1)</script> Bcc: all@example.com," in message.get_body(("plain",)).get_content()
    )


def test_messages_are_spaced_by_the_rate_limit(campaign, mail_settings):
    mail_settings.setenv("MATERIALITY_MAIL_PER_MINUTE", "120")  # one message every 0.5 s
    with smtp_server() as server:
        use_server(mail_settings, server.url)
        started = time.monotonic()
        report = mailing.send_invitations(engine=campaign, assessment_key="2021")
        elapsed = time.monotonic() - started
    assert report.sent == 3 and elapsed >= 1.0


def test_sending_needs_an_open_survey_a_server_a_sender_and_a_key(engine, catalog, mail_settings):
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=catalog)
    with pytest.raises(StoreError, match="MATERIALITY_SMTP_URL"):
        mailing.send_invitations(engine=engine, assessment_key="2021")
    use_server(mail_settings, "smtp://127.0.0.1:1")
    with pytest.raises(StoreError, match="is draft: open the survey first"):
        mailing.send_invitations(engine=engine, assessment_key="2021")
    mail_settings.setenv("MATERIALITY_MAIL_KEY", "not a key")
    get_settings.cache_clear()
    with pytest.raises(SealError, match="contacts new-key"):
        mailing.send_invitations(engine=engine, assessment_key="2021")
    mail_settings.delenv("MATERIALITY_MAIL_FROM")
    get_settings.cache_clear()
    with pytest.raises(StoreError, match="MATERIALITY_MAIL_FROM"):
        mailing.send_invitations(engine=engine, assessment_key="2021")


# --- the contact list -----------------------------------------------------------------------------


def test_a_contact_file_is_added_all_or_nothing_with_every_bad_row_named(campaign, tmp_path):
    engine = campaign
    bad = (
        "E-mail,Group,Channel,Language,Name,Department\n"
        "new.one@example.com,clients,,en,New One,Sales\n"
        "not-an-address,clients,,,,\n"
        "x@example.com,astronauts,,,,\n"
        "y@example.com,clients,Carrier pigeon,,,\n"
        "z@example.com,clients,,fr,,\n"
        "NEW.ONE@example.com,investors,,,,\n"
        ",,,,,\n"
        "li.wei@example.cn,investors,,,,\n"
    )
    with pytest.raises(ImportFailed) as failed:
        add_contacts(engine, tmp_path, bad, name="bad.csv")
    text = str(failed.value)
    assert "6 problems found" in text
    for expected in (
        "bad.csv, row 3, column 'E-mail' (A): 'not-an-address' is not an e-mail address",
        "bad.csv, row 4, column 'Group' (B): unknown group 'astronauts'",
        "bad.csv, row 5, column 'Channel' (C): 'Carrier pigeon' is not a channel of group 'clients'",
        "bad.csv, row 6, column 'Language' (D): language 'fr' is not one of en, zh",
        "bad.csv, row 7, column 'E-mail' (A): NEW.ONE@example.com is listed twice (rows 2 and 7)",
        "bad.csv, row 9, column 'E-mail' (A): li.wei@example.cn is already a contact of group 'clients'",
    ):
        assert expected in text
    assert mailing.contact_counts(engine=engine, assessment_key="2021").total == 3

    good = (
        "email,group,channel,language,name,notes\nnew.one@example.com,clients,,,New One,met at fair\n"
        "li.wei@example.cn,clients,Official website,zh,李伟,\n"
    )
    summary = add_contacts(engine, tmp_path, good, name="good.csv")
    assert (summary.added, summary.already_listed, summary.by_group, summary.ignored_columns) == (
        1,
        1,
        {"clients": 1},
        ["notes"],
    )
    assert "met at fair" not in str(mailing.list_contacts(engine=engine, assessment_key="2021"))


def test_a_contact_workbook_and_group_names(campaign, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Email Address", "Stakeholder group", "Language", "Name"])
    sheet.append(["wang.fang@example.cn", "员工", "中文", "王芳"])
    sheet.append(["p.meyer@example.de", "Investors", "en-GB", None])
    book.save(tmp_path / "contacts.xlsx")
    summary = mailing.import_contacts(
        engine=campaign,
        assessment_key="2021",
        contact_file=mailing.read_contacts(tmp_path / "contacts.xlsx"),
    )
    assert (summary.added, summary.by_group) == (2, {"employees": 1, "investors": 1})
    listed = {c.email: c for c in mailing.list_contacts(engine=campaign, assessment_key="2021")}
    assert (listed["wang.fang@example.cn"].language, listed["wang.fang@example.cn"].name) == ("zh", "王芳")
    assert listed["p.meyer@example.de"].language == "en"


def test_purge_removes_the_addresses_for_good(campaign, mail_settings, db_url, tmp_path):
    engine = campaign
    with smtp_server() as server:
        use_server(mail_settings, server.url)
        mailing.send_invitations(engine=engine, assessment_key="2021")
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:  # the check below can fail: before the purge, the file holds the addresses
        engine.dispose()
        stored = b"".join(p.read_bytes() for p in tmp_path.glob("materiality.db*"))
        assert all(address.encode() in stored for address in ADDRESSES)
    purged = mailing.purge_contacts(engine=engine, assessment_key="2021")
    assert purged.deleted == 3 and mailing.contact_counts(engine=engine, assessment_key="2021").total == 0
    assert invitations(engine) == 3  # the links and their answers stay
    if not sqlite:
        assert "VACUUM FULL contact;" in purged.erased and "backups" in purged.erased
        return
    assert "VACUUM" in purged.erased and "emptied" in purged.erased
    engine.dispose()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("materiality.db*"))
    for address in ADDRESSES:
        assert address.encode() not in stored
    assert "李伟".encode() not in stored


# --- the command line ---------------------------------------------------------------------------------


def test_the_commands(campaign, mail_settings, db_url, tmp_path):
    runner = CliRunner()
    more = tmp_path / "more.csv"
    more.write_text("email,group\nnew@example.com,investors\n", encoding="utf-8")
    added = runner.invoke(app, ["contacts", "import", str(more), "--assessment", "2021", "--db", db_url])
    assert added.exit_code == 0, added.output
    assert "added 1 contacts to assessment '2021' (investors: 1); 0 already listed" in added.output
    with smtp_server(refuse={"new@example.com"}) as server:
        use_server(mail_settings, server.url)
        shown = runner.invoke(app, ["invite", "--assessment", "2021", "--send", "--preview", "--db", db_url])
        assert shown.exit_code == 0, shown.output
        assert (
            f"Links point to {BASE_URL}." in shown.output and "4 invitations would be sent." in shown.output
        )
        assert "token=(personal link)" in shown.output and server.mailbox.messages == []
        sent = runner.invoke(app, ["invite", "--assessment", "2021", "--send", "--db", db_url])
        assert sent.exit_code == 2, sent.output
        assert "[4/4] new@example.com: FAILED (the server refused the recipient: 550" in sent.stderr
        assert "[1/4] li.wei@example.cn: sent" in sent.stderr
        assert f"Links point to {BASE_URL}; mail goes through {server.url}." in sent.stdout
        assert "3 invitations sent, 1 failed; 4 new links issued." in sent.stdout
        listed = runner.invoke(app, ["contacts", "list", "--assessment", "2021", "--db", db_url])
        assert "last try failed: the server refused the recipient" in listed.output
        reminded = runner.invoke(
            app, ["remind", "--assessment", "2021", "--min-days", "0", "--max-reminders", "1", "--db", db_url]
        )
        assert reminded.exit_code == 0 and "3 reminders sent, 0 failed." in reminded.output
    purge = runner.invoke(app, ["contacts", "purge", "--assessment", "2021", "--yes", "--db", db_url])
    assert purge.exit_code == 0 and "Deleted 4 contacts" in purge.output
    out = tmp_path / "links.csv"
    csv_links = runner.invoke(
        app, ["invite", "--assessment", "2021", "--group", "clients", "--out", str(out), "--db", db_url]
    )
    assert csv_links.exit_code == 0, csv_links.output
    assert f"The links point to {BASE_URL} (MATERIALITY_BASE_URL, or its default)." in csv_links.output
    key = runner.invoke(app, ["contacts", "new-key"])
    assert key.exit_code == 0 and len(key.output.strip()) == 44
    both = runner.invoke(
        app, ["invite", "--assessment", "2021", "--send", "--group", "clients", "--db", db_url]
    )
    assert both.exit_code == 1 and "--send mails the contact list" in both.stderr
