"""Synthetic, deterministic demo data: assessments `2019` and `2020` on the default catalog.

The 2020 data are shaped so that the default analysis reproduces the model report's tiers
(7 "high", 9 "material"): each topic has a stakeholder and a business level, each group rates
its declared focus areas higher, respondents differ in how generously they rate, and answers
are noisy and rounded to the 1-5 scale, with some "don't know". 2019 differs in plausible ways:
climate change was not yet a topic of its own, talent attraction was only "material" and
employee health and safety "high", and fewer people answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from survey.assessments import create_assessment, list_assessments, load_index, set_status
from survey.catalog import Catalog, FocusSpec, load_catalog
from survey.models import AssessmentStatus, Invitation, Response, table_of
from survey.responses import record_responses_bulk
from survey.tokens import hash_token, new_token

# The report's 2020 result, used to shape the synthetic data (and checked by the tests).
REPORT_2020_HIGH = (
    "privacy_data_security",
    "customer_service",
    "technological_innovation",
    "talent_attraction",
    "development_training",
    "business_ethics",
    "ip_protection",
)

# Mean rating each topic draws before group focus and respondent effects:
# (stakeholder importance, business impact).
LEVELS_2020 = {
    "privacy_data_security": (4.15, 4.6),
    "customer_service": (4.05, 4.4),
    "technological_innovation": (3.95, 4.5),
    "talent_attraction": (3.9, 4.2),
    "development_training": (3.95, 4.1),
    "business_ethics": (3.95, 4.3),
    "ip_protection": (3.85, 4.4),
    "recruitment": (3.2, 3.4),
    "labor_standards": (3.25, 3.2),
    "diversity_inclusion": (3.1, 3.0),
    "health_safety": (3.35, 3.3),
    "supplier_management": (3.0, 3.3),
    "climate_change": (3.15, 3.1),
    "emissions": (2.95, 3.0),
    "use_of_resources": (2.9, 3.2),
    "community_engagement": (3.05, 2.9),
}

LEVELS_2019 = {
    **{k: v for k, v in LEVELS_2020.items() if k != "climate_change"},
    "talent_attraction": (3.3, 3.4),
    "health_safety": (3.95, 4.2),
    "community_engagement": (2.8, 2.7),
    "emissions": (3.1, 3.1),
}

GROUP_SIZES_2020 = {
    "regulators": 9,
    "investors": 28,
    "clients": 146,
    "employees": 212,
    "suppliers": 47,
    "media_ngos": 14,
    "community": 36,
    "management": 18,
}
GROUP_SIZES_2019 = {
    "regulators": 7,
    "investors": 21,
    "clients": 98,
    "employees": 175,
    "suppliers": 33,
    "media_ngos": 4,  # too few to show on their own: exercises suppression
    "community": 19,
    "management": 15,
}

# Topics a group knows little about get more "don't know".
REMOTE_TOPICS = {
    "clients": {"recruitment", "labor_standards", "health_safety", "supplier_management"},
    "community": {"ip_protection", "technological_innovation", "supplier_management"},
    "suppliers": {"development_training", "diversity_inclusion"},
}

FOCUS_BONUS = 0.55

# Share of a group's personal links that came back answered (varied a little per channel).
RESPONSE_RATES = {
    "regulators": 0.7,
    "investors": 0.45,
    "clients": 0.35,
    "employees": 0.65,
    "suppliers": 0.55,
    "media_ngos": 0.4,
    "community": 0.38,
    "management": 0.8,
}


@dataclass(frozen=True)
class DemoYear:
    key: str
    year: int
    levels: dict[str, tuple[float, float]]
    sizes: dict[str, int]
    seed: int
    fieldwork_start: datetime
    topics_dropped: tuple[str, ...] = field(default_factory=tuple)


DEMO_YEARS = (
    DemoYear(
        "2019",
        2019,
        LEVELS_2019,
        GROUP_SIZES_2019,
        2019,
        datetime(2019, 10, 8, tzinfo=UTC),
        ("climate_change",),
    ),
    DemoYear("2020", 2020, LEVELS_2020, GROUP_SIZES_2020, 2020, datetime(2020, 10, 12, tzinfo=UTC)),
)


def synthetic_responses(catalog: Catalog, spec: DemoYear) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(responses, ratings) frames for one demo year, in the bulk-import layout."""
    rng = np.random.default_rng(spec.seed)
    topics = [t.key for t in catalog.topics if t.key in spec.levels]
    focus = {(f.group, f.topic) for f in catalog.focus_areas if f.topic}
    channels = {g.key: [c.name_en for c in catalog.channels if c.group == g.key] for g in catalog.groups}
    response_rows, rating_frames = [], []
    for group in catalog.groups:
        size = spec.sizes.get(group.key, 0)
        business = group.dimension == "business_impact"
        group_offset = rng.normal(0, 0.12)
        means = np.array(
            [
                spec.levels[t][1 if business else 0]
                + (0 if business else FOCUS_BONUS * ((group.key, t) in focus))
                + group_offset
                for t in topics
            ]
        )
        leniency = rng.normal(0, 0.35, size=(size, 1))
        noise = rng.normal(0, 0.75, size=(size, len(topics)))
        values = np.clip(np.rint(means + leniency + noise), catalog.scale.min, catalog.scale.max)
        remote = REMOTE_TOPICS.get(group.key, set())
        p_dont_know = np.array([0.16 if t in remote else 0.03 for t in topics])
        values[rng.random(values.shape) < p_dont_know] = np.nan
        ids = [f"{spec.key}-{group.key}-{i + 1:04d}" for i in range(size)]
        options: list[str | None] = [*channels[group.key]] or [None]
        weights = np.linspace(2, 1, len(options))
        picked = rng.choice(len(options), size=size, p=weights / weights.sum())
        offsets = np.sort(rng.uniform(0, 35 * 24 * 3600, size=size))
        for i, rid in enumerate(ids):
            response_rows.append(
                {
                    "source_response_id": rid,
                    "group": group.key,
                    "channel": options[picked[i]],
                    "submitted_at": pd.Timestamp(spec.fieldwork_start + timedelta(seconds=int(offsets[i]))),
                    "language": "zh" if rng.random() < 0.6 else "en",
                }
            )
        rating_frames.append(
            pd.DataFrame(
                {
                    "source_response_id": np.repeat(ids, len(topics)),
                    "topic": np.tile(topics, size),
                    "dimension": group.dimension,
                    "value": values.reshape(-1),
                }
            )
        )
    return pd.DataFrame(response_rows), pd.concat(rating_frames, ignore_index=True)


