"""The sign-in routes and middleware over HTTP, against `streamlit run app.py` on loopback:
security headers on every kind of response, the metrics closed to anonymous visitors, the
redirect that keeps a deep link, the cookie's flags, a form from another site refused, the
throttle's answer, sign-out; and the first start's one-time password printed on the console."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from browser import streamlit_app

from services import accounts

PASSWORD = "the first admin's password"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, *, data: dict | None = None, headers: dict | None = None, cookie: str | None = None):
    """(status, headers, body) without following redirects."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=dict(headers or {}))
    if cookie:
        request.add_header("Cookie", cookie)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as answer:
            return answer.status, answer.headers, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{folder / 'web.db'}"
    with streamlit_app(url, folder / "streamlit.log", password=PASSWORD) as base:
        yield base


def session_cookie(headers) -> str:
    for value in headers.get_all("set-cookie"):
        if value.startswith(accounts.SESSION_COOKIE + "="):
            return value
    raise AssertionError("no session cookie set")


def test_every_response_carries_the_security_headers(server):
    for path, accept in [
        ("/", "text/html"),
        ("/sign-in", "text/html"),
        ("/_stcore/health", "*/*"),
        ("/favicon.png", "*/*"),
        ("/no-such-file.js", "*/*"),
        ("/_stcore/metrics", "*/*"),
    ]:
        status, headers, _ = fetch(server + path, headers={"Accept": accept})
        csp = headers["content-security-policy"]
        assert (
            "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "object-src 'none'" in csp
        ), path
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff", path
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0], path


def test_metrics_are_closed_to_anonymous_visitors_and_open_to_an_admin(server):
    status, _, body = fetch(server + "/_stcore/metrics")
    assert status == 403 and "Sign in as an admin" in body
    status, headers, _ = fetch(
        server + "/sign-in",
        data={"email": "admin@localhost", "password": PASSWORD, "next": "/"},
        headers={"Origin": server},
    )
    assert status == 303
    cookie = session_cookie(headers).split(";")[0]
    status, _, body = fetch(server + "/_stcore/metrics", cookie=cookie)
    assert status == 200 and "session" in body.lower()


def test_a_deep_link_is_kept_through_sign_in_and_the_cookie_is_locked_down(server):
    status, headers, _ = fetch(server + "/matrix?topic=a", headers={"Accept": "text/html"})
    assert status == 303 and headers["location"] == "/sign-in?next=%2Fmatrix%3Ftopic%3Da"
    status, _, body = fetch(server + headers["location"], headers={"Accept": "text/html"})
    assert status == 200 and 'name="next" value="/matrix?topic=a"' in body
    status, headers, _ = fetch(
        server + "/sign-in",
        data={"email": "admin@localhost", "password": PASSWORD, "next": "/matrix?topic=a"},
        headers={"Origin": server},
    )
    assert status == 303 and headers["location"] == "/matrix?topic=a"
    flags = session_cookie(headers).lower()
    assert "httponly" in flags and "samesite=lax" in flags and "max-age=43200" in flags and "path=/" in flags
    cookie = session_cookie(headers).split(";")[0]
    status, _, _ = fetch(server + "/matrix", headers={"Accept": "text/html"}, cookie=cookie)
    assert status == 200
    # an address elsewhere is never where sign-in leads
    for elsewhere in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        status, headers, _ = fetch(
            server + "/sign-in",
            data={"email": "admin@localhost", "password": PASSWORD, "next": elsewhere},
            headers={"Origin": server},
        )
        assert status == 303 and headers["location"] == "/", elsewhere

    # sign-out ends the session on the server
    status, headers, _ = fetch(server + "/sign-out", data={}, headers={"Origin": server}, cookie=cookie)
    assert status == 303 and headers["location"] == "/sign-in?signed-out=1"
    status, headers, _ = fetch(server + "/matrix", headers={"Accept": "text/html"}, cookie=cookie)
    assert status == 303 and headers["location"].startswith("/sign-in")


def test_a_form_posted_from_another_site_is_refused(server):
    status, _, body = fetch(
        server + "/sign-in",
        data={"email": "admin@localhost", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert status == 403 and "this site's own form" in body


def test_the_survey_and_static_files_stay_public(server):
    status, headers, body = fetch(server + "/survey?token=nothing", headers={"Accept": "text/html"})
    assert status == 404 and "location" not in headers  # the survey's own notice, no sign-in
    assert "Committee sign-in" not in body
    status, _, _ = fetch(server + "/survey/static/survey.css", headers={"Accept": "text/css"})
    assert status == 200
    status, _, _ = fetch(server + "/_stcore/health")
    assert status == 200


def test_guessing_is_answered_at_once_with_the_wait(server):
    """(Last of the tests on this server: it leaves the loopback client locked.)"""
    import time

    answers = []
    started = time.perf_counter()
    for _ in range(12):
        answers.append(
            fetch(
                server + "/sign-in",
                data={"email": "guessed@example.com", "password": "not it at all"},
                headers={"Origin": server},
            )
        )
    elapsed = time.perf_counter() - started
    statuses = [status for status, _, _ in answers]
    assert statuses == [401] * 9 + [429] * 3, statuses
    assert answers[-1][1]["retry-after"] in {"14", "15"}
    assert re.search(r"try again in 1[45] s", answers[-1][2])
    assert elapsed < 12 * 0.5  # no sleeping: each answer comes at once


def test_the_first_start_prints_a_one_time_password_on_the_console(tmp_path):
    """Printed when the server starts, before any browser visits; the next start prints none."""
    url = f"sqlite:///{tmp_path / 'first.db'}"
    log = tmp_path / "first.log"
    with streamlit_app(url, log, password="") as base:
        printed = log.read_text()
        assert "First admin account (made now): admin@localhost" in printed
        password = printed.split("only its hash is stored):")[1].split()[0]
        status, headers, _ = fetch(
            base + "/sign-in",
            data={"email": "admin@localhost", "password": password, "next": "/"},
            headers={"Origin": base},
        )
        assert status == 303 and session_cookie(headers)
    again = tmp_path / "again.log"
    with streamlit_app(url, again, password=""):
        assert "First admin account" not in again.read_text()


def test_the_shipped_configuration_binds_to_loopback_and_hides_error_details():
    import tomllib
    from pathlib import Path

    config = tomllib.loads(
        (Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text()
    )
    assert config["server"]["address"] == "127.0.0.1"
    assert config["client"]["showErrorDetails"] is False
    assert config["server"]["enableXsrfProtection"] is True
