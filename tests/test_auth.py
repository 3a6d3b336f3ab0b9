"""Accounts, the first admin, `materiality users`, sessions and the sign-in throttle, on SQLite
and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from cli import app
from services import accounts, audit
from survey import accounts_signin
from survey.auth import ADMIN_PASSWORD_SETTING, hash_password, verify_password
from survey.db import transaction
from survey.models import Account, AppSetting, SignInSession
from survey.settings import get_settings

runner = CliRunner()
GOOD = "correct horse battery staple"


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch):
    monkeypatch.delenv("MATERIALITY_ADMIN_PASSWORD", raising=False)
    get_settings.cache_clear()
    audit.use_command_line_actor(None)
    yield
    get_settings.cache_clear()


class Clock:
    """utcnow for the sign-in code, moved by the test."""

    def __init__(self):
        self.now = accounts_signin.utcnow()

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(accounts_signin, "utcnow", c)
    return c


def test_hash_is_salted_scrypt_and_verifies():
    first, second = hash_password("s3cret"), hash_password("s3cret")
    assert first != second and first.startswith("scrypt$16384$8$1$")
    assert verify_password("s3cret", first) and verify_password("s3cret", second)
    assert not verify_password("s3cret ", first) and not verify_password("", first)
    assert not verify_password("s3cret", "plain-text") and not verify_password("s3cret", "md5$x$y$z$a$b")
    # The key is hashlib's scrypt of the password with the stored salt (RFC 7914 parameters).
    salt = b"0123456789abcdef"
    key = hashlib.scrypt(b"s3cret", salt=salt, n=16384, r=8, p=1, dklen=32)
    assert hash_password("s3cret", salt=salt).split("$")[-1] == base64.urlsafe_b64encode(key).decode()


# --- the first admin ---------------------------------------------------------------------------


def test_first_start_generates_a_one_time_password_stored_only_as_a_hash(engine):
    first = accounts.first_start(engine=engine)
    assert first.email == "admin@localhost" and first.password and len(first.password) == 20
    message = accounts.first_start_message(first)
    assert first.password in message and "materiality users reset-password admin@localhost" in message
    with transaction(engine, write=False) as session:
        (account,) = session.scalars(select(Account)).all()
    assert account.role == "admin" and first.password not in account.password_hash
    assert accounts.sign_in(engine=engine, email="ADMIN@localhost ", password=first.password, client="c").ok
    again = accounts.first_start(engine=engine)  # the next start makes nothing and says nothing
    assert again.email is None and accounts.first_start_message(again) is None


def test_the_shared_password_of_an_older_database_becomes_the_first_admin(engine):
    with transaction(engine) as session:
        session.add(AppSetting(key=ADMIN_PASSWORD_SETTING, value=hash_password("the committee's old one")))
    first = accounts.first_start(engine=engine)
    assert first.password is None and first.source == "the committee's shared password"
    assert "with the committee's shared password" in accounts.first_start_message(first)
    assert accounts.sign_in(
        engine=engine, email="admin@localhost", password="the committee's old one", client="c"
    ).ok


def test_a_configured_password_and_address_make_the_first_admin(engine, monkeypatch):
    monkeypatch.setenv("MATERIALITY_ADMIN_PASSWORD", GOOD)
    monkeypatch.setenv("MATERIALITY_ADMIN_EMAIL", "chair@example.org")
    get_settings.cache_clear()
    first = accounts.first_start(engine=engine)
    assert first.email == "chair@example.org" and first.password is None
    assert accounts.sign_in(engine=engine, email="chair@example.org", password=GOOD, client="c").ok
    rows = audit.audit_rows(engine=engine)
    assert rows[0]["action"] == "system.first_admin" and rows[0]["actor"] == "system"


# --- materiality users -------------------------------------------------------------------------


def test_users_commands(engine):
    url = url_of(engine)
    added = runner.invoke(
        app,
        ["--actor", "it-desk", "users", "add", "Ann@Example.com", "--role", "committee", "--db", url],
        input=GOOD + "\n",
    )
    assert added.exit_code == 0, added.output
    assert "Added ann@example.com as committee." in added.output
    short = runner.invoke(
        app, ["users", "add", "bo@example.com", "--role", "auditor", "--db", url], input="short\n"
    )
    assert short.exit_code == 1 and "password: a password needs at least 12 characters" in short.output
    bad_role = runner.invoke(
        app, ["users", "add", "bo@example.com", "--role", "boss", "--db", url], input=GOOD + "\n"
    )
    assert (
        bad_role.exit_code == 1
        and "role: 'boss' is not one of admin, committee, assessor, auditor" in bad_role.output
    )
    bad_email = runner.invoke(
        app, ["users", "add", "not-an-address", "--role", "auditor", "--db", url], input=GOOD + "\n"
    )
    assert bad_email.exit_code == 1 and "is not an e-mail address" in bad_email.output
    twice = runner.invoke(
        app, ["users", "add", "ann@example.com", "--role", "auditor", "--db", url], input=GOOD + "\n"
    )
    assert twice.exit_code == 1 and "there is an account for ann@example.com already" in twice.output
    sso = runner.invoke(
        app, ["users", "add", "sso@example.com", "--role", "auditor", "--no-password", "--db", url]
    )
    assert sso.exit_code == 0, sso.output

    listed = runner.invoke(app, ["users", "list", "--db", url])
    assert listed.output.splitlines() == [
        "ann@example.com\tcommittee\tenabled\tpassword",
        "sso@example.com\tauditor\tenabled\tidentity provider only",
    ]
    signed = accounts.sign_in(engine=engine, email="ann@example.com", password=GOOD, client="c")
    assert signed.ok and accounts.session_account(engine=engine, cookie=signed.cookie) is not None

    reset = runner.invoke(
        app, ["users", "reset-password", "ann@example.com", "--db", url], input="a brand new password\n"
    )
    assert reset.exit_code == 0, reset.output
    assert accounts.session_account(engine=engine, cookie=signed.cookie) is None  # sign-ins ended
    assert not accounts.sign_in(engine=engine, email="ann@example.com", password=GOOD, client="c").ok
    assert accounts.sign_in(
        engine=engine, email="ann@example.com", password="a brand new password", client="c"
    ).ok

    assert runner.invoke(app, ["users", "role", "ann@example.com", "admin", "--db", url]).exit_code == 0
    disabled = runner.invoke(app, ["users", "disable", "ann@example.com", "--db", url])
    assert disabled.exit_code == 1 and "last enabled admin" in disabled.output
    assert runner.invoke(app, ["users", "role", "sso@example.com", "admin", "--db", url]).exit_code == 0
    assert runner.invoke(app, ["users", "disable", "ann@example.com", "--db", url]).exit_code == 0
    assert not accounts.sign_in(
        engine=engine, email="ann@example.com", password="a brand new password", client="c"
    ).ok
    assert runner.invoke(app, ["users", "enable", "ann@example.com", "--db", url]).exit_code == 0
    missing = runner.invoke(app, ["users", "disable", "nobody@example.com", "--db", url])
    assert missing.exit_code == 1 and "no account for nobody@example.com" in missing.output

    actions = [(r["actor"], r["action"]) for r in audit.audit_rows(engine=engine)]
    assert ("it-desk", "account.add") in actions and (actions[-1][1] == "account.enable")
    assert ("ann@example.com", "signin.failed") in actions and (
        "ann@example.com",
        "signin.password",
    ) in actions


# --- sessions ----------------------------------------------------------------------------------


@pytest.fixture
def ann(engine):
    accounts.add_account(engine=engine, email="ann@example.com", role="committee", password=GOOD)
    return engine


def test_a_session_ends_when_idle_signed_out_forged_or_expired(ann, clock, monkeypatch):
    engine = ann
    signed = accounts.sign_in(engine=engine, email="ann@example.com", password=GOOD, client="c")
    assert accounts.session_account(engine=engine, cookie=signed.cookie).email == "ann@example.com"
    token, _, signature = signed.cookie.rpartition(".")
    assert accounts.session_account(engine=engine, cookie=f"{token}.{'0' * len(signature)}") is None
    assert accounts.session_account(engine=engine, cookie=token) is None
    with transaction(engine, write=False) as session:
        stored = session.scalars(select(SignInSession.token_hash)).all()
    assert token not in "".join(stored)  # only the hash is kept

    clock.now += timedelta(minutes=29)
    assert (
        accounts.session_account(engine=engine, cookie=signed.cookie) is not None
    )  # used: idle again from now
    clock.now += timedelta(minutes=29)
    assert accounts.session_account(engine=engine, cookie=signed.cookie) is not None
    clock.now += timedelta(minutes=31)
    assert accounts.session_account(engine=engine, cookie=signed.cookie) is None  # idle too long

    second = accounts.sign_in(engine=engine, email="ann@example.com", password=GOOD, client="c")
    accounts.sign_out(engine=engine, cookie=second.cookie)
    assert accounts.session_account(engine=engine, cookie=second.cookie) is None

    monkeypatch.setenv("MATERIALITY_SESSION_IDLE_MINUTES", "10000")
    get_settings.cache_clear()
    third = accounts.sign_in(engine=engine, email="ann@example.com", password=GOOD, client="c")
    for _ in range(13):  # used every hour, yet it ends 12 hours after sign-in
        clock.now += timedelta(hours=1)
        alive = accounts.session_account(engine=engine, cookie=third.cookie) is not None
    assert not alive
    actions = [r["action"] for r in audit.audit_rows(engine=engine)]
    assert actions.count("signin.password") == 3 and actions.count("signin.out") == 1


# --- the throttle ------------------------------------------------------------------------------


def guess(engine, client: str, *, email: str = "ann@example.com", device: str | None = None):
    return accounts.sign_in(
        engine=engine, email=email, password="wrong guess!", client=client, device_cookie=device
    )


def test_ten_wrong_passwords_a_minute_lock_the_client_and_account_with_growing_waits(ann, clock):
    engine = ann
    results = [guess(engine, "10.0.0.1") for _ in range(10)]
    assert all(not r.ok for r in results)
    assert [r.retry_after for r in results] == [0] * 9 + [15]
    assert (
        results[-1].message
        == "That e-mail address and password do not match. Too many wrong passwords: try again in 15 s."
    )
    started = time.perf_counter()
    held = accounts.sign_in(engine=engine, email="ann@example.com", password=GOOD, client="10.0.0.1")
    assert time.perf_counter() - started < 0.5  # answered at once, the password not even checked
    assert (
        not held.ok
        and held.message == "Too many wrong passwords: try again in 15 s."
        and held.retry_after == 15
    )
    clock.now += timedelta(seconds=10)
    assert guess(engine, "10.0.0.1").retry_after == 5
    clock.now += timedelta(seconds=6)
    second = [guess(engine, "10.0.0.1") for _ in range(10)]
    assert second[-1].retry_after == 30  # the next lock is twice as long
    clock.now += timedelta(seconds=31)
    assert [guess(engine, "10.0.0.1") for _ in range(10)][-1].retry_after == 60
    clock.now += timedelta(hours=2)  # a long quiet spell: back to the first wait
    assert [guess(engine, "10.0.0.1") for _ in range(10)][-1].retry_after == 15
    clock.now += timedelta(seconds=16)
    assert accounts.sign_in(engine=engine, email="ann@example.com", password=GOOD, client="10.0.0.1").ok


def test_wrong_passwords_spread_over_more_than_a_minute_do_not_lock(ann, clock):
    for _ in range(3):
        assert all(guess(ann, "10.0.0.1").retry_after == 0 for _ in range(9))
        clock.now += timedelta(seconds=61)
    assert accounts.sign_in(engine=ann, email="ann@example.com", password=GOOD, client="10.0.0.1").ok


def test_a_guesser_never_delays_the_owner_signing_in_from_elsewhere(ann, clock):
    engine = ann
    owner = accounts.sign_in(engine=engine, email="ann@example.com", password=GOOD, client="192.168.1.5")
    assert owner.ok and owner.device_cookie
    # someone guesses from another client, under the account's limit: the owner's new browser is not slowed
    for _ in range(5):
        guess(engine, "203.0.113.9")
    started = time.perf_counter()
    assert accounts.sign_in(engine=engine, email="ann@example.com", password=GOOD, client="198.51.100.7").ok
    assert time.perf_counter() - started < 0.5
    # past the limit the account is locked: no guesser gets in from any address without the device cookie
    for _ in range(5):
        guess(engine, "203.0.113.9")
    assert guess(engine, "203.0.113.10").retry_after > 0
    held = accounts.sign_in(engine=engine, email="ann@example.com", password=GOOD, client="198.51.100.8")
    assert not held.ok and held.retry_after == 15
    # ... but the owner's browser that signed in before gets in at once
    started = time.perf_counter()
    again = accounts.sign_in(
        engine=engine,
        email="ann@example.com",
        password=GOOD,
        client="192.168.1.5",
        device_cookie=owner.device_cookie,
    )
    assert again.ok and time.perf_counter() - started < 0.5
    # a device cookie is bound to its account, and forging one does not help
    forged = owner.device_cookie.replace("ann@example.com", "bo@example.com")
    assert guess(engine, "192.0.2.1", device=forged).retry_after > 0


def test_an_unknown_address_is_counted_and_answered_like_a_wrong_password(ann):
    started = time.perf_counter()
    unknown = guess(ann, "10.0.0.3", email="nobody@example.com")
    elapsed = time.perf_counter() - started
    assert unknown.message == accounts.WRONG and elapsed > 0.01  # a password hash was checked all the same
    assert [guess(ann, "10.0.0.3", email=f"n{i}@example.com").retry_after for i in range(9)][
        -1
    ] == 15  # per client


def test_the_throttle_is_shared_through_the_database(ann, db_url):
    """Two app servers on one database: the second sees the first's lock."""
    from survey.db import create_db_engine

    other = create_db_engine(db_url)
    try:
        for _ in range(10):
            guess(ann, "10.0.0.9")
        assert guess(other, "10.0.0.9").retry_after > 0
    finally:
        other.dispose()


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(ann):
    signed = accounts.sign_in(engine=ann, email="ann@example.com", password=GOOD, client="c")
    accounts.add_account(engine=ann, email="root@example.com", role="admin", password=GOOD)
    accounts.set_disabled(engine=ann, email="ann@example.com", disabled=True, actor="root@example.com")
    assert accounts.session_account(engine=ann, cookie=signed.cookie) is None
    assert not accounts.sign_in(engine=ann, email="ann@example.com", password=GOOD, client="c").ok
    with transaction(ann) as session:
        session.execute(update(Account).where(Account.email == "ann@example.com").values(disabled=False))
    assert accounts.sign_in(engine=ann, email="ann@example.com", password=GOOD, client="c").ok


