"""The assessors' IRO rating form over HTTP (Starlette's test client on the real routes, a real
SQLite file and PostgreSQL): who may see what, the anti-forgery
field, every way a form can be wrong, saving and showing again, the form after sign-off, and a
database that cannot take the write."""

from __future__ import annotations

import re
import sqlite3
from html import unescape

import pytest
from sqlalchemy import event
from starlette.applications import Starlette
from starlette.testclient import TestClient

from services import accounts, dma, rating
from services import audit as audit_service
from services.assessments import create_assessment
from survey import audit
from survey.db import create_db_engine
from survey.errors import StoreError
from survey.iro_catalog import load_named_catalog
from tests.dma_fixtures import write_ratings, write_register
from web.rating import RatingWeb

PASSWORD = "a long test password"
CHAIR = "chair@example.com"
ASSESSOR = "ana@example.com"
OTHER = "ben@example.com"


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def add(engine, email: str, role: str) -> None:
    accounts.add_account(engine=engine, email=email, role=role, password=PASSWORD, actor="test-setup")


def prepare(engine, folder) -> None:
    """Accounts of every role, the hand-worked register in `2025`, N1 and R1 assigned to Ana."""
    add(engine, "admin@example.com", "admin")
    add(engine, CHAIR, "committee")
    add(engine, ASSESSOR, "assessor")
    add(engine, OTHER, "assessor")
    add(engine, "audit@example.com", "auditor")
    create_assessment(engine=engine, key="2025", year=2025, catalog=load_named_catalog("esrs-2023"))
    audit.require_accounts(True)  # as in the running app: every change from an allowed account
    dma.import_register(engine=engine, assessment_key="2025", path=write_register(folder), actor=CHAIR)
    rating.assign(engine=engine, assessment_key="2025", iros=["N1", "R1"], assessor=ASSESSOR, actor=CHAIR)


@pytest.fixture
def engine(db_url, tmp_path):
    """The prepared database, on SQLite and on PostgreSQL."""
    engine = create_db_engine(db_url)
    prepare(engine, tmp_path)
    yield engine
    audit.require_accounts(False)
    engine.dispose()


def client_for(engine, email: str | None = None) -> TestClient:
    client = TestClient(Starlette(routes=RatingWeb(lambda: engine).routes()), base_url="http://rate.test")
    if email is not None:
        result = accounts.sign_in(engine=engine, email=email, password=PASSWORD, client="test")
        assert result.ok and result.cookie
        client.cookies.set(accounts.SESSION_COOKIE, result.cookie)
    return client


def fields(html: str) -> dict[str, str]:
    """The hidden fields: the anti-forgery key and the IRO of each position."""
    return dict(re.findall(r'<input type="hidden" name="([\w-]+)" value="([^"]*)"', html))


def index_of(html: str) -> dict[str, str]:
    return {code: name.removeprefix("iro-") for name, code in fields(html).items() if name.startswith("iro-")}


def answer(html: str, given: dict[tuple[str, str], tuple[str, str]]) -> dict[str, str]:
    """A posted form: the hidden fields and, per (iro, criterion), a value and a rationale."""
    data = fields(html)
    where = index_of(html)
    for (code, criterion), (value, why) in given.items():
        if value:
            data[f"value-{where[code]}-{criterion}"] = value
        data[f"why-{where[code]}-{criterion}"] = why
    return data


def my_ratings(engine, email: str) -> dict[tuple[str, str], tuple[int, str]]:
    found = dma.dma_inputs(engine=engine, assessment_key="2025").ratings
    mine = found[found["assessor"] == email]
    return {(r["iro"], r["criterion"]): (int(r["value"]), r["rationale"]) for r in mine.to_dict("records")}


N1_FULL = {
    ("N1", "scale"): ("4", "NOx above the permit twice last winter"),
    ("N1", "scope"): ("3", "Two towns downwind"),
    ("N1", "irremediability"): ("3", "Health effects fade once emissions stop"),
}


def test_without_a_sign_in_the_browser_goes_to_the_sign_in_and_back(engine):
    with client_for(engine) as client:
        for path in ("/rate", "/rate/2025"):
            response = client.get(path, follow_redirects=False)
            assert response.status_code == 303
            assert response.headers["location"] == "/sign-in?next=" + path.replace("/", "%2F")
        posted = client.post("/rate/2025", data={"value-0-scale": "4"}, follow_redirects=False)
        assert posted.status_code == 303 and my_ratings(engine, ASSESSOR) == {}


