"""The assessors' IRO rating, what the web form and the assignment page need: who rates which
IRO, each account's rating sheet (the IROs it may rate, their criteria with anchors, its saved
ratings) and saving a sheet all or nothing.

An assessor rates the IROs assigned to them; the committee and admins may rate any IRO.
Saving goes through :func:`services.dma.save_assessor_ratings`, so the checks, the workflow
step and the audit entry are the same as for ratings from the app or a file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import pandas as pd
from sqlalchemy import exc
from sqlalchemy.engine import Engine

from analysis.dma_method import CRITERION_ANCHORS, CRITERION_QUESTIONS, applicable_criteria, describe_iro
from services import accounts, dma
from services.access import CHANGE, RATE, AccessDenied, may, require
from survey import accounts_signin, iro_assignment
from survey.db import transaction
from survey.errors import NotFound, StoreError
from survey.responding import clean_text
from survey.settings import get_settings

MAX_RATIONALE = 4000
STATE_NAMES = {"draft": "Draft", "rating": "Rating", "calibration": "Calibration", "signed_off": "Signed off"}
VALUE_CHAIN_WORDS = {"upstream": "upstream", "own_operations": "own operations", "downstream": "downstream"}


class StoreUnavailable(RuntimeError):
    """The database cannot take the request now (locked, full, read-only or unreachable)."""


@contextmanager
def _store_errors() -> Iterator[None]:
    try:
        yield
    except (exc.OperationalError, exc.InternalError, exc.TimeoutError) as error:
        raise StoreUnavailable(str(getattr(error, "orig", error) or error)) from error


def signed_in(*, engine: Engine, cookie: str | None) -> accounts.SignedIn | None:
    """The account of a session cookie. When the database takes no write (locked, full or
    read-only), the session is checked without marking it used, so that the form can still say
    "try again" with the answers kept; :class:`StoreUnavailable` when it cannot be read at all."""
    with _store_errors():
        try:
            return accounts.session_account(engine=engine, cookie=cookie)
        except (exc.OperationalError, exc.InternalError, exc.TimeoutError):
            token = accounts_signin.unsign(accounts._key(engine), cookie) if cookie else None
            if token is None:
                return None
            idle = timedelta(minutes=get_settings().session_idle_minutes)
            with transaction(engine, write=False) as session:
                return accounts_signin.live_session(session=session, token=token, idle=idle, touch=False)


# --- assignments --------------------------------------------------------------------------------


def assign(*, engine: Engine, assessment_key: str, iros: list[str], assessor: str, actor: str) -> int:
    """Assign `iros` to the account `assessor` (it must be able to rate); returns how many were new."""
    with transaction(engine) as session:
        return iro_assignment.assign(
            session=session, assessment_key=assessment_key, iros=iros, assessor=assessor, actor=actor
        )


def unassign(*, engine: Engine, assessment_key: str, iros: list[str], assessor: str, actor: str) -> int:
    """Take `iros` from `assessor` (their ratings stay); returns how many were removed."""
    with transaction(engine) as session:
        return iro_assignment.unassign(
            session=session, assessment_key=assessment_key, iros=iros, assessor=assessor, actor=actor
        )


def raters(*, engine: Engine) -> list[str]:
    """The e-mail addresses of the active accounts that may rate, assessors first."""
    views = [v for v in accounts.list_accounts(engine=engine) if not v.disabled and may(v.role, RATE)]
    return [v.email for v in sorted(views, key=lambda v: (v.role != "assessor", v.email))]


def assignments(*, engine: Engine, assessment_key: str) -> pd.DataFrame:
    """Every assignment of the assessment: iro, assessor, assigned_by, assigned_at."""
    with transaction(engine, write=False) as session:
        return iro_assignment.assignments(session=session, assessment_key=assessment_key)


# --- what an account rates ----------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    key: str
    question: str
    anchors: tuple[str, ...]  # the labels of 1..5


@dataclass(frozen=True)
class RatingItem:
    """One IRO on the form, with what the assessor sees of it."""

    code: str
    topic: str
    sub_topic: str
    kind: str  # "an actual negative impact"
    value_chain: str
    horizon: str
    human_rights: bool
    description: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class RatingSheet:
    """The IROs `assessor` may rate in one assessment and their saved ratings
    (``(iro, criterion) -> (value, rationale)``)."""

    assessment_key: str
    year: int
    state: str
    assessor: str
    items: list[RatingItem]
    saved: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)

    @property
    def locked(self) -> bool:
        return self.state == "signed_off"

    @property
    def state_name(self) -> str:
        return STATE_NAMES.get(self.state, self.state)

    @property
    def needed(self) -> int:
        return sum(len(item.criteria) for item in self.items)

    @property
    def rated(self) -> int:
        wanted = {(i.code, c.key) for i in self.items for c in i.criteria}
        return len(wanted & set(self.saved))


@dataclass(frozen=True)
class RatingTask:
    """An assessment on the account's list: how many IROs it rates there and its progress."""

    assessment_key: str
    year: int
    state: str
    iros: int
    rated: int
    needed: int

    @property
    def state_name(self) -> str:
        return STATE_NAMES.get(self.state, self.state)


