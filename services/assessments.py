"""Assessments: the list, a new one from a catalog or from an earlier assessment, the demo."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Engine

from survey import assessments, audit, campaign, demo, iro_demo
from survey.catalog import Catalog, load_catalog
from survey.db import transaction
from survey.models import Assessment


@dataclass(frozen=True)
class AssessmentSummary:
    key: str
    year: int
    status: str
    name: str

    @classmethod
    def of(cls, assessment: Assessment) -> AssessmentSummary:
        return cls(assessment.key, assessment.year, assessment.status, assessment.name)


@dataclass(frozen=True)
class NewAssessment(AssessmentSummary):
    """An assessment just created, with the size of its catalog."""

    topics: int
    groups: int
    channels: int


def list_assessments(*, engine: Engine) -> list[AssessmentSummary]:
    """Every assessment, oldest first (by year, then key)."""
    with transaction(engine, write=False) as session:
        return [AssessmentSummary.of(a) for a in assessments.list_assessments(session=session)]


def assessment_keys(*, engine: Engine) -> list[str]:
    return [a.key for a in list_assessments(engine=engine)]


def catalog_of(*, engine: Engine, assessment_key: str | None) -> Catalog:
    """The catalog an assessment was created with (None: the default catalog), to start a new
    one from."""
    if assessment_key is None:
        return load_catalog()
    with transaction(engine, write=False) as session:
        return assessments.catalog_of(session=session, assessment_key=assessment_key)


def create_assessment(
    *,
    engine: Engine,
    key: str,
    year: int,
    catalog: Catalog,
    name: str | None = None,
    actor: str | None = None,
) -> NewAssessment:
    """A new draft assessment with its own copy of `catalog`."""
    with transaction(engine) as session:
        created = assessments.create_assessment(
            session=session, key=key, year=year, catalog=catalog, name=name
        )
        audit.record(
            session=session,
            actor=actor,
            action="assessment.create",
            object=f"assessment {created.key}",
            assessment=created.key,
            after={
                "year": created.year,
                "name": created.name,
                "status": created.status,
                "topics": [t.key for t in catalog.topics],
                "groups": [g.key for g in catalog.groups],
                "channels": len(catalog.channels),
            },
        )
        return NewAssessment(
            created.key,
            created.year,
            created.status,
            created.name,
            topics=len(catalog.topics),
            groups=len(catalog.groups),
            channels=len(catalog.channels),
        )


def create_from_tables(
    *,
    engine: Engine,
    key: str,
    year: int,
    name: str | None,
    tables: dict[str, pd.DataFrame],
    base: Catalog,
    actor: str | None = None,
) -> NewAssessment:
    """A new assessment from edited catalog tables, checked as a catalog file is (with the
    dimensions and scale of `base`); raises :class:`survey.catalog.CatalogError` naming every
    problem by table, row and column, and creates nothing then."""
    catalog = campaign.catalog_from_tables(tables, base=base)
    return create_assessment(engine=engine, key=key, year=year, catalog=catalog, name=name, actor=actor)


def create_demo(*, engine: Engine, actor: str | None = None) -> list[str]:
    """Create the demo assessments that do not exist yet; returns the keys created."""
    with transaction(engine) as session:
        created = demo.create_demo(session=session)
        for key in created:
            audit.record(
                session=session,
                actor=actor,
                action="assessment.demo",
                object=f"assessment {key}",
                assessment=key,
            )
        if iro_demo.create_dma_demo(session=session):
            audit.record(
                session=session,
                actor=actor,
                action="assessment.demo",
                object=f"IRO register of {iro_demo.DEMO_KEY}",
                assessment=iro_demo.DEMO_KEY,
            )
            if not created:
                created = [f"{iro_demo.DEMO_KEY} (double materiality)"]
        return created
