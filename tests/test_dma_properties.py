"""Properties of double-materiality scoring on generated registers and ratings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from analysis.dma import score_dma
from analysis.dma_method import (
    IRO_STATUSES,
    IRO_TYPES,
    PRESETS,
    DmaMethod,
    DmaThresholds,
    applicable_criteria,
)

pytestmark = pytest.mark.slow

TOPICS = ("climate", "water", "workforce")
SUB_TOPICS = ("", "one", "two")
ASSESSORS = ("A", "B", "C")
SCORE_COLUMNS = [
    "severity",
    "impact_score",
    "financial_score",
    "impact_low",
    "impact_high",
    "financial_low",
    "financial_high",
]


@st.composite
def assessments(draw) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A register of 1-6 IROs and complete ratings from one to three assessors per IRO."""
    n = draw(st.integers(1, 6))
    register_rows = []
    rating_rows = []
    for i in range(n):
        iro_type = draw(st.sampled_from(IRO_TYPES))
        status = draw(st.sampled_from(IRO_STATUSES))
        iro = f"I{i}"
        register_rows.append(
            (
                iro,
                draw(st.sampled_from(TOPICS)),
                draw(st.sampled_from(SUB_TOPICS)),
                iro_type,
                status,
                draw(st.sampled_from(("yes", "no"))),
            )
        )
        raters = draw(st.lists(st.sampled_from(ASSESSORS), min_size=1, max_size=3, unique=True))
        for assessor in raters:
            for criterion in applicable_criteria(iro_type, status):
                value = draw(st.integers(1, 5))
                rating_rows.append((assessor, iro, criterion, value, f"{assessor} on {criterion}"))
    register = pd.DataFrame(
        register_rows, columns=["iro", "topic", "sub_topic", "type", "status", "human_rights"]
    )
    ratings = pd.DataFrame(rating_rows, columns=["assessor", "iro", "criterion", "value", "rationale"])
    return register, ratings


thresholds_on_the_scale = st.floats(1, 5, allow_nan=False)
presets = st.sampled_from(PRESETS)


@settings(max_examples=60, deadline=None)
@given(assessments(), presets)
def test_scores_stay_on_the_scale_and_inside_the_assessors_range(assessment, preset):
    """Severity and actual impacts run 1-5; a product with likelihood / 5 runs 0.2-5."""
    register, ratings = assessment
    iros = score_dma(register, ratings, thresholds=DmaThresholds(), method=DmaMethod(preset=preset)).iros
    eps = 1e-9
    impact = iros["type"].str.endswith("impact")
    assert iros.loc[impact, SCORE_COLUMNS[:2] + ["impact_low", "impact_high"]].notna().all().all()
    assert iros.loc[~impact, ["financial_score", "financial_low", "financial_high"]].notna().all().all()
    assert iros["severity"].dropna().between(1 - eps, 5 + eps).all()
    for column in SCORE_COLUMNS[1:]:
        assert iros[column].dropna().between(0.2 - eps, 5 + eps).all(), column
    actual = impact & (iros["status"] == "actual")
    assert iros.loc[actual, "impact_score"].between(1 - eps, 5 + eps).all()
    for axis in ("impact", "financial"):
        scored = iros[f"{axis}_score"].notna()
        low, score, high = (iros.loc[scored, c] for c in (f"{axis}_low", f"{axis}_score", f"{axis}_high"))
        assert (low <= score + eps).all() and (score <= high + eps).all()


@settings(max_examples=60, deadline=None)
@given(assessments(), presets, st.data())
def test_raising_a_rating_never_lowers_a_score(assessment, preset, data):
    register, ratings = assessment
    below_the_top = ratings.index[ratings["value"] < 5].tolist()
    assume(below_the_top)
    row = data.draw(st.sampled_from(below_the_top), label="row")
    raised_value = data.draw(st.integers(int(ratings.loc[row, "value"]) + 1, 5), label="raised to")
    raised = ratings.copy()
    raised.loc[row, "value"] = raised_value
    method = DmaMethod(preset=preset)
    before = score_dma(register, ratings, thresholds=DmaThresholds(), method=method)
    after = score_dma(register, raised, thresholds=DmaThresholds(), method=method)
    for frame_before, frame_after, columns in (
        (before.iros, after.iros, SCORE_COLUMNS),
        (before.topics, after.topics, ["impact_score", "financial_score"]),
        (before.sub_topics, after.sub_topics, ["impact_score", "financial_score"]),
    ):
        for column in columns:
            old, new = frame_before[column].to_numpy(), frame_after[column].to_numpy()
            assert np.array_equal(np.isnan(old), np.isnan(new)), column
            assert (np.nan_to_num(new) >= np.nan_to_num(old) - 1e-12).all(), column


