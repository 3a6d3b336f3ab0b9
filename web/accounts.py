"""Sign-in sessions, security headers and the sign-in routes.

- ``GET /sign-in`` shows the form (a Jinja2 template), ``POST /sign-in`` checks the address and
  password through the throttle and sets the session cookie: signed, HttpOnly, SameSite=Lax,
  expiring, and referring to a session row on the server; then it opens the page first asked for.
- ``GET /sign-out`` asks, ``POST /sign-out`` ends the session on the server and drops the cookie.
- :class:`SignInGate` sends a browser that asks for a page of the app without a live session to
  the sign-in form, remembering the page (``/matrix`` opens after sign-in). Survey routes,
  static files, Streamlit's own endpoints and the identity provider's routes stay public;
  ``/_stcore/metrics`` answers signed-in admins only.
- :class:`SecurityHeaders` adds CSP, frame-ancestors and X-Frame-Options, nosniff and a
  referrer policy to every response, the Streamlit app's included.
- :func:`lifespan` makes the first admin when the server starts, and prints its one-time
  setup password on the console.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from anyio import to_thread
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Engine
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services import accounts, audit
from survey.db import create_db_engine
from survey.settings import get_settings

LOG = logging.getLogger("materiality.accounts")
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
)
MAX_FORM_BYTES = 8192
# Paths anyone may reach: Streamlit's own endpoints and files, the identity provider's routes,
# the sign-in itself. The survey's routes are added from web.survey at run time.
PUBLIC = re.compile(
    r"^/(_stcore/(?!metrics)|static/|component/|media/|app/static/|auth/|oauth2callback|favicon|"
    r"robots\.txt|manifest\.json|sign-in|sign-out|survey|organisation$)"
)


@lru_cache(maxsize=1)
def engine() -> Engine:
    return create_db_engine(get_settings().database_url)


def _inline_script_hashes() -> list[str]:
    """CSP hashes of the inline scripts of Streamlit's page (one sets a flag for prerendering)."""
    import importlib.util

    spec = importlib.util.find_spec("streamlit")
    if spec is None or spec.origin is None:
        return []
    index = Path(spec.origin).with_name("static") / "index.html"
    try:
        html = index.read_text(encoding="utf-8")
    except OSError:
        return []
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode("ascii") + "'"
        for s in scripts
    ]


def content_security_policy() -> str:
    """Scripts from this origin only (plus Streamlit's one inline flag); styles inline too (the
    app's components set them); charts' images as data or blob URLs; the websocket to this
    origin; never framed."""
    scripts = " ".join(["'self'", "'wasm-unsafe-eval'", *_inline_script_hashes()])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self' ws: wss:",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeaders:
    """Adds the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", content_security_policy().encode("ascii")),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self.headers if n not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def _survey_paths() -> tuple[str, ...]:
    from web import survey

    return tuple(getattr(route, "path", "") for route in survey.ROUTES)


def is_public(path: str) -> bool:
    if PUBLIC.match(path):
        return True
    return any(p and (path == p or path.startswith(p.rstrip("/") + "/")) for p in _survey_paths())


async def signed_in(cookie: str | None) -> accounts.SignedIn | None:
    if not cookie:
        return None
    return await to_thread.run_sync(lambda: accounts.session_account(engine=engine(), cookie=cookie))


class SignInGate:
    """Sends page requests without a live session to the sign-in form (the page asked for
    opens after sign-in); keeps /_stcore/metrics for signed-in admins."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith("/_stcore/metrics"):
            account = await signed_in(_cookie(scope, accounts.SESSION_COOKIE))
            if account is None or account.role != "admin":
                await PlainTextResponse("Sign in as an admin to read the metrics.", 403)(scope, receive, send)
                return
        elif (
            not is_public(path)
            and "text/html" in _header(scope, b"accept")
            # a signed-in identity-provider user is let through: the app checks that cookie
            and _cookie(scope, "_streamlit_user") is None
            and await signed_in(cookie := _cookie(scope, accounts.SESSION_COOKIE)) is None
        ):
            query = scope.get("query_string", b"").decode("latin-1")
            wanted = path + (f"?{query}" if query else "")
            response = RedirectResponse(f"/sign-in?next={quote(wanted, safe='')}", status_code=303)
            if cookie:
                response.delete_cookie(accounts.SESSION_COOKIE, path="/")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


