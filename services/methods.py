"""The analysis method of an assessment: saving one (who, and why) and the method log."""

from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import Engine

from analysis.method import MethodConfig
from analysis.whatif import method_changes
from survey import methods
from survey.db import transaction


def save_method(
    *, engine: Engine, assessment_key: str, method: MethodConfig, author: str, reason: str
) -> None:
    """Put `method` in force for the assessment and log it. A change of method needs its author
    and a reason (:class:`survey.errors.StoreError` otherwise); cached results are recomputed,
    as saving changes the assessment's data version."""
    with transaction(engine) as session:
        methods.save_method(
            session=session,
            assessment_key=assessment_key,
            config=method.as_dict(),
            author=author,
            reason=reason,
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
