"""The survey a stakeholder answers from a link: what the link leads to, drafts, submission.

Called on every page run of every respondent, so reads stay read-only: only the first visit
of a link, a draft and a submission write.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from survey import responding
from survey.db import transaction
from survey.responding import Answers, LinkTarget, SurveyForm


@dataclass(frozen=True)
class SurveyVisit:
    """What a valid link leads to (never the token itself) and the form to show."""

    target: LinkTarget
    form: SurveyForm


def visit(*, engine: Engine, token: str | None) -> SurveyVisit:
    """The link's target and its group's form; the first visit of a link is recorded (the time
    only). Raises :class:`survey.errors.UnknownLink` for a malformed or unknown token."""
    with transaction(engine, write=False) as session:
        target = responding.find_link(session=session, token=token)
        form = responding.survey_form(
            session=session, assessment_key=target.assessment_key, group=target.group
        )
    if not target.opened:
        with transaction(engine) as session:
            responding.mark_opened(session=session, invitation_id=target.invitation_id)
    return SurveyVisit(target, form)


def save_draft(*, engine: Engine, token: str | None, answers: Answers) -> bool:
    """Keep unfinished answers with a personal link (False for an open link, whose answers are
    never kept before submission). Raises :class:`survey.errors.LinkUnavailable` when the
    link no longer takes answers."""
    with transaction(engine) as session:
        return responding.save_draft(session=session, token=token, answers=answers)


def submit(*, engine: Engine, token: str | None, answers: Answers) -> int:
    """Record the answers given through a link; returns the response id. Raises
    :class:`survey.errors.IncompleteAnswers` naming the topics without an answer, or
    :class:`survey.errors.LinkUnavailable` (closed, unknown, already submitted)."""
    with transaction(engine) as session:
        return responding.submit(session=session, token=token, answers=answers)
