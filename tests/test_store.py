"""The store on a real SQLite file and on PostgreSQL: snapshots, atomic writes, aggregates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from core.aggregates import summarise_ratings
from survey.assessments import (
    catalog_of,
    create_assessment,
    data_version,
    get_assessment,
    load_index,
    set_status,
)
from survey.catalog import Catalog, TopicSpec
from survey.db import transaction
from survey.errors import NotFound, StoreError, ValidationProblem
from survey.models import Comment, Rating, Response, Topic
from survey.reads import load_assessment_data, ratings_frame
from survey.responses import RatingIn, ResponseIn, record_response, record_responses_bulk, withdraw_response


def make_assessment(engine, catalog, key="2020", year=2020):
    with transaction(engine) as session:
        return create_assessment(session=session, key=key, year=year, catalog=catalog)


def count(engine, model) -> int:
    with transaction(engine, write=False) as session:
        return session.scalar(select(func.count()).select_from(model))


def response(group="clients", values=None, **extra) -> ResponseIn:
    values = values or {"privacy_data_security": 5, "customer_service": 4, "emissions": None}
    return ResponseIn(group=group, ratings=[RatingIn(topic=t, value=v) for t, v in values.items()], **extra)


def test_assessment_copies_the_catalog(engine, catalog):
    make_assessment(engine, catalog)
    with transaction(engine, write=False) as session:
        snapshot = catalog_of(session=session, assessment_key="2020")
        assessment = get_assessment(session=session, key="2020")
    assert snapshot.topics == catalog.topics
    assert snapshot.groups == catalog.groups
    assert sorted(snapshot.channels, key=lambda c: (c.group, c.name_en)) == sorted(
        catalog.channels, key=lambda c: (c.group, c.name_en)
    )
    assert snapshot.focus_areas == catalog.focus_areas
    assert (assessment.status, assessment.scale_min, assessment.scale_max) == ("draft", 1, 5)

    # Next year's catalog renames a topic and drops another: last year's snapshot is untouched.
    edited = Catalog(
        topics=[TopicSpec(t.key, t.category, t.name_en + " (new)") for t in catalog.topics[:-1]],
        groups=catalog.groups,
        channels=catalog.channels,
        focus_areas=[f for f in catalog.focus_areas if f.topic != catalog.topics[-1].key],
        dimensions=catalog.dimensions,
        scale=catalog.scale,
    )
    make_assessment(engine, edited, key="2021", year=2021)
    with transaction(engine, write=False) as session:
        old = catalog_of(session=session, assessment_key="2020")
        new = catalog_of(session=session, assessment_key="2021")
    assert old.topics == catalog.topics
    assert len(new.topics) == 15 and new.topics[0].name_en.endswith("(new)")


def test_assessment_key_is_unique_and_checked(engine, catalog):
    make_assessment(engine, catalog)
    with pytest.raises(StoreError, match="already exists"):
        make_assessment(engine, catalog)
    with pytest.raises(StoreError, match="must be 1-64 letters"):
        make_assessment(engine, catalog, key="no spaces please")
    with transaction(engine) as session, pytest.raises(NotFound, match="no assessment 'x'.*known: 2020"):
        get_assessment(session=session, key="x")


def test_recording_a_response_is_atomic(engine, catalog):
    make_assessment(engine, catalog)
    with transaction(engine) as session:
        index = load_index(session=session, assessment_key="2020")
        record_response(
            session=session,
            index=index,
            response_in=response(
                channel="Official website", comments={"emissions": "=cmd()"}, suggestion="Water"
            ),
        )
    assert (count(engine, Response), count(engine, Rating), count(engine, Comment)) == (1, 3, 2)

    # Invalid ratings: every problem is named and nothing is written.
    with pytest.raises(ValidationProblem) as caught, transaction(engine) as session:
        index = load_index(session=session, assessment_key="2020")
        record_response(
            session=session,
            index=index,
            response_in=response(values={"emissions": 9, "no_such_topic": 3}, channel="Fax"),
        )
    assert any("outside the scale 1-5" in p for p in caught.value.problems)
    assert any("unknown topic 'no_such_topic'" in p for p in caught.value.problems)
    assert any("'Fax' is not a channel of group 'clients'" in p for p in caught.value.problems)

    # A failure after the response was written rolls all of it back.
    with pytest.raises(RuntimeError), transaction(engine) as session:
        index = load_index(session=session, assessment_key="2020")
        record_response(session=session, index=index, response_in=response(comments={"emissions": "x"}))
        raise RuntimeError("connection lost")
    assert (count(engine, Response), count(engine, Rating), count(engine, Comment)) == (1, 3, 2)


def test_same_source_response_id_is_stored_once(engine, catalog):
    make_assessment(engine, catalog)
    with transaction(engine) as session:
        index = load_index(session=session, assessment_key="2020")
        record_response(
            session=session, index=index, response_in=response(source="import:x", source_response_id="R1")
        )
    with pytest.raises(Exception, match="(?i)unique"), transaction(engine) as session:
        index = load_index(session=session, assessment_key="2020")
        record_response(
            session=session, index=index, response_in=response(source="import:x", source_response_id="R1")
        )
    assert count(engine, Response) == 1


def random_ratings(rng: np.random.Generator, catalog, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    groups = [g for g in catalog.groups]
    responses, ratings = [], []
    for i in range(n):
        group = groups[i % len(groups)]
        rid = f"r{i}"
        responses.append({"source_response_id": rid, "group": group.key})
        for topic in catalog.topics:
            if rng.random() < 0.1:
                continue  # topic not shown
            value = np.nan if rng.random() < 0.08 else float(rng.integers(1, 6))
            ratings.append(
                {"source_response_id": rid, "topic": topic.key, "dimension": group.dimension, "value": value}
            )
    return pd.DataFrame(responses), pd.DataFrame(ratings)


def recount(engine, key="2020"):
    """The summary statistics recomputed from the raw rating rows."""
    with transaction(engine, write=False) as session:
        raw = ratings_frame(session=session, assessment_key=key)
    return summarise_ratings(raw)


def assert_same_aggregates(stored, expected):
    def norm(frame, keys):
        return frame.sort_values(keys).reset_index(drop=True).astype({"n": "int64"} if "n" in frame else {})

    pd.testing.assert_frame_equal(
        norm(stored.histogram, ["group", "dimension", "topic", "value"]),
        norm(expected.histogram, ["group", "dimension", "topic", "value"]),
        check_dtype=False,
    )
    s = stored.moments.copy()
    swap = s["topic_a"] > s["topic_b"]  # pairs are stored by id order; compare by key order
    s.loc[swap, ["topic_a", "topic_b", "sum_a", "sum_b"]] = s.loc[
        swap, ["topic_b", "topic_a", "sum_b", "sum_a"]
    ].values
    e = expected.moments
    keys = ["group", "dimension", "topic_a", "topic_b"]
    pd.testing.assert_frame_equal(norm(s, keys), norm(e, keys), check_dtype=False)
    pd.testing.assert_frame_equal(
        norm(stored.respondents, ["group", "dimension"]),
        norm(expected.respondents, ["group", "dimension"]),
        check_dtype=False,
    )
    pd.testing.assert_frame_equal(
        norm(stored.dont_know, ["group", "dimension", "topic"]),
        norm(expected.dont_know, ["group", "dimension", "topic"]),
        check_dtype=False,
    )


def test_aggregates_equal_a_recount_after_bulk_single_and_withdrawal(engine, catalog):
    make_assessment(engine, catalog)
    responses, ratings = random_ratings(np.random.default_rng(7), catalog, 120)
    with transaction(engine) as session:
        index = load_index(session=session, assessment_key="2020")
        assert (
            record_responses_bulk(
                session=session, index=index, responses=responses, ratings=ratings, source="t"
            )
            == 120
        )
    with transaction(engine) as session:
        index = load_index(session=session, assessment_key="2020")
        ids = [
            record_response(
                session=session, index=index, response_in=response(values={"emissions": v, "recruitment": 2})
            )
            for v in (1, 2, 5, None)
        ]
    with transaction(engine) as session:
        data = load_assessment_data(session=session, assessment_key="2020")
    assert_same_aggregates(data.aggregates, recount(engine))
    assert int(data.responses["n_responses"].sum()) == 124

    with transaction(engine) as session:
        before = data_version(session=session, assessment_key="2020")
        withdraw_response(session=session, response_id=ids[2])
        withdraw_response(session=session, response_id=int(session.scalar(select(func.min(Response.id)))))
    with transaction(engine) as session:
        assert data_version(session=session, assessment_key="2020") != before
        data = load_assessment_data(session=session, assessment_key="2020")
    assert_same_aggregates(data.aggregates, recount(engine))
    assert int(data.responses["n_responses"].sum()) == 122
    with pytest.raises(NotFound), transaction(engine) as session:
        withdraw_response(session=session, response_id=ids[2])


def test_data_version_changes_with_new_responses(engine, catalog):
    make_assessment(engine, catalog)
    with transaction(engine) as session:
        first = data_version(session=session, assessment_key="2020")
        index = load_index(session=session, assessment_key="2020")
        record_response(session=session, index=index, response_in=response())
    with transaction(engine) as session:
        second = data_version(session=session, assessment_key="2020")
        set_status(session=session, key="2020", status="open")
    with transaction(engine) as session:
        third = data_version(session=session, assessment_key="2020")
        assert get_assessment(session=session, key="2020").status == "open"
    assert len({first, second, third}) == 3
    with pytest.raises(ValueError), transaction(engine) as session:
        set_status(session=session, key="2020", status="paused")


def test_topics_are_per_assessment(engine, catalog):
    make_assessment(engine, catalog)
    make_assessment(engine, catalog, key="2021", year=2021)
    assert count(engine, Topic) == 32
