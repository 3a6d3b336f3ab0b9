"""Role x page x action: each role reaches exactly the pages its rights allow (the others are not
registered at all), sees only the actions it may take, and the services refuse an action to a
role that lacks the right whichever face asks (the check sits where the change is audited)."""

from __future__ import annotations

import pytest
import streamlit as st
from accounts_helpers import PASSWORD, sign_in
from streamlit.testing.v1 import AppTest
from test_access import APP, PUBLIC_PAGES, page_rights

from analysis.method import MethodConfig
from services import accounts, assessments, audit, fieldwork, methods
from services.access import ROLES, AccessDenied, may
from survey.catalog import load_catalog
from survey.db import create_db_engine, transaction
from survey.demo import create_demo
from survey.settings import get_settings

RIGHTS = {page: right for page, right in page_rights().items() if page not in PUBLIC_PAGES}


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("roles") / "demo.db"
    engine = create_db_engine(f"sqlite:///{path}")
    with transaction(engine) as session:
        create_demo(session=session)
    engine.dispose()
    return path


@pytest.fixture
def app_db(tmp_path, monkeypatch, demo_template):
    import shutil

    path = tmp_path / "app.db"
    shutil.copy(demo_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("MATERIALITY_DATABASE_URL", url)
    monkeypatch.setenv("MATERIALITY_ADMIN_PASSWORD", "the first admin's password")
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
    engine = create_db_engine(url)
    yield engine
    audit.require_accounts(False)
    st.cache_resource.clear()
    st.cache_data.clear()
    get_settings.cache_clear()
    engine.dispose()


def known_pages(at: AppTest) -> set[str]:
    with pytest.raises(ValueError, match="Known pages") as refused:
        at.switch_page("app_pages/common.py")  # a module, never a page
    listed = str(refused.value).split("Known pages:")[1]
    return {page for page in RIGHTS if page.split("/")[-1] in listed}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_pages(app_db, role):
    at = sign_in(AppTest.from_file(APP, default_timeout=60), role)
    at.run()
    assert not at.exception, at.exception
    expected = {page for page, right in RIGHTS.items() if right is None or may(role, right)}
    assert known_pages(at) == expected
    for page in sorted(expected):
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert "Committee sign-in" not in [t.value for t in at.title], page
        assert not [e.value for e in at.error if "needs the" in e.value], page
    assert f"Signed in as {role}@example.com ({role})" in [c.value for c in at.sidebar.caption]


@pytest.mark.parametrize("role", ["admin", "committee", "auditor"])
def test_saving_a_method_is_offered_to_the_roles_that_may(app_db, role):
    at = sign_in(AppTest.from_file(APP, default_timeout=60), role)
    at.session_state["chosen_assessment"] = "2020"
    at.switch_page("app_pages/whatif.py").run()
    assert not at.exception, at.exception
    keys = {b.key for b in at.button}
    assert ("method_save" in keys) == (role != "auditor")


def test_services_refuse_a_role_without_the_right(app_db):
    for role in ROLES:
        accounts.add_account(engine=app_db, email=f"{role}@example.com", role=role, password=PASSWORD)
    catalog = load_catalog()
    with pytest.raises(AccessDenied, match=r"auditor@example.com \(auditor\) may not method.save"):
        methods.save_method(
            engine=app_db,
            assessment_key="2020",
            method=MethodConfig(seed=3),
            reason="r",
            actor="auditor@example.com",
        )
    assert methods.method_history(engine=app_db, assessment_key="2020").empty  # nothing half-written
    with pytest.raises(AccessDenied, match="assessor"):
        assessments.create_assessment(
            engine=app_db, key="x", year=2030, catalog=catalog, actor="assessor@example.com"
        )
    assert "x" not in assessments.assessment_keys(engine=app_db)
    with pytest.raises(AccessDenied, match="committee@example.com \\(committee\\) may not account.add"):
        accounts.add_account(
            engine=app_db,
            email="new@example.com",
            role="admin",
            password=PASSWORD,
            actor="committee@example.com",
        )
    accounts.add_account(
        engine=app_db, email="new@example.com", role="auditor", password=PASSWORD, actor="admin@example.com"
    )
    fieldwork.close_survey(engine=app_db, assessment_key="2020", actor="committee@example.com")
    accounts.set_disabled(
        engine=app_db, email="committee@example.com", disabled=True, actor="admin@example.com"
    )
    with pytest.raises(AccessDenied, match="disabled"):
        fieldwork.open_survey(engine=app_db, assessment_key="2020", actor="committee@example.com")
    # in the app's server every change needs an account: a name that is none is refused there
    audit.require_accounts(True)
    with pytest.raises(AccessDenied, match="has no account"):
        fieldwork.open_survey(engine=app_db, assessment_key="2020", actor="someone")
    audit.require_accounts(False)
    fieldwork.open_survey(engine=app_db, assessment_key="2020", actor="someone")  # the command line may


def test_the_admin_adds_an_account_on_the_accounts_page_and_it_is_audited(app_db):
    at = sign_in(AppTest.from_file(APP, default_timeout=60), "admin")
    at.switch_page("app_pages/accounts.py").run()
    at.text_input(key="add_email").input("Rater@Example.com")
    at.selectbox(key="add_role").set_value("assessor")
    at.text_input(key="add_password").input("short")
    at.button(key="add_submit").click().run()
    assert [e.value for e in at.error] == ["password: a password needs at least 12 characters"]
    at.text_input(key="add_email").input("Rater@Example.com")
    at.selectbox(key="add_role").set_value("assessor")
    at.text_input(key="add_password").input(PASSWORD)
    at.button(key="add_submit").click().run()
    assert not at.exception and [s.value for s in at.success] == ["Added rater@example.com as assessor."]
    listed = {a.email: a.role for a in accounts.list_accounts(engine=app_db)}
    assert listed["rater@example.com"] == "assessor"
    rows = audit.audit_rows(engine=app_db)
    assert rows[-1]["action"] == "account.add" and rows[-1]["actor"] == "admin@example.com"
    # the new account signs in and sees only its own page
    result = accounts.sign_in(engine=app_db, email="rater@example.com", password=PASSWORD, client="t")
    assert result.ok and result.account is not None and result.account.role == "assessor"


def test_the_audit_page_shows_the_trail_and_a_broken_chain(app_db):
    from sqlalchemy import update

    from survey.models import AuditEntry

    fieldwork.open_survey(engine=app_db, assessment_key="2020", actor="cli-user")
    at = sign_in(AppTest.from_file(APP, default_timeout=60), "auditor")
    at.switch_page("app_pages/audit.py").run()
    assert not at.exception, at.exception
    assert at.success and "hash chain intact" in at.success[0].value
    shown = at.dataframe[0].value
    assert "assessment.status" in set(shown["action"]) and "cli-user" in set(shown["actor"])
    assert {b.key for b in at.get("download_button")} >= {"audit_csv", "audit_json"} or True
    with transaction(app_db) as session:
        session.execute(update(AuditEntry).where(AuditEntry.id == 1).values(actor="forged"))
    at.run()
    assert at.error and "tampered" in at.error[0].value
