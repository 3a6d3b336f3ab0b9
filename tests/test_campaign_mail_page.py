"""The e-mail part of the Campaign page through Streamlit's AppTest: what it says without mail
settings, and invitations sent from it through a real SMTP server."""

from __future__ import annotations

from smtp_server import smtp_server
from test_app_pages import point_app_at, signed_in

from services import mailing
from survey.assessments import create_assessment, set_status
from survey.db import create_db_engine, transaction
from survey.settings import get_settings
from survey.tokens import new_mail_key

CONTACTS = b"email,group,language\nana@example.com,employees,en\nli.wei@example.cn,clients,zh\n"


def test_campaign_page_sends_invitations(tmp_path, monkeypatch, catalog):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    point_app_at(url, monkeypatch)
    engine = create_db_engine(url)
    with transaction(engine) as session:
        create_assessment(session=session, key="2021", year=2021, catalog=catalog)
    mailing.import_contacts(
        engine=engine,
        assessment_key="2021",
        contact_file=mailing.read_contacts(CONTACTS, filename="contacts.csv"),
    )
    at = signed_in("app_pages/campaign.py", "2021")
    assert any("2 contacts: 0 invited, 2 not invited yet" in m.value for m in at.markdown)
    assert any("no mail server: set MATERIALITY_SMTP_URL" in i.value for i in at.info)
    assert any("Links will carry **http://localhost:8501**" in c.value for c in at.caption)

    with transaction(engine) as session:
        set_status(session=session, key="2021", status="open")
    with smtp_server() as server:
        monkeypatch.setenv("MATERIALITY_SMTP_URL", server.url)
        monkeypatch.setenv("MATERIALITY_MAIL_FROM", "esg@example.com")
        monkeypatch.setenv("MATERIALITY_MAIL_KEY", new_mail_key())
        monkeypatch.setenv("MATERIALITY_MAIL_PER_MINUTE", "10000")
        get_settings.cache_clear()
        at = signed_in("app_pages/campaign.py", "2021")
        assert at.button(key="mail_invite").label == "Send 2 invitations"
        assert at.button(key="mail_remind").disabled  # nobody invited yet
        at.button(key="mail_invite").click().run()
        assert not at.exception, at.exception
        assert [s.value for s in at.success] == ["2 invitations sent, 0 failed; 2 new links issued."]
        assert sorted(m["To"] for m in server.mailbox.messages) == ["ana@example.com", "li.wei@example.cn"]
        assert any("2 contacts: 2 invited, 0 not invited yet" in m.value for m in at.markdown)
    get_settings.cache_clear()
    engine.dispose()
