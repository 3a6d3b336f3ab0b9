"""The analysis method of an assessment: saving one (who, and why) and the method log."""

from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import Engine

from analysis.method import MethodConfig
from analysis.whatif import method_changes
from survey import audit, methods
from survey.db import transaction


def save_method(
    *,
    engine: Engine,
    assessment_key: str,
    method: MethodConfig,
    reason: str,
    actor: str | None = None,
    author: str | None = None,
) -> None:
    """Put `method` in force for the assessment and log it. A change of method needs a reason
    (:class:`survey.errors.StoreError` otherwise); its author is the account acting (`actor`,
    see :func:`survey.audit.current_actor`; `author` is the older name of the same argument).
    Cached results are recomputed, as saving changes the assessment's data version."""
    who = audit.current_actor(actor or author)
    with transaction(engine) as session:
        before = methods.current_method(session=session, assessment_key=assessment_key)
        config = method.as_dict()
        methods.save_method(
            session=session, assessment_key=assessment_key, config=config, author=who, reason=reason
        )
        audit.record(
            session=session,
            actor=who,
            action="method.save",
            object=f"method of assessment {assessment_key}",
            assessment=assessment_key,
            before=before,
            after={**config, "reason": reason},
        )


def method_history(*, engine: Engine, assessment_key: str) -> pd.DataFrame:
    """Every method saved for the assessment, newest first: id, created_at, author, reason,
    config, and changes (what differs from the method before it, one line per field; the
    first against the defaults)."""
    with transaction(engine, write=False) as session:
        history = methods.method_history(session=session, assessment_key=assessment_key)
    configs = list(history["config"])
    before = [*configs[1:], None]  # newest first: each record's predecessor comes after it
    return history.assign(changes=[method_changes(before[i], config) for i, config in enumerate(configs)])
