"""The assessors' IRO rating form: ``/rate`` and ``/rate/<assessment>``.

Served like the survey form (:mod:`web.survey`): server-rendered HTML from Jinja2 templates
(``web/templates/rating*.html``) in the survey's style sheet, working without JavaScript.
Every IRO is a fieldset; each of its criteria a group of radio buttons labelled with the
criterion's anchors (1-5) and a required rationale. A POST saves the whole form or nothing.

Who may use it: a signed-in account with the right to rate (assessor, committee, admin);
an assessor sees the IROs assigned to them, the committee and admins every IRO. Without a
sign-in the browser goes to the sign-in form and comes back; another role gets a plain 403.
Anti-forgery: a field derived from the HttpOnly session cookie (which another site cannot
read) and the browser's own Origin and Sec-Fetch-Site headers.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from services import accounts, rating
from services.access import RATE, may
from services.rating import RatingSheet, StoreUnavailable
from web import accounts as web_accounts
from web.survey import SECURITY_HEADERS
from web.survey import TEMPLATES as SURVEY_TEMPLATES

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
TEMPLATES.env.globals["static_version"] = SURVEY_TEMPLATES.env.globals["static_version"]
MAX_BODY = 2 * 1024 * 1024  # 200 IROs x 4 criteria x 4000 characters of rationale, in UTF-8
SCALE = ("1", "2", "3", "4", "5")
_INDEX = re.compile(r"^iro-(\d{1,4})$")


@dataclass
class Posted:
    """A posted form: per IRO and criterion the value and rationale given, and the problems."""

    values: dict[tuple[str, str], str] = field(default_factory=dict)
    reasons: dict[tuple[str, str], str] = field(default_factory=dict)
    errors: dict[tuple[str, str], str] = field(default_factory=dict)

    def rows(self) -> list[dict[str, object]]:
        return [
            {
                "iro": code,
                "criterion": criterion,
                "value": int(value),
                "rationale": self.reasons.get((code, criterion), ""),
            }
            for (code, criterion), value in self.values.items()
            if value
        ]


def form_key(cookie: str) -> str:
    """The anti-forgery field of a session: a one-way digest of its secret cookie."""
    return hashlib.sha256(b"materiality IRO rating form\x00" + cookie.encode("utf-8")).hexdigest()


def read_form(sheet: RatingSheet, data: FormData) -> Posted:
    """What the form holds for the sheet's IROs, cleaned, and what is wrong with it: a value
    without a reason, a reason without a value, a value off the scale."""
    posted = Posted()
    codes = {}
    for name, given in data.multi_items():
        match = _INDEX.match(name)
        if match and isinstance(given, str):
            codes[match.group(1)] = given
    by_code = {item.code: item for item in sheet.items}
    for index, code in codes.items():
        item = by_code.get(code)
        if item is None:
            continue
        for criterion in item.criteria:
            key = (code, criterion.key)
            value = data.get(f"value-{index}-{criterion.key}")
            reason = data.get(f"why-{index}-{criterion.key}")
            value = value.strip() if isinstance(value, str) else ""
            reason = rating.clean_text(reason)[: rating.MAX_RATIONALE] if isinstance(reason, str) else ""
            posted.values[key], posted.reasons[key] = value, reason
            if value and value not in SCALE:
                posted.errors[key] = "Choose one of the values 1 to 5."
                posted.values[key] = ""
            elif value and not reason.strip():
                posted.errors[key] = "Give the reason for this rating: every rating needs a rationale."
            elif reason.strip() and not value:
                posted.errors[key] = "Choose a value from 1 to 5 for this reason, or clear the reason."
    return posted


class RatingWeb:
    """The rating form's routes over one database (the app's unless a test gives its own)."""

    def __init__(self, engine: Callable[[], Engine] = web_accounts.engine):
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine()

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/rate", self.tasks, methods=["GET"]),
            Route("/rate/{assessment}", self.form, methods=["GET", "POST"]),
        ]

    def _render(self, request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        response = TEMPLATES.TemplateResponse(request, name, context, status_code=status)
        response.headers.update(SECURITY_HEADERS)
        response.headers["X-Frame-Options"] = "DENY"
        return response

    def _plain(self, request: Request, title: str, text: str, status: int, **extra: Any) -> Response:
        return self._render(request, "rating_notice.html", {"title": title, "text": text, **extra}, status)

    async def _account(self, request: Request) -> tuple[Any, str] | Response:
        """The signed-in account and its cookie, or the response that refuses the request."""
        cookie = request.cookies.get(accounts.SESSION_COOKIE)
        try:
            account = await run_in_threadpool(rating.signed_in, engine=self.engine, cookie=cookie)
        except StoreUnavailable:
            return self._busy(request)
        if account is None:
            wanted = quote(request.url.path, safe="")
            return RedirectResponse(f"/sign-in?next={wanted}", status_code=303)
        if not may(account.role, RATE):
            text = f"Your role ({account.role}) reads the assessment but does not rate IROs."
            return self._plain(request, "Not for your role", text, 403)
        assert cookie is not None
        return account, cookie

    def _busy(self, request: Request) -> Response:
        text = "The database is busy right now. Please try again in a minute."
        response = self._plain(request, "Please try again", text, 503)
        response.headers["Retry-After"] = "60"
        return response

    async def tasks(self, request: Request) -> Response:
        found = await self._account(request)
        if isinstance(found, Response):
            return found
        account, _ = found
        try:
            tasks = await run_in_threadpool(
                rating.rating_tasks, engine=self.engine, assessor=account.email, role=account.role
            )
        except StoreUnavailable:
            return self._busy(request)
        return self._render(request, "rating_tasks.html", {"account": account, "tasks": tasks})

    def _trusted(self, request: Request, cookie: str, data: FormData) -> bool:
        if request.headers.get("sec-fetch-site") == "cross-site":
            return False
        origin = request.headers.get("origin")
        if (
            origin
            and origin != "null"
            and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}"
        ):
            return False
        given = data.get("csrf")
        return isinstance(given, str) and hmac.compare_digest(given, form_key(cookie))

    async def form(self, request: Request) -> Response:
        found = await self._account(request)
        if isinstance(found, Response):
            return found
        account, cookie = found
        key = request.path_params["assessment"]
        data: FormData | None = None
        if request.method == "POST":
            if int(request.headers.get("content-length") or 0) > MAX_BODY:
                return Response("The form is larger than any rating can be.", status_code=413)
            data = await request.form(max_fields=10_000)
        try:
            sheet = await run_in_threadpool(
                rating.rating_sheet,
                engine=self.engine,
                assessment_key=key,
                assessor=account.email,
                role=account.role,
            )
        except StoreUnavailable:
            return self._busy(request)
        except rating.NotFound as problem:
            return self._plain(request, "Nothing to rate here", f"{problem}.", 404, back=True)
        page = {"account": account, "sheet": sheet, "csrf": form_key(cookie), "saved_count": None}
        if data is None:
            saved = request.query_params.get("saved")
            page["saved_count"] = int(saved) if saved and saved.isdigit() else None
            return self._render(request, "rating_form.html", page)
        posted = read_form(sheet, data)
        page["posted"] = posted
        if not self._trusted(request, cookie, data):
            message = (
                "This form was not sent from this site's rating page, or it is out of date: "
                "nothing was saved. Check your answers and save again."
            )
            return self._render(request, "rating_form.html", {**page, "message": message}, 403)
        if sheet.locked:
            return self._render(request, "rating_form.html", page, 409)
        if posted.errors:
            return self._render(request, "rating_form.html", page, 422)
        try:
            counts = await run_in_threadpool(
                rating.save_sheet,
                engine=self.engine,
                assessment_key=key,
                assessor=account.email,
                role=account.role,
                rows=posted.rows(),
            )
        except StoreUnavailable:
            text = (
                "The database is busy right now, so nothing was saved. Your answers are still "
                "on this page: please try again in a minute."
            )
            response = self._render(request, "rating_form.html", {**page, "message": text}, 503)
            response.headers["Retry-After"] = "60"
            return response
        except ValueError as problem:  # refused by the checks or the store: nothing written
            return self._render(
                request, "rating_form.html", {**page, "message": f"Nothing was saved: {problem}"}, 422
            )
        done = counts["added"] + counts["replaced"]
        return RedirectResponse(f"/rate/{quote(key, safe='')}?saved={done}#saved", status_code=303)


ROUTES: list[BaseRoute] = RatingWeb().routes()