def test_the_docs_name_only_commands_that_exist():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    text = (root / "docs" / "accounts.md").read_text() + (root / "README.md").read_text()
    named = set(re.findall(r"materiality users ([a-z-]+)", text))
    assert {"add", "list", "reset-password", "role", "disable", "enable"} <= named
    listed = runner.invoke(app, ["users", "--help"]).output
    for command in named:
        assert command in listed, command
    assert "--actor" in runner.invoke(app, ["--help"]).output
    assert "--since" in runner.invoke(app, ["audit", "--help"]).output


def test_concurrent_guesses_cannot_slip_past_the_limit(ann):
    """Twenty guesses at once from twenty clients: only ten have their password checked."""
    import threading

    results = []

    def one(n: int) -> None:
        results.append(guess(ann, f"10.1.0.{n}"))

    threads = [threading.Thread(target=one, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    checked = [r for r in audit.audit_rows(engine=ann) if r["action"] == "signin.failed"]
    assert len(results) == 20 and len(checked) == 10
    assert sum(1 for r in results if r.retry_after) >= 10


def test_a_right_password_as_the_tenth_attempt_gets_in_and_is_not_counted_as_wrong(ann):
    for _ in range(9):
        guess(ann, "10.2.0.1")
    assert accounts.sign_in(engine=ann, email="ann@example.com", password=GOOD, client="10.2.0.1").ok
    assert guess(ann, "10.2.0.2").retry_after == 15  # the tenth wrong one in the minute
    checked = [r for r in audit.audit_rows(engine=ann) if r["action"] == "signin.failed"]
    assert len(checked) == 10