def test_a_role_that_does_not_rate_gets_a_plain_403(engine):
    with client_for(engine, "audit@example.com") as client:
        for path in ("/rate", "/rate/2025"):
            response = client.get(path)
            assert response.status_code == 403
            assert "Your role (auditor) reads the assessment but does not rate IROs." in text_of(
                response.text
            )
        assert client.post("/rate/2025", data={}).status_code == 403


def test_an_assessor_sees_only_the_iros_assigned_to_them(engine):
    with client_for(engine, ASSESSOR) as client:
        listing = client.get("/rate")
        assert listing.status_code == 200
        assert "2025 (2025)" in text_of(listing.text) and "2 IROs, 0 of 5 criteria rated" in text_of(
            listing.text
        )
        page = client.get("/rate/2025")
    assert page.status_code == 200
    assert set(index_of(page.text)) == {"N1", "R1"}
    text = text_of(page.text)
    assert "NOx from our boilers" in text and "Overtime peaks" not in text
    assert "An actual negative impact · value chain: own operations · short term" in text
    assert "0 of 5 criteria rated" in text
    # every criterion of N1 (an actual negative impact) and R1 (a risk), each anchor labelled
    assert page.text.count('type="radio"') == 5 * 5
    assert "1 · minimal" in text and "5 · irreversible" in text
    assert page.text.count("<fieldset") == 5 and page.text.count("<legend>") == 5
    with client_for(engine, OTHER) as client:
        assert "Nothing to rate yet: no IROs are assigned to you." in text_of(client.get("/rate").text)
        refused = client.get("/rate/2025")
        assert refused.status_code == 404
        assert "you have no IROs to rate in assessment '2025'" in text_of(refused.text)


def test_an_assessor_cannot_post_an_iro_not_assigned_to_them(engine):
    with client_for(engine, ASSESSOR) as client:
        html = client.get("/rate/2025").text
        data = answer(html, N1_FULL)
        data["iro-0"] = "N2"  # the form's first position claimed for another IRO: not on the sheet
        data["value-0-scale"], data["why-0-scale"] = "5", "not mine"
        client.post("/rate/2025", data=data)
    assert ("N2", "scale") not in my_ratings(engine, ASSESSOR)
    with pytest.raises(rating.AccessDenied, match="not assigned to you: N2"):
        rating.save_sheet(
            engine=engine,
            assessment_key="2025",
            assessor=ASSESSOR,
            role="assessor",
            rows=[{"iro": "N2", "criterion": "scale", "value": 4, "rationale": "why"}],
        )


