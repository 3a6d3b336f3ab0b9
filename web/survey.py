"""The stakeholder survey as a plain HTML form: ``/survey?token=...``.

Served by Starlette routes of the one server (``app.py``), before Streamlit's own pages, with
Jinja2 templates (``web/templates/survey*.html``). The form works without JavaScript: every
rating is a fieldset of radio buttons, the whole survey is one page, and a POST either saves a
draft or submits. ``web/static/survey.js`` adds progress, draft autosave and a jump to the first
missing answer. Nothing of a respondent lives in the server's memory: a page costs one read
(and a write on a link's first visit), a submission one transaction.

Routes: ``GET/POST /survey`` (the form), ``POST /survey/draft`` (autosave), ``GET
/survey/preview`` (the committee's signed preview of a group's form), ``GET /survey/logo`` and
``/survey/static/``.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup, escape
from sqlalchemy.engine import Engine
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from services import responding
from services.responding import StoreUnavailable
from survey import i18n
from survey.errors import AlreadySubmitted, IncompleteAnswers, LinkUnavailable, SurveyClosed, UnknownLink
from survey.responding import MAX_TEXT, Answers, SurveyForm, answers_from_draft

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
DONT_KNOW = "dont_know"
LANG_COOKIE = "survey_lang"
MAX_COMMENT = 1000
MAX_BODY = 256 * 1024  # a full form in Chinese with every comment at its limit is < 100 KB
HTML_LANG = {"en": "en", "zh": "zh-Hans"}
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",  # the committee's preview page shows the form in a frame
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'"
    ),
}


def emphasis(text: str) -> Markup:
    """A survey text with its ``**bold**`` lead-in as <strong>; everything else escaped."""
    return Markup(re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", str(escape(text))))


def _static_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC.iterdir()):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


TEMPLATES = Jinja2Templates(directory=HERE / "templates")
TEMPLATES.env.filters["emphasis"] = emphasis
TEMPLATES.env.globals["static_version"] = _static_version()


@dataclass
class Notice:
    kind: str  # "ok", "warn" or "error"
    text: str
    title: str = ""


def answers_from_form(form: SurveyForm, data: FormData) -> Answers:
    """The answers a posted form holds; a value outside the scale counts as no answer, text is
    cut to its limit (control characters are dropped by :class:`Answers`)."""

    def field(name: str) -> str:
        value = data.get(name)
        return value if isinstance(value, str) else ""

    values = {str(v): v for v in form.values()}
    ratings: dict[str, int | None] = {}
    comments: dict[str, str] = {}
    for topic in form.topics:
        given = field(f"rating-{topic.key}")
        if given == DONT_KNOW:
            ratings[topic.key] = None
        elif given in values:
            ratings[topic.key] = values[given]
        comment = field(f"comment-{topic.key}")[:MAX_COMMENT]
        if comment.strip():
            comments[topic.key] = comment
    return Answers(ratings=ratings, comments=comments, suggestion=field("suggestion")[:MAX_TEXT])


def compressed(request: Request, response: Response) -> Response:
    """The response gzipped at a light level when the client takes it (Streamlit's own gzip
    works at level 9, which costs a burst twice the time for a few bytes less)."""
    body = getattr(response, "body", b"")
    if len(body) < 1024 or "gzip" not in request.headers.get("accept-encoding", ""):
        return response
    packed = gzip.compress(body, compresslevel=4)
    out = Response(packed, status_code=response.status_code, background=response.background)
    out.raw_headers = [(k, v) for k, v in response.raw_headers if k != b"content-length"] + [
        (b"content-length", str(len(packed)).encode("ascii")),
        (b"content-encoding", b"gzip"),
        (b"vary", b"Accept-Encoding"),
    ]
    return out


class SurveyWeb:
    """The survey's routes over one database (the settings' unless a test gives its own)."""

    def __init__(self, engine: Callable[[], Engine] = responding.store):
        self._engine = engine
        # The questions of a form nobody has answered yet, rendered once per language: the
        # first visits of a burst share them.
        self._blank: dict[tuple[int, str, bool], tuple[SurveyForm, Markup]] = {}

    @property
    def engine(self) -> Engine:
        return self._engine()

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/survey", self.page_compressed, methods=["GET", "POST"]),
            Route("/survey/draft", self.draft, methods=["POST"]),
            Route("/survey/preview", self.preview, methods=["GET"]),
            Route("/survey/logo", self.logo, methods=["GET"]),
            Mount("/survey/static", StaticFiles(directory=STATIC), name="survey-static"),
        ]

    # --- pages ----------------------------------------------------------------------------------

    def _render(self, request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        lang = context["lang"]
        brand = responding.branding()
        base = {
            "lang": lang,
            "html_lang": HTML_LANG[lang],
            "t": lambda key, dimension=None, **values: i18n.text(lang, key, dimension, **values),
            "company": brand.company,
            "contact": brand.contact,
            "contact_mail": "@" in brand.contact and " " not in brand.contact,
            "logo": brand.logo is not None,
        }
        response = TEMPLATES.TemplateResponse(request, name, {**base, **context}, status_code=status)
        response.headers.update(SECURITY_HEADERS)
        return response

    def _notice(self, request: Request, name: str, languages: list[str], status: int) -> Response:
        """A page that only says something, in the given languages (both when the link is not
        known: we cannot tell which the respondent reads)."""
        title = {"thanks": "done_title", "invalid_link": "link_problem_title", "busy": "try_again_title"}
        messages = [
            (code, HTML_LANG[code], i18n.text(code, title.get(name, "page_title")), i18n.text(code, name))
            for code in languages
        ]
        return self._render(
            request, "survey_notice.html", {"lang": languages[0], "messages": messages}, status
        )

    def _language(self, request: Request, invited: str, data: FormData | None = None) -> str:
        asked = request.query_params.get("lang") or (data.get("lang") if data else None)
        if isinstance(asked, str) and asked in i18n.LANGUAGES:
            return asked
        kept = request.cookies.get(LANG_COOKIE)
        return kept if kept in i18n.LANGUAGES else i18n.language_or_default(invited)

    def _form_page(
        self,
        request: Request,
        *,
        token: str | None,
        form: SurveyForm,
        lang: str,
        answers: Answers,
        is_open: bool = False,
        resumed: bool = False,
        missing: list[str] | None = None,
        notice: Notice | None = None,
        status: int = 200,
    ) -> Response:
        missing = missing or []
        labels = dict(zip(form.values(), form.labels[lang], strict=True))
        options = [(str(v), f"{v} · {labels[v]}" if labels[v] else str(v)) for v in form.values()]
        options.append((DONT_KNOW, i18n.text(lang, "dont_know")))
        chosen = {k: DONT_KNOW if v is None else str(v) for k, v in answers.ratings.items()}
        low, high = form.scale_min, form.scale_max
        query = {"token": token} if token else {}
        languages = [
            (code, name, HTML_LANG[code], "?" + urlencode({**query, "lang": code}), code == lang)
            for code, name in i18n.LANGUAGES.items()
        ]
        if not token:  # the preview: keep its signed query
            languages = [
                (code, name, hl, "?" + urlencode({**request.query_params, "lang": code}), current)
                for code, name, hl, _, current in languages
            ]
        context = {
            "lang": lang,
            "form": form,
            "preview": token is None,
            "is_open": is_open,
            "resumed": resumed,
            "notice": notice,
            "missing": missing,
            "total": len(form.topics),
            "answered": len(form.topics) - len([t for t in form.topics if t.key not in answers.ratings]),
            "minutes": i18n.minutes_needed(len(form.topics)),
            "options": options,
            "chosen": chosen,
            "comments": answers.comments,
            "suggestion": answers.suggestion,
            "scale_hint": i18n.text(
                lang, "scale_hint", low=f"{low} ({labels[low]})", high=f"{high} ({labels[high]})"
            ),
            "languages": languages,
            "action": "/survey?" + urlencode({**query, "lang": lang}) + "#missing" if token else "",
            "draft_url": "/survey/draft?" + urlencode(query) if token and not is_open else "",
            "csrf": responding.form_key(engine=self.engine, token=token) if token else "",
        }
        if not answers.ratings and not answers.comments and not missing:
            context["questions_html"] = self._blank_questions(request, form, lang, context)
        response = self._render(request, "survey_form.html", context, status)
        if request.query_params.get("lang") in i18n.LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="lax")
        return response

    def _blank_questions(
        self, request: Request, form: SurveyForm, lang: str, context: dict[str, Any]
    ) -> Markup:
        key = (id(form), lang, bool(context["preview"]))
        kept = self._blank.get(key)
        if kept is not None and kept[0] is form:
            return kept[1]
        template = TEMPLATES.get_template("survey_questions.html")
        html = Markup(template.render({**context, "t": lambda name, *a, **v: i18n.text(lang, name, *a, **v)}))
        if len(self._blank) > 256:
            self._blank.clear()
        self._blank[key] = (form, html)
        return html

    async def page_compressed(self, request: Request) -> Response:
        return compressed(request, await self.page(request))

    async def page(self, request: Request) -> Response:
        token = request.query_params.get("token")
        data: FormData | None = None
        if request.method == "POST":
            if int(request.headers.get("content-length") or 0) > MAX_BODY:
                return Response("The form is larger than any survey answer can be.", status_code=413)
            data = await request.form(max_fields=500)
        try:
            visit = await run_in_threadpool(
                responding.visit, engine=self.engine, token=token, record_opening=False
            )
        except UnknownLink:
            return self._notice(request, "invalid_link", list(i18n.LANGUAGES), 404)
        except StoreUnavailable:
            return self._busy(request)
        target, form = visit.target, visit.form
        lang = self._language(request, target.language, data)
        if target.submitted:
            return self._notice(request, "already_submitted", [lang], 410)
        if not target.accepts_answers:
            return self._notice(request, "closed", [lang], 410)
        assert token is not None  # a link was found for it
        page = partial(self._form_page, request, token=token, form=form, lang=lang, is_open=target.is_open)
        if data is None:
            resumed = bool(target.draft) and not target.is_open
            answers = answers_from_draft(None if target.is_open else target.draft)
            response = page(answers=answers, resumed=resumed)
            if not target.opened:  # written once the page is on its way, off the page's time
                response.background = BackgroundTask(
                    responding.record_first_visit, engine=self.engine, invitation_id=target.invitation_id
                )
            return response
        answers = answers_from_form(form, data)
        if not self._trusted(request, token, data):
            notice = Notice("error", i18n.text(lang, "stale_form"))
            return page(answers=answers, notice=notice, status=403)
        try:
            if data.get("action") == "save":
                await run_in_threadpool(
                    responding.save_draft, engine=self.engine, token=token, answers=answers
                )
                return page(answers=answers, notice=Notice("ok", i18n.text(lang, "saved")))
            await run_in_threadpool(responding.submit, engine=self.engine, token=token, answers=answers)
        except IncompleteAnswers as problem:
            if not target.is_open:
                # the answers are on the page either way; the submission will say what is wrong
                with suppress(StoreUnavailable, LinkUnavailable):
                    await run_in_threadpool(
                        responding.save_draft, engine=self.engine, token=token, answers=answers
                    )
            return page(answers=answers, missing=problem.topics, status=422)
        except StoreUnavailable:
            title = i18n.text(lang, "try_again_title")
            notice = Notice("error", i18n.text(lang, "try_again"), title)
            response = page(answers=answers, notice=notice, status=503)
            response.headers["Retry-After"] = "60"
            return response
        except AlreadySubmitted:
            return self._notice(request, "already_submitted", [lang], 410)
        except SurveyClosed:
            return self._notice(request, "closed", [lang], 410)
        except LinkUnavailable:
            return self._notice(request, "invalid_link", list(i18n.LANGUAGES), 404)
        return self._notice(request, "thanks", [lang], 200)

    def _busy(self, request: Request) -> Response:
        response = self._notice(request, "busy", list(i18n.LANGUAGES), 503)
        response.headers["Retry-After"] = "60"
        return response

    def _trusted(self, request: Request, token: str, data: FormData) -> bool:
        """The post came from this link's form on this site: its anti-forgery field fits the
        link, and the browser does not call it a cross-site request."""
        if request.headers.get("sec-fetch-site") == "cross-site":
            return False
        origin = request.headers.get("origin")
        if (
            origin
            and origin != "null"
            and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}"
        ):
            return False
        key = data.get("csrf")
        return responding.form_key_fits(
            engine=self.engine, token=token, key=key if isinstance(key, str) else None
        )

    # --- autosave, preview, logo ----------------------------------------------------------------

    async def draft(self, request: Request) -> Response:
        """Autosave from the page's script: 204 when kept, 409 when the link takes no more
        answers, 403 for a form that is not this link's, 503 when the database is busy."""
        token = request.query_params.get("token")
        if int(request.headers.get("content-length") or 0) > MAX_BODY:
            return Response(status_code=413)
        data = await request.form(max_fields=500)
        try:
            visit = await run_in_threadpool(responding.visit, engine=self.engine, token=token)
            if token is None or not self._trusted(request, token, data):
                return Response(status_code=403, headers={"Cache-Control": "no-store"})
            answers = answers_from_form(visit.form, data)
            await run_in_threadpool(responding.save_draft, engine=self.engine, token=token, answers=answers)
        except LinkUnavailable:
            return Response(status_code=409, headers={"Cache-Control": "no-store"})
        except StoreUnavailable:
            return Response(status_code=503, headers={"Retry-After": "60", "Cache-Control": "no-store"})
        return Response(status_code=204, headers={"Cache-Control": "no-store"})

    async def preview(self, request: Request) -> Response:
        """A group's form as its respondents see it, from a signed link the committee's preview
        page makes; nothing can be recorded from it."""
        query = request.query_params
        try:
            form = await run_in_threadpool(
                responding.preview,
                engine=self.engine,
                assessment_key=query.get("assessment", ""),
                group=query.get("group", ""),
                expires=query.get("expires", ""),
                signature=query.get("sig", ""),
            )
        except UnknownLink:
            return self._notice(request, "invalid_link", list(i18n.LANGUAGES), 404)
        except StoreUnavailable:
            return self._busy(request)
        except (LookupError, ValueError):
            return self._notice(request, "invalid_link", list(i18n.LANGUAGES), 404)
        lang = self._language(request, i18n.DEFAULT_LANGUAGE)
        return self._form_page(request, token=None, form=form, lang=lang, answers=Answers())

    async def logo(self, request: Request) -> Response:
        brand = responding.branding()
        if brand.logo is None:
            return Response(status_code=404)
        return FileResponse(brand.logo, media_type=brand.logo_type, headers={"Cache-Control": "max-age=3600"})


ROUTES: list[BaseRoute] = SurveyWeb().routes()
