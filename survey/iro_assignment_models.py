"""The table of IRO assignments: which assessor rates which IRO (:mod:`survey.iro_assignment`).

Declared on the toolkit's one declarative base, so the migrations and the schema check see it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.iro_models import ACTOR_LENGTH
from survey.models import Base, utcnow


class IroAssignment(Base):
    """One IRO assigned to one assessor (by e-mail address, as accounts are named)."""

    __tablename__ = "iro_assignment"
    __table_args__ = (UniqueConstraint("iro_id", "assessor"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    iro_id: Mapped[int] = mapped_column(ForeignKey("iro.id", ondelete="CASCADE"), index=True)
    assessor: Mapped[str] = mapped_column(String(ACTOR_LENGTH), index=True)
    assigned_by: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