def test_the_committee_may_rate_any_iro(engine):
    with client_for(engine, CHAIR) as client:
        html = client.get("/rate/2025").text
        assert set(index_of(html)) == {"N1", "R1", "N2", "N3", "P1", "O1", "R2"}
        given = {("N2", "scope"): ("2", "Overtime in one plant"), ("O1", "magnitude"): ("4", "Grant money")}
        saved = client.post("/rate/2025", data=answer(html, given), follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/rate/2025?saved=2#saved"
    assert my_ratings(engine, CHAIR) == {
        ("N2", "scope"): (2, "Overtime in one plant"),
        ("O1", "magnitude"): (4, "Grant money"),
    }


def test_saved_ratings_are_shown_again_with_the_progress(engine):
    with client_for(engine, ASSESSOR) as client:
        html = client.get("/rate/2025").text
        given = {**N1_FULL, ("R1", "magnitude"): ("2", "A fine of \x00a few\x07 thousand")}
        done = client.post("/rate/2025", data=answer(html, given))
        assert done.status_code == 200 and str(done.url).endswith("/rate/2025?saved=4#saved")
        text = text_of(done.text)
        assert "Saved: 4 ratings." in text and "4 of 5 criteria rated" in text
        where = index_of(done.text)
        assert re.search(rf'name="value-{where["N1"]}-scale" value="4" checked', done.text)
        assert re.search(rf'name="value-{where["R1"]}-magnitude" value="2" checked', done.text)
        assert ">NOx above the permit twice last winter</textarea>" in done.text
        assert "A fine of a few thousand" in done.text  # control characters dropped
        # changing one rating replaces it
        again = answer(done.text, {("N1", "scale"): ("5", "Permit breached three times")})
        assert "?saved=1" in str(client.post("/rate/2025", data=again).url)
    assert my_ratings(engine, ASSESSOR) == {
        ("N1", "scale"): (5, "Permit breached three times"),
        ("N1", "scope"): (3, "Two towns downwind"),
        ("N1", "irremediability"): (3, "Health effects fade once emissions stop"),
        ("R1", "magnitude"): (2, "A fine of a few thousand"),
    }
    assert dma.dma_inputs(engine=engine, assessment_key="2025").state == "rating"  # a draft moves on


def test_a_rating_without_a_rationale_is_refused_and_nothing_is_saved(engine):
    with client_for(engine, ASSESSOR) as client:
        html = client.get("/rate/2025").text
        given = {
            **N1_FULL,
            ("N1", "scope"): ("3", "   "),
            ("R1", "likelihood"): ("", "Likely, but no value chosen"),
        }
        page = client.post("/rate/2025", data=answer(html, given))
    assert page.status_code == 422 and my_ratings(engine, ASSESSOR) == {}
    text = text_of(page.text)
    assert "2 answers to correct; nothing was saved yet" in text
    assert "Give the reason for this rating: every rating needs a rationale." in text
    assert "Choose a value from 1 to 5 for this reason, or clear the reason." in text
    # the jump link and the first error: the summary points at it, the page opens there
    assert 'action="/rate/2025#first-error"' in page.text
    assert page.text.count('id="first-error"') == 1
    first = page.text.index('id="first-error"')
    assert page.text.index("every rating needs a rationale", first) - first < 200
    assert 'aria-invalid="true" aria-describedby="first-error"' in page.text
    # what was given is kept
    assert ">NOx above the permit twice last winter</textarea>" in page.text
    assert ">Likely, but no value chosen</textarea>" in page.text
    assert re.search(r'value="4" checked', page.text)


def test_a_value_off_the_scale_is_refused(engine):
    with client_for(engine, ASSESSOR) as client:
        html = client.get("/rate/2025").text
        page = client.post("/rate/2025", data=answer(html, {("N1", "scale"): ("9", "Off the scale")}))
    assert page.status_code == 422 and "Choose one of the values 1 to 5." in text_of(page.text)
    assert my_ratings(engine, ASSESSOR) == {}


@pytest.mark.parametrize("forgery", ["no key", "wrong key", "other site", "cross-site fetch"])
def test_a_forged_post_is_refused_and_the_answers_kept(engine, forgery):
    with client_for(engine, ASSESSOR) as client:
        data = answer(client.get("/rate/2025").text, N1_FULL)
        headers = {}
        if forgery == "no key":
            del data["csrf"]
        elif forgery == "wrong key":
            data["csrf"] = "0" * 64
        elif forgery == "other site":
            headers["origin"] = "https://attacker.example"
        else:
            headers["sec-fetch-site"] = "cross-site"
        page = client.post("/rate/2025", data=data, headers=headers)
    assert page.status_code == 403 and my_ratings(engine, ASSESSOR) == {}
    assert "nothing was saved" in text_of(page.text)
    assert ">Two towns downwind</textarea>" in page.text


def test_a_key_from_another_session_is_refused(engine):
    with client_for(engine, ASSESSOR) as first:
        stale = fields(first.get("/rate/2025").text)["csrf"]
    with client_for(engine, ASSESSOR) as second:
        data = {**answer(second.get("/rate/2025").text, N1_FULL), "csrf": stale}
        assert second.post("/rate/2025", data=data).status_code == 403


def test_after_sign_off_the_form_is_read_only(engine, tmp_path):
    dma.import_ratings(engine=engine, assessment_key="2025", path=write_ratings(tmp_path), actor=CHAIR)
    dma.set_thresholds(
        engine=engine, assessment_key="2025", impact=3, financial=2.5, reason="policy", actor=CHAIR
    )
    dma.advance(engine=engine, assessment_key="2025", actor=CHAIR)
    dma.set_consensus(
        engine=engine,
        assessment_key="2025",
        iro_id="N2",
        criterion="scope",
        value=3,
        rationale="Two of five sites",
        actor=CHAIR,
    )
    dma.sign_off(engine=engine, assessment_key="2025", actor=CHAIR, reason="Board meeting")
    with client_for(engine, ASSESSOR) as client:
        page = client.get("/rate/2025")
        assert page.status_code == 200
        assert "Signed off: read-only" in text_of(page.text) and "Save my ratings" not in page.text
        assert page.text.count(" disabled>") == 25 and page.text.count(" readonly>") == 5
        late = client.post("/rate/2025", data=answer(page.text, N1_FULL))
        assert late.status_code == 409 and "Signed off: read-only" in text_of(late.text)
    assert my_ratings(engine, ASSESSOR) == {}


@pytest.mark.parametrize("trouble", ["locked", "full", "read-only"])
def test_a_database_that_cannot_write_asks_to_try_again_and_keeps_the_answers(tmp_path, trouble):
    path = tmp_path / "trouble.db"
    engine = create_db_engine(f"sqlite:///{path}")
    try:
        prepare(engine, tmp_path)
        with client_for(engine, ASSESSOR) as client:
            given = {**N1_FULL, ("R1", "magnitude"): ("3", "需要更多页面" * 600)}  # new pages of the file
            data = answer(client.get("/rate/2025").text, given)
            cookie = client.cookies.get(accounts.SESSION_COOKIE)

        @event.listens_for(engine, "connect")
        def _trouble(dbapi_connection, _record):
            if trouble == "locked":
                dbapi_connection.execute("PRAGMA busy_timeout = 200")
            elif trouble == "full":  # the file may not grow: SQLite says "database or disk is full"
                pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
                dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")
            else:
                dbapi_connection.execute("PRAGMA query_only = ON")

        engine.dispose()
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("VACUUM")  # no free pages left inside the file
        holder.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if trouble == "locked":
            holder.execute("BEGIN EXCLUSIVE")
        try:
            with client_for(engine) as client:
                client.cookies.set(accounts.SESSION_COOKIE, cookie)
                page = client.post("/rate/2025", data=data)
        finally:
            holder.close()
        event.remove(engine, "connect", _trouble)
        engine.dispose()
        assert page.status_code == 503 and page.headers["retry-after"] == "60"
        assert "please try again in a minute" in text_of(page.text)
        assert "Traceback" not in page.text and "sqlite" not in page.text.lower()
        assert ">Two towns downwind</textarea>" in page.text
        assert my_ratings(engine, ASSESSOR) == {}
    finally:
        audit.require_accounts(False)
        engine.dispose()


def test_assignments_are_audited_and_checked(db_url, tmp_path):
    engine = create_db_engine(db_url)
    try:
        prepare(engine, tmp_path)
        with pytest.raises(StoreError, match="not in the IRO register of assessment '2025': X9"):
            rating.assign(
                engine=engine, assessment_key="2025", iros=["N1", "X9"], assessor=OTHER, actor=CHAIR
            )
        with pytest.raises(StoreError, match=r"audit@example.com \(auditor\) cannot rate"):
            rating.assign(
                engine=engine, assessment_key="2025", iros=["N1"], assessor="audit@example.com", actor=CHAIR
            )
        with pytest.raises(rating.AccessDenied):  # an assessor may not assign
            rating.assign(
                engine=engine, assessment_key="2025", iros=["N2"], assessor=ASSESSOR, actor=ASSESSOR
            )
        assert (
            rating.assign(
                engine=engine, assessment_key="2025", iros=["N1", "N2"], assessor=ASSESSOR, actor=CHAIR
            )
            == 1
        )  # N1 was assigned already
        assert (
            rating.unassign(engine=engine, assessment_key="2025", iros=["R1"], assessor=ASSESSOR, actor=CHAIR)
            == 1
        )
        table = rating.assignments(engine=engine, assessment_key="2025")
        assert table[["iro", "assessor"]].values.tolist() == [["N1", ASSESSOR], ["N2", ASSESSOR]]
        assert set(table["assigned_by"]) == {CHAIR}
        log = audit_service.audit_rows(engine=engine, assessment="2025")
        actions = [(e["actor"], e["action"]) for e in log if e["action"].startswith("iro.assignment")]
        assert actions == [
            (CHAIR, "iro.assignment.add"),
            (CHAIR, "iro.assignment.add"),
            (CHAIR, "iro.assignment.remove"),
        ]
    finally:
        audit.require_accounts(False)
        engine.dispose()


def test_hostile_text_is_shown_as_text(engine):
    payload = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    with client_for(engine, ASSESSOR) as client:
        html = client.get("/rate/2025").text
        client.post("/rate/2025", data=answer(html, {("N1", "scale"): ("2", payload)}))
        page = client.get("/rate/2025").text
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert my_ratings(engine, ASSESSOR)[("N1", "scale")] == (2, payload)
    assert page.count("<script") == 0  # the form needs no script at all