def demo_invitations(*, session: Session, spec: DemoYear, responses: pd.DataFrame) -> int:
    """Personal links behind the demo responses, plus the links nobody answered; returns how many.

    Per group and channel more links are issued than answered (response rates of 30-80%); some
    unanswered links were opened and a few hold a saved draft. Counts and times are seeded; the
    tokens are random and thrown away, as only their hashes are stored.
    """
    rng = np.random.default_rng(spec.seed + 1)
    index = load_index(session=session, assessment_key=spec.key)
    aid = index.assessment.id
    response_ids = dict(
        session.execute(
            select(Response.source_response_id, Response.id).where(Response.assessment_id == aid)
        ).all()
    )
    issued_at = spec.fieldwork_start - timedelta(days=1)
    topics = sorted(index.topics)
    rows: list[dict[str, Any]] = []
    response_of: list[int | None] = []  # the response each link brought, in the order of `rows`
    for (group, channel), answers in responses.groupby(["group", "channel"], sort=False):
        rate = float(np.clip(RESPONSE_RATES[group] * rng.uniform(0.85, 1.15), 0.3, 0.8))
        unanswered = int(np.ceil(len(answers) / rate)) - len(answers)
        base: dict[str, Any] = {
            "assessment_id": aid,
            "group_id": index.groups[group],
            "channel_id": index.channels[(group, channel)],
        }
        for rid, language, submitted in zip(
            answers["source_response_id"], answers["language"], answers["submitted_at"], strict=True
        ):
            submitted = submitted.to_pydatetime()
            opened = submitted - timedelta(minutes=int(rng.integers(3, 40)))
            rows.append(base | {"language": language, "opened_at": opened, "submitted_at": submitted})
            response_of.append(response_ids[rid])
        for _ in range(unanswered):
            row: dict[str, Any] = base | {"language": "zh" if rng.random() < 0.6 else "en", "opened_at": None}
            if rng.random() < 0.25:
                row["opened_at"] = spec.fieldwork_start + timedelta(hours=float(rng.uniform(1, 800)))
                if rng.random() < 0.3:
                    started = topics[: int(rng.integers(1, len(topics)))]
                    row["draft"] = {"ratings": {t: int(rng.integers(1, 6)) for t in started}}
                    row["draft_saved_at"] = row["opened_at"] + timedelta(minutes=2)
            rows.append(row)
            response_of.append(None)
    for row in rows:
        row.update(token_hash=hash_token(new_token()), is_open=False, created_at=issued_at)
        row.setdefault("submitted_at", None)
        row.setdefault("draft", None)
        row.setdefault("draft_saved_at", None)
    ids = session.scalars(
        insert(Invitation).returning(Invitation.id, sort_by_parameter_order=True), rows
    ).all()
    links = [
        {"response": response_id, "invitation": invitation_id}
        for invitation_id, response_id in zip(ids, response_of, strict=True)
        if response_id is not None
    ]
    table = table_of(Response)
    session.execute(
        update(table)
        .where(table.c.id == bindparam("response"))
        .values(invitation_id=bindparam("invitation")),
        links,
    )
    return len(rows)


def create_demo(*, session: Session, catalog: Catalog | None = None) -> list[str]:
    """Create the demo assessments that do not exist yet; returns the keys created."""
    catalog = catalog or load_catalog()
    existing = {a.key for a in list_assessments(session=session)}
    created = []
    for spec in DEMO_YEARS:
        if spec.key in existing:
            continue
        year_catalog = Catalog(
            topics=[t for t in catalog.topics if t.key not in spec.topics_dropped],
            groups=catalog.groups,
            channels=catalog.channels,
            # a focus on a topic the catalog did not have yet is kept as a concern outside it
            focus_areas=[
                FocusSpec(f.group, f.label, None) if f.topic in spec.topics_dropped else f
                for f in catalog.focus_areas
            ],
            dimensions=catalog.dimensions,
            scale=catalog.scale,
        )
        create_assessment(
            session=session,
            key=spec.key,
            year=spec.year,
            catalog=year_catalog,
            name=f"Materiality assessment {spec.year} (demo data)",
        )
        responses, ratings = synthetic_responses(year_catalog, spec)
        index = load_index(session=session, assessment_key=spec.key)
        record_responses_bulk(
            session=session, index=index, responses=responses, ratings=ratings, source="demo"
        )
        demo_invitations(session=session, spec=spec, responses=responses)
        set_status(session=session, key=spec.key, status=AssessmentStatus.closed)
        created.append(spec.key)
    return created
