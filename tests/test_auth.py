"""Committee password: scrypt hashes, the stored generated password, slowed-down failures."""

from __future__ import annotations

import base64
import hashlib

from sqlalchemy import select

from survey.auth import (
    ADMIN_PASSWORD_SETTING,
    LoginThrottle,
    ensure_admin_password,
    hash_password,
    verify_password,
)
from survey.db import transaction
from survey.models import AppSetting


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


def test_generated_password_is_stored_as_hash_once(engine):
    with transaction(engine) as session:
        digest, password = ensure_admin_password(session=session, configured=None)
    assert password and len(password) == 20 and verify_password(password, digest)
    with transaction(engine) as session:
        again, none = ensure_admin_password(session=session, configured=None)
        stored = session.scalars(
            select(AppSetting.value).where(AppSetting.key == ADMIN_PASSWORD_SETTING)
        ).all()
    assert none is None and again == digest and stored == [digest]
    assert password not in stored[0]
    with transaction(engine) as session:
        configured, none = ensure_admin_password(session=session, configured="chosen one")
    assert (
        none is None
        and verify_password("chosen one", configured)
        and not verify_password(password, configured)
    )


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_failed_logins_are_slowed_down_and_forgotten():
    clock = FakeClock()
    throttle = LoginThrottle(base=0.5, cap=4.0, window=60.0, clock=clock, sleep=clock.sleep)
    stored = hash_password("right")
    assert [throttle.check("wrong", stored) for _ in range(5)] == [False] * 5
    assert clock.slept == [0.0, 0.5, 1.0, 2.0, 4.0]
    assert throttle.check("right", stored) and clock.slept[-1] == 4.0
    assert throttle.delay() == 0.0  # a success clears the failures
    throttle.check("wrong", stored)
    clock.now += 61  # failures older than the window are forgotten
    assert throttle.delay() == 0.0