def reaches(score: float, threshold: float | None) -> bool:
    return threshold is not None and not math.isnan(score) and score >= threshold


@settings(max_examples=60, deadline=None)
@given(
    assessments(),
    presets,
    st.none() | thresholds_on_the_scale,
    st.none() | thresholds_on_the_scale,
)
def test_material_if_and_only_if_either_axis_reaches_its_threshold(assessment, preset, impact, financial):
    register, ratings = assessment
    thresholds = DmaThresholds(impact=impact, financial=financial)
    result = score_dma(register, ratings, thresholds=thresholds, method=DmaMethod(preset=preset))
    for row in result.iros.to_dict("records"):
        assert row["impact_material"] == reaches(row["impact_score"], impact)
        assert row["financial_material"] == reaches(row["financial_score"], financial)
    for frame in (result.topics, result.sub_topics):
        for row in frame.to_dict("records"):
            on_impact = reaches(row["impact_score"], impact)
            on_financial = reaches(row["financial_score"], financial)
            assert (row["impact_material"], row["financial_material"]) == (on_impact, on_financial)
            assert row["material"] == (on_impact or on_financial)
            expected_basis = {(True, True): "both", (True, False): "impact", (False, True): "financial"}
            assert row["basis"] == expected_basis.get((on_impact, on_financial), "none")
            assert not (row["flips"] and row["material_low"])
            assert row["material_low"] <= row["material"] <= row["material_high"]


def nan_max(values: pd.Series) -> float:
    values = values.dropna()
    return float(values.max()) if len(values) else math.nan


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@settings(max_examples=60, deadline=None)
@given(assessments(), presets)
def test_a_topic_scores_the_maximum_over_its_iros(assessment, preset):
    register, ratings = assessment
    result = score_dma(
        register, ratings, thresholds=DmaThresholds(impact=3, financial=3), method=DmaMethod(preset=preset)
    )
    iros = result.iros
    assert sorted(result.topics["topic"]) == sorted(set(register["topic"]))
    for row in result.topics.to_dict("records"):
        own = iros[iros["topic"] == row["topic"]]
        assert row["n_iros"] == len(own)
        for column in (
            "impact_score",
            "financial_score",
            "impact_low",
            "impact_high",
            "financial_low",
            "financial_high",
        ):
            assert same(row[column], nan_max(own[column])), column
    for row in result.sub_topics.to_dict("records"):
        own = iros[(iros["topic"] == row["topic"]) & (iros["sub_topic"] == row["sub_topic"])]
        assert row["sub_topic"] != "" and len(own) == row["n_iros"]
        assert same(row["impact_score"], nan_max(own["impact_score"]))
        assert same(row["financial_score"], nan_max(own["financial_score"]))


@settings(max_examples=40, deadline=None)
@given(assessments(), presets, st.randoms(use_true_random=False))
def test_the_order_of_rows_does_not_matter(assessment, preset, random):
    register, ratings = assessment
    method = DmaMethod(preset=preset)
    thresholds = DmaThresholds(impact=2.5, financial=2)
    shuffled_register = register.iloc[random.sample(range(len(register)), len(register))]
    shuffled_ratings = ratings.iloc[random.sample(range(len(ratings)), len(ratings))]
    expected = score_dma(register, ratings, thresholds=thresholds, method=method)
    got = score_dma(shuffled_register, shuffled_ratings, thresholds=thresholds, method=method)
    pd.testing.assert_frame_equal(got.iros, expected.iros)
    pd.testing.assert_frame_equal(got.topics, expected.topics)
    pd.testing.assert_frame_equal(got.sub_topics, expected.sub_topics)
