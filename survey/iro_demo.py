"""A double-materiality demo on the 2020 demo assessment: an IRO register of 40 impacts, risks
and opportunities of a cloud company on the report's 16 topics, rated by four assessors with a
rationale each, thresholds set before rating, and a calibration under way.

Deterministic: the ratings are each IRO's level per criterion, moved by a fixed pattern per
assessor, so that a few criteria differ by two points and are flagged for calibration.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey import iro
from survey.iro_models import DmaEvent, DmaThresholdRecord, Iro, IroRating
from survey.models import Assessment

DEMO_KEY = "2020"
ASSESSORS = ("Head of Risk", "Sustainability lead", "HR director", "CTO office")
# Every assessor's offset per criterion, in the order scale, scope, irremediability, likelihood,
# magnitude; cycled over the IROs by their position.
OFFSETS = {
    "Head of Risk": (0, 0, 0, 1, 0, 0, 0),
    "Sustainability lead": (1, 0, 0, 0, 0, 0, 0),
    "HR director": (0, 0, 0, 0, 0, 0, -1),
    "CTO office": (0, 0, 1, 0, 0, 0, 0),
}
# Where assessors disagree by two points or more: (IRO, criterion) -> {assessor: value}.
# LAB-2 is settled by a consensus value in the demo; the others wait for calibration.
DISPUTES = {
    ("LAB-2", "likelihood"): {"Sustainability lead": 4, "CTO office": 1},
    ("SUP-1", "scope"): {"CTO office": 2, "Sustainability lead": 5},
    ("CLI-3", "likelihood"): {"Head of Risk": 5, "HR director": 2},
}
CRITERIA = ("scale", "scope", "irremediability", "likelihood", "magnitude")

# The register, with each IRO's central value per criterion that applies (`levels`).
REGISTER_FILE = Path(__file__).resolve().parent.parent / "data" / "demo" / "iro_register_2020.csv"


def demo_register() -> pd.DataFrame:
    """The demo register (``levels``: ``criterion=value`` pairs separated by ``;``)."""
    frame = pd.read_csv(REGISTER_FILE, dtype=str, keep_default_na=False)
    return frame.assign(human_rights=frame["human_rights"] == "yes")


def _levels(text: str) -> dict[str, int]:
    return {name: int(value) for name, value in (pair.split("=") for pair in text.split(";"))}


RATIONALES = {
    "scale": "how grave (or how beneficial) the effect is",
    "scope": "how many people or sites it reaches",
    "irremediability": "how hard it would be to put right",
    "likelihood": "how likely it is over the horizon",
    "magnitude": "the size of the financial effect against our budget bands",
}


def demo_ratings() -> pd.DataFrame:
    """The assessors' ratings: level + the assessor's offset for the IRO's position, kept 1-5."""
    rows = []
    register = demo_register()
    for position, (code, description, levels) in enumerate(
        zip(register["iro"], register["description"], register["levels"].map(_levels), strict=True)
    ):
        for assessor in ASSESSORS:
            pattern = OFFSETS[assessor]
            for criterion, level in levels.items():
                shift = pattern[(position + CRITERIA.index(criterion)) % len(pattern)]
                value = DISPUTES.get((code, criterion), {}).get(assessor, min(5, max(1, level + shift)))
                rows.append(
                    {
                        "assessor": assessor,
                        "iro": code,
                        "criterion": criterion,
                        "value": value,
                        "rationale": f"{value}/5 on {RATIONALES[criterion]}: {description.lower()}",
                    }
                )
    return pd.DataFrame(rows)


def create_dma_demo(*, session: Session, assessment_key: str = DEMO_KEY) -> bool:
    """Add the register, ratings and thresholds to the demo assessment unless it has a register."""
    if iro.has_register(session=session, assessment_key=assessment_key):
        return False
    register = demo_register().drop(columns="levels").assign(owner="Sustainability lead")
    iro.save_register(session=session, assessment_key=assessment_key, rows=register)
    start = datetime(2020, 9, 1, 9, 0, tzinfo=UTC)
    iro.record_event(
        session=session,
        assessment_key=assessment_key,
        action="register drafted from the 2020 workshop",
        new_state="draft",
        actor="Sustainability lead",
        reason="40 IROs from the context analysis",
    )
    iro.record_thresholds(
        session=session,
        assessment_key=assessment_key,
        impact=3.0,
        financial=3.0,
        reason="Set by the steering committee before rating: mid-scale on both axes",
        actor="Sustainability lead",
    )
    iro.save_ratings(session=session, assessment_key=assessment_key, rows=demo_ratings())
    iro.record_event(
        session=session,
        assessment_key=assessment_key,
        action="ratings from the four assessors",
        new_state="rating",
        actor="Sustainability lead",
    )
    iro.set_consensus(
        session=session,
        assessment_key=assessment_key,
        iro="LAB-2",
        criterion="likelihood",
        value=2,
        rationale="Smelter audits cover most but not all of our tin and cobalt",
        actor="Head of Risk",
    )
    iro.record_event(
        session=session,
        assessment_key=assessment_key,
        action="moved to calibration",
        new_state="calibration",
        actor="Sustainability lead",
        reason="Ratings complete",
    )
    _backdate(session, assessment_key, start)
    return True


def _backdate(session: Session, assessment_key: str, start: datetime) -> None:
    """Give the demo's log entries and ratings dates in the autumn of 2020, in order."""
    aid = session.scalars(select(Assessment.id).where(Assessment.key == assessment_key)).one()
    events = session.scalars(select(DmaEvent).where(DmaEvent.assessment_id == aid).order_by(DmaEvent.id))
    for i, event in enumerate(events):
        event.at = start + timedelta(days=7 * i)
    for record in session.scalars(select(DmaThresholdRecord).where(DmaThresholdRecord.assessment_id == aid)):
        record.set_at = start + timedelta(days=3)
    ratings = session.scalars(
        select(IroRating)
        .join(Iro, Iro.id == IroRating.iro_id)
        .where(Iro.assessment_id == aid)
        .order_by(IroRating.id)
    )
    for i, rating in enumerate(ratings):
        rating.rated_at = start + timedelta(days=8, minutes=i)
    session.flush()