def _scope(*, engine: Engine, assessor: str, role: str) -> dict[str, list[str] | None]:
    """Per assessment with a register: the IRO codes the account rates (None: every IRO)."""
    require(role, RATE, "rating IROs")
    with transaction(engine, write=False) as session:
        if may(role, CHANGE):
            return dict.fromkeys(iro_assignment.assessments_with_register(session=session))
        mine = iro_assignment.assigned_to(session=session, assessor=assessor)
        return {
            key: mine[key] for key in iro_assignment.assessments_with_register(session=session) if key in mine
        }


def _sheet(inputs: dma.DmaInputs, assessor: str, codes: list[str] | None) -> RatingSheet:
    names = inputs.topic_names
    register = inputs.register if codes is None else inputs.register[inputs.register["iro"].isin(codes)]
    items = [
        RatingItem(
            code=row["iro"],
            topic=names.get(row["topic"], row["topic"]),
            sub_topic=row["sub_topic"],
            kind=describe_iro(row["type"], row["status"]),
            value_chain=", ".join(
                VALUE_CHAIN_WORDS.get(p, p) for p in str(row["value_chain"]).split(";") if p
            ),
            horizon=row["horizon"],
            human_rights=bool(row["human_rights"]),
            description=row["description"],
            criteria=tuple(
                Criterion(c, CRITERION_QUESTIONS[c], tuple(CRITERION_ANCHORS[c]))
                for c in applicable_criteria(row["type"], row["status"])
            ),
        )
        for row in register.to_dict("records")
    ]
    mine = inputs.ratings[inputs.ratings["assessor"] == assessor]
    saved = {
        (r["iro"], r["criterion"]): (int(r["value"]), str(r["rationale"])) for r in mine.to_dict("records")
    }
    return RatingSheet(inputs.assessment_key, inputs.year, inputs.state, assessor, items, saved)


def rating_tasks(*, engine: Engine, assessor: str, role: str) -> list[RatingTask]:
    """The assessments the account rates in, newest first. :class:`AccessDenied` for a role
    that does not rate; :class:`StoreUnavailable` when the database cannot answer."""
    with _store_errors():
        tasks = []
        for key, codes in _scope(engine=engine, assessor=assessor, role=role).items():
            sheet = _sheet(dma.dma_inputs(engine=engine, assessment_key=key), assessor, codes)
            tasks.append(
                RatingTask(key, sheet.year, sheet.state, len(sheet.items), sheet.rated, sheet.needed)
            )
        return tasks


def rating_sheet(*, engine: Engine, assessment_key: str, assessor: str, role: str) -> RatingSheet:
    """The account's rating sheet of one assessment. :class:`NotFound` when the account rates
    nothing there (no register, or no IRO assigned to it)."""
    with _store_errors():
        scope = _scope(engine=engine, assessor=assessor, role=role)
        if assessment_key not in scope:
            raise NotFound(f"you have no IROs to rate in assessment '{assessment_key}'")
        return _sheet(
            dma.dma_inputs(engine=engine, assessment_key=assessment_key), assessor, scope[assessment_key]
        )


def rateable_iros(*, engine: Engine, assessment_key: str, assessor: str, role: str) -> list[str] | None:
    """The IRO codes of one assessment the account may rate: None for every IRO (a role that
    may change the register), else those assigned to it (possibly none)."""
    with _store_errors():
        return _scope(engine=engine, assessor=assessor, role=role).get(assessment_key, [])


def save_sheet(
    *, engine: Engine, assessment_key: str, assessor: str, role: str, rows: list[dict[str, object]]
) -> dict[str, int]:
    """Save the account's ratings (``iro, criterion, value, rationale``) all or nothing, checked
    like a ratings file; an IRO the account may not rate is refused."""
    with _store_errors():
        scope = _scope(engine=engine, assessor=assessor, role=role)
        if assessment_key not in scope:
            raise NotFound(f"you have no IROs to rate in assessment '{assessment_key}'")
        allowed = scope[assessment_key]
        outside = sorted({str(r["iro"]) for r in rows} - set(allowed)) if allowed is not None else []
        if outside:
            raise AccessDenied(f"these IROs are not assigned to you: {', '.join(outside[:10])}")
        if not rows:
            return {"added": 0, "replaced": 0}
        return dma.save_assessor_ratings(
            engine=engine,
            assessment_key=assessment_key,
            assessor=assessor,
            table=pd.DataFrame(rows, columns=["iro", "criterion", "value", "rationale"]),
            actor=assessor,
        )


__all__ = [
    "AccessDenied",
    "NotFound",
    "RatingItem",
    "RatingSheet",
    "RatingTask",
    "StoreError",
    "StoreUnavailable",
    "assign",
    "clean_text",
    "assignments",
    "rating_sheet",
    "raters",
    "rating_tasks",
    "save_sheet",
    "signed_in",
    "unassign",
]
