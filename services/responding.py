"""The survey a stakeholder answers from a link: what the link leads to, drafts, submission,
the form's anti-forgery key and the committee's preview of a group's form.

Called on every page and submission of every respondent, so reads stay read-only: only the
first visit of a link, a draft and a submission write. A database that is locked, full,
read-only or unreachable raises :class:`StoreUnavailable`, so that a face can say "try again
in a minute" instead of failing.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from survey import responding
from survey.db import create_db_engine, transaction
from survey.errors import UnknownLink
from survey.responding import Answers, LinkTarget, SurveyForm
from survey.settings import get_settings
from survey.tokens import hash_token

PREVIEW_SECONDS = 3600
LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}


class StoreUnavailable(RuntimeError):
    """The database cannot take the request now (locked, full, read-only or unreachable)."""


@contextmanager
def _store_errors() -> Iterator[None]:
    try:
        yield
    except (exc.OperationalError, exc.InternalError, exc.TimeoutError) as error:
        raise StoreUnavailable(str(getattr(error, "orig", error) or error)) from error


_store_guard = threading.Lock()


def store() -> Engine:
    """The database of the settings, opened once per process (the plain HTTP routes use it);
    the first requests of a burst wait for one opening instead of each opening it."""
    with _store_guard:
        return _open_store()


@lru_cache(maxsize=1)
def _open_store() -> Engine:
    return create_db_engine(get_settings().database_url)


@dataclass(frozen=True)
class Branding:
    """Who asks, as the survey form shows it: the company, its logo file, whom to contact."""

    company: str
    contact: str
    logo: Path | None
    logo_type: str


def branding() -> Branding:
    """The company's name, logo (a PNG, JPEG or WebP file that exists) and contact from the
    settings."""
    settings = get_settings()
    logo = Path(settings.company_logo).expanduser() if settings.company_logo else None
    kind = LOGO_TYPES.get(logo.suffix.lower(), "") if logo else ""
    usable = logo if logo is not None and kind and logo.is_file() else None
    return Branding(settings.company_name.strip(), settings.survey_contact.strip(), usable, kind)


@dataclass(frozen=True)
class SurveyVisit:
    """What a valid link leads to (never the token itself) and the form to show."""

    target: LinkTarget
    form: SurveyForm


# A group's form is the same for every respondent and changes only when the assessment is
# edited, which the committee does before the fieldwork: each process keeps it for a minute
# instead of reading it again for every page of a burst.
FORM_SECONDS = 60.0
_forms: dict[tuple[str, str, str], tuple[float, SurveyForm]] = {}
_forms_guard = threading.Lock()


def _form(session: Session, engine: Engine, assessment_key: str, group: str) -> SurveyForm:
    key = (engine.url.render_as_string(hide_password=True), assessment_key, group)
    with _forms_guard:  # on a miss the others wait for this read rather than each reading
        kept = _forms.get(key)
        if kept is not None and kept[0] > time.monotonic():
            return kept[1]
        form = responding.survey_form(session=session, assessment_key=assessment_key, group=group)
        _forms[key] = (time.monotonic() + FORM_SECONDS, form)
        return form


def visit(*, engine: Engine, token: str | None, record_opening: bool = True) -> SurveyVisit:
    """The link's target and its group's form; the first visit of a link is recorded (the time
    only) unless the caller does it later with :func:`record_opening`. Raises
    :class:`survey.errors.UnknownLink` for a malformed or unknown token."""
    with _store_errors(), transaction(engine, write=False) as session:
        target = responding.find_link(session=session, token=token)
        form = _form(session, engine, target.assessment_key, target.group)
    if record_opening and not target.opened:
        record_first_visit(engine=engine, invitation_id=target.invitation_id)
    return SurveyVisit(target, form)


def record_first_visit(*, engine: Engine, invitation_id: int) -> None:
    """Note the time a link was first opened; a database that cannot take the write now only
    loses that time, never the respondent's page."""
    try:
        with _store_errors(), transaction(engine) as session:
            responding.mark_opened(session=session, invitation_id=invitation_id)
    except StoreUnavailable:
        pass


def save_draft(*, engine: Engine, token: str | None, answers: Answers) -> bool:
    """Keep unfinished answers with a personal link (False for an open link, whose answers are
    never kept before submission). Raises :class:`survey.errors.LinkUnavailable` when the
    link no longer takes answers."""
    with _store_errors(), transaction(engine) as session:
        return responding.save_draft(session=session, token=token, answers=answers)


def submit(*, engine: Engine, token: str | None, answers: Answers) -> int:
    """Record the answers given through a link; returns the response id. Raises
    :class:`survey.errors.IncompleteAnswers` naming the topics without an answer, or
    :class:`survey.errors.LinkUnavailable` (closed, unknown, already submitted)."""
    with _store_errors(), transaction(engine) as session:
        return responding.submit(session=session, token=token, answers=answers)


# --- signed keys: the form's anti-forgery field, the committee's preview links -----------------

_secrets: dict[str, bytes] = {}
_secrets_guard = threading.Lock()


def _secret(engine: Engine) -> bytes:
    name = engine.url.render_as_string(hide_password=True)
    with _secrets_guard:
        if name not in _secrets:
            with _store_errors(), transaction(engine) as session:
                _secrets[name] = responding.form_secret(session=session).encode("ascii")
        return _secrets[name]


def _sign(engine: Engine, *parts: str) -> str:
    return hmac.new(_secret(engine), "\x1f".join(parts).encode("utf-8"), hashlib.sha256).hexdigest()


def form_key(*, engine: Engine, token: str) -> str:
    """The anti-forgery value a link's form carries: only this server can make it, and it fits
    this link alone."""
    return _sign(engine, "form", hash_token(token))


def form_key_fits(*, engine: Engine, token: str, key: str | None) -> bool:
    return bool(key) and hmac.compare_digest(form_key(engine=engine, token=token), key or "")


def group_names(*, engine: Engine, assessment_key: str) -> dict[str, str]:
    """The assessment's groups (key to name), whose forms the committee can preview."""
    with _store_errors(), transaction(engine, write=False) as session:
        return responding.group_names(session=session, assessment_key=assessment_key)


def preview_query(*, engine: Engine, assessment_key: str, group: str, now: float | None = None) -> str:
    """The query string of a signed preview of `group`'s form (``/survey/preview?...``), valid
    for an hour: the committee sees the form its respondents get without issuing a link."""
    expires = str(int((now or time.time()) + PREVIEW_SECONDS))
    signature = _sign(engine, "preview", assessment_key, group, expires)
    return urlencode({"assessment": assessment_key, "group": group, "expires": expires, "sig": signature})


def preview(
    *, engine: Engine, assessment_key: str, group: str, expires: str, signature: str, now: float | None = None
) -> SurveyForm:
    """The form of a signed, unexpired preview; :class:`survey.errors.UnknownLink` otherwise."""
    expected = _sign(engine, "preview", assessment_key, group, expires)
    if not hmac.compare_digest(expected, signature) or not expires.isdigit():
        raise UnknownLink("not a preview link")
    if int(expires) < (now or time.time()):
        raise UnknownLink("the preview link has expired")
    with _store_errors(), transaction(engine, write=False) as session:
        return responding.survey_form(session=session, assessment_key=assessment_key, group=group)