# --- the routes --------------------------------------------------------------------------------


def safe_next(value: str | None) -> str:
    """Where to go after sign-in: a path of this site only (never //host or a scheme)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith(("/sign-in", "/sign-out")):
        return "/"
    return value


def identity_provider_configured() -> bool:
    """Whether Streamlit's secrets have an ``[auth]`` section (OpenID Connect sign-in)."""
    for folder in (Path.cwd() / ".streamlit", Path.home() / ".streamlit"):
        try:
            if "auth" in tomllib.loads((folder / "secrets.toml").read_text(encoding="utf-8")):
                return True
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return False


def page(status: int = 200, **values: Any) -> HTMLResponse:
    values.setdefault("title", "Committee sign-in")
    values.setdefault("form", "sign-in")
    values.setdefault("next", "/")
    values.setdefault("email", "")
    values.setdefault("identity_provider", identity_provider_configured())
    html = TEMPLATES.get_template("sign-in.html").render(**values)
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})


def same_origin(request: Request) -> bool:
    """A form post from this site (browsers send Origin with every POST)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def form_of(request: Request) -> dict[str, str]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return {}
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items() if v}


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def set_cookies(response: Response, result: accounts.SignInResult) -> None:
    settings = get_settings()
    response.set_cookie(
        accounts.SESSION_COOKIE,
        result.cookie or "",
        max_age=int(settings.session_hours * 3600),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    if result.device_cookie:
        response.set_cookie(
            accounts.DEVICE_COOKIE,
            result.device_cookie,
            max_age=accounts.DEVICE_COOKIE_DAYS * 86400,
            path="/sign-in",
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookies,
        )


async def sign_in_form(request: Request) -> Response:
    wanted = safe_next(request.query_params.get("next"))
    if await signed_in(request.cookies.get(accounts.SESSION_COOKIE)) is not None:
        return RedirectResponse(wanted, status_code=303)
    note = "Signed out." if request.query_params.get("signed-out") else None
    return page(next=wanted, note=note)


async def sign_in_post(request: Request) -> Response:
    if not same_origin(request):
        return PlainTextResponse("Sign in from this site's own form.", 403)
    form = await form_of(request)
    wanted = safe_next(form.get("next"))
    email, password = form.get("email", "")[:320], form.get("password", "")
    if not email or not password:
        return page(400, next=wanted, email=email, message="Give your e-mail address and password.")
    result = await to_thread.run_sync(
        lambda: accounts.sign_in(
            engine=engine(),
            email=email,
            password=password,
            client=client_of(request),
            device_cookie=request.cookies.get(accounts.DEVICE_COOKIE),
        )
    )
    if not result.ok:
        status = 429 if result.retry_after else 401
        refused = page(status, next=wanted, email=email, message=result.message)
        if result.retry_after:
            refused.headers["retry-after"] = str(result.retry_after)
        return refused
    response = RedirectResponse(wanted, status_code=303)
    set_cookies(response, result)
    return response


async def sign_out_form(request: Request) -> Response:
    return page(title="Sign out", form="sign-out")


async def sign_out_post(request: Request) -> Response:
    if not same_origin(request):
        return PlainTextResponse("Sign out from this site's own form.", 403)
    cookie = request.cookies.get(accounts.SESSION_COOKIE)
    await to_thread.run_sync(lambda: accounts.sign_out(engine=engine(), cookie=cookie))
    response = RedirectResponse("/sign-in?signed-out=1", status_code=303)
    response.delete_cookie(accounts.SESSION_COOKIE, path="/")
    return response


@asynccontextmanager
async def lifespan(app: object) -> AsyncIterator[None]:
    """When the server starts: the first admin (and its one-time password on the console);
    from then on every change in this process must come from an account allowed to make it."""
    first = await to_thread.run_sync(lambda: accounts.first_start(engine=engine()))
    message = accounts.first_start_message(first)
    if message:
        print(message, flush=True)
    audit.require_accounts(True)
    yield


ROUTES: list[BaseRoute] = [
    Route("/sign-in", sign_in_form, methods=["GET"]),
    Route("/sign-in", sign_in_post, methods=["POST"]),
    Route("/sign-out", sign_out_form, methods=["GET"]),
    Route("/sign-out", sign_out_post, methods=["POST"]),
]
MIDDLEWARE: list[Middleware] = [Middleware(SecurityHeaders), Middleware(SignInGate)]
