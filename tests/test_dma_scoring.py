"""Double-materiality scoring pinned to examples computed by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from analysis.dma import IRO_COLUMNS, TOPIC_COLUMNS, score_dma
from analysis.dma_method import (
    IRO_STATUSES,
    IRO_TYPES,
    PRESETS,
    DmaMethod,
    DmaThresholds,
    applicable_criteria,
    method_record,
)
from core.formats import csv_text, json_text

REGISTER_COLUMNS = ["iro", "topic", "sub_topic", "type", "status", "human_rights"]
RATING_COLUMNS = ["assessor", "iro", "criterion", "value", "rationale"]


def register_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=REGISTER_COLUMNS)


def ratings_frame(*ratings: tuple[str, str, dict[str, int]]) -> pd.DataFrame:
    """(assessor, iro, {criterion: value}) -> one row per rating, each with a rationale."""
    rows = [
        (assessor, iro, criterion, value, f"{assessor}: {criterion} of {iro} is {value}")
        for assessor, iro, values in ratings
        for criterion, value in values.items()
    ]
    return pd.DataFrame(rows, columns=RATING_COLUMNS)


def consensus_frame(*rows: tuple[str, str, int]) -> pd.DataFrame:
    return pd.DataFrame(
        [(iro, criterion, value, "agreed in the calibration meeting") for iro, criterion, value in rows],
        columns=["iro", "criterion", "value", "rationale"],
    )


def by_key(frame: pd.DataFrame, key: str) -> dict[str, dict]:
    return {row[key]: row for row in frame.to_dict("records")}


def close(actual: float, expected: float | None) -> bool:
    if expected is None:
        return math.isnan(actual)
    return actual == pytest.approx(expected, abs=0.01)


# The worked example --------------------------------------------------------------------------

WORKED_REGISTER = register_frame(
    [
        ("N1", "pollution", "air", "negative_impact", "actual", "no"),
        ("R1", "pollution", "air", "risk", "potential", "no"),
        ("R3", "water", "", "risk", "actual", "no"),
        ("N2", "own_workforce", "working_conditions", "negative_impact", "potential", "no"),
        ("N3", "own_workforce", "other_work_related_rights", "negative_impact", "potential", "yes"),
        ("P1", "communities", "economic_social_cultural_rights", "positive_impact", "actual", "no"),
        ("O1", "communities", "economic_social_cultural_rights", "opportunity", "potential", "no"),
        ("R2", "business_conduct", "corruption_and_bribery", "risk", "potential", "no"),
    ]
)
WORKED_RATINGS = ratings_frame(
    ("A", "N1", {"scale": 4, "scope": 3, "irremediability": 2}),
    ("B", "N1", {"scale": 5, "scope": 3, "irremediability": 4}),
    ("C", "N1", {"scale": 3, "scope": 3, "irremediability": 3}),
    ("A", "R1", {"magnitude": 2, "likelihood": 2}),
    ("B", "R1", {"magnitude": 2, "likelihood": 3}),
    ("A", "R3", {"magnitude": 1, "likelihood": 2}),
    ("A", "N2", {"scale": 4, "scope": 4, "irremediability": 3, "likelihood": 4}),
    ("B", "N2", {"scale": 4, "scope": 4, "irremediability": 3, "likelihood": 3}),
    ("C", "N2", {"scale": 4, "scope": 4, "irremediability": 3, "likelihood": 2}),
    ("A", "N3", {"scale": 5, "scope": 2, "irremediability": 5, "likelihood": 1}),
    ("B", "N3", {"scale": 4, "scope": 2, "irremediability": 4, "likelihood": 2}),
    ("A", "P1", {"scale": 3, "scope": 4}),
    ("B", "P1", {"scale": 3, "scope": 3}),
    ("C", "P1", {"scale": 3, "scope": 2}),
    ("A", "O1", {"magnitude": 4, "likelihood": 4}),
    ("B", "O1", {"magnitude": 3, "likelihood": 4}),
    ("A", "R2", {"magnitude": 5, "likelihood": 3}),
    ("B", "R2", {"magnitude": 5, "likelihood": 3}),
)
WORKED_CONSENSUS = consensus_frame(("N2", "likelihood", 4))
WORKED_THRESHOLDS = DmaThresholds(impact=3.0, financial=2.5)
CATALOG = ["pollution", "water", "biodiversity", "own_workforce", "communities", "business_conduct"]


def test_worked_example_by_hand():
    """Three assessors (A, B, C), thresholds impact 3.0 and financial 2.5, default preset.

    N1, actual negative impact (pollution / air):
        scale (4+5+3)/3 = 4, scope (3+3+3)/3 = 3, irremediability (2+4+3)/3 = 3
        severity = (4+3+3)/3 = 3.333; actual, so impact score = 3.333 >= 3: impact-material.
        spread: scale 5-3 = 2, irremediability 4-2 = 2 -> 2, flagged for calibration.
        low: scale 3, scope 3, irremediability 2 -> 8/3 = 2.667; high: 5, 3, 4 -> 4.0.
    R1, potential risk (pollution / air):
        magnitude (2+2)/2 = 2, likelihood (2+3)/2 = 2.5; financial = 2 x 2.5 / 5 = 1.0 < 2.5.
        low 2 x 2 / 5 = 0.8, high 2 x 3 / 5 = 1.2; spread 1.
    R3, actual risk (water, no sub-topic), rated by A only:
        1 x 2 / 5 = 0.4; one assessor, spread 0.
    N2, potential negative impact (own workforce / working conditions):
        scale 4, scope 4, irremediability 3 (all agree), severity = 11/3 = 3.667.
        likelihood: A 4, B 3, C 2 -> mean 3, but the consensus value 4 replaces it.
        impact = 3.667 x 4 / 5 = 2.933 < 3 (with the mean it would have been 2.2).
        spread 2 (likelihood), not flagged: the consensus resolved it; low = high = 2.933.
    N3, potential negative human-rights impact (own workforce / other work-related rights):
        scale 4.5, scope 2, irremediability 4.5, severity = 11/3 = 3.667; likelihood 1.5.
        Severity takes precedence: impact = 3.667 >= 3 (severity x likelihood / 5 would be 1.1).
        low: 4, 2, 4 -> 3.333; high: 5, 2, 5 -> 4.0; spread 1.
    P1, actual positive impact (communities):
        scale (3+3+3)/3 = 3, scope (4+3+2)/3 = 3, severity = 3.0 = the threshold: material.
        spread 2 (scope) -> flagged; low (3+2)/2 = 2.5, high (3+4)/2 = 3.5.
    O1, potential opportunity (communities): magnitude 3.5, likelihood 4 -> 2.8 >= 2.5.
        low 3 x 4 / 5 = 2.4, high 4 x 4 / 5 = 3.2.
    R2, potential risk (business conduct): 5 x 3 / 5 = 3.0 >= 2.5.

    Topics (maxima over their IROs, OR rule):
        pollution: impact 3.333 (N1), financial 1.0 (R1) -> material on impact alone. The
            average (3.333 + 1.0) / 2 = 2.167 is below both thresholds (3.0 and 2.5): averaging
            would have dropped it. Low end 2.667 / 0.8: not material; high end 4.0 / 1.2:
            material, so the decision flips within the assessors' range.
        water: no impact IRO -> no impact score (not 0); financial 0.4 -> not material.
        biodiversity: in the catalog, no IRO -> no scores, not material.
        own_workforce: impact max(2.933, 3.667) = 3.667 (N3), no financial score -> impact;
            low end 3.333 is still material: no flip.
        communities: impact 3.0 (P1), financial 2.8 (O1) -> both; low end 2.5 / 2.4 not
            material, high end 3.5 / 3.2 material: flips.
        business_conduct: financial 3.0 (R2) only -> financial.
    """
    result = score_dma(
        WORKED_REGISTER,
        WORKED_RATINGS,
        thresholds=WORKED_THRESHOLDS,
        consensus=WORKED_CONSENSUS,
        topic_order=CATALOG,
    )
    assert list(result.iros.columns[: len(IRO_COLUMNS)]) == IRO_COLUMNS
    assert list(result.topics.columns[: len(TOPIC_COLUMNS)]) == TOPIC_COLUMNS

    # iro: severity, impact, financial, impact_material, financial_material, n_assessors, spread
    expected_iros = {
        "N1": (10 / 3, 10 / 3, None, True, False, 3, 2.0),
        "R1": (None, None, 1.0, False, False, 2, 1.0),
        "R3": (None, None, 0.4, False, False, 1, 0.0),
        "N2": (11 / 3, 44 / 15, None, False, False, 3, 2.0),
        "N3": (11 / 3, 11 / 3, None, True, False, 2, 1.0),
        "O1": (None, None, 2.8, False, True, 2, 1.0),
        "P1": (3.0, 3.0, None, True, False, 3, 2.0),
        "R2": (None, None, 3.0, False, True, 2, 0.0),
    }
    assert list(result.iros["iro"]) == ["N1", "R1", "R3", "N2", "N3", "O1", "P1", "R2"]
    iros = by_key(result.iros, "iro")
    for iro, (
        severity,
        impact,
        financial,
        impact_material,
        financial_material,
        n,
        spread,
    ) in expected_iros.items():
        row = iros[iro]
        assert close(row["severity"], severity), iro
        assert close(row["impact_score"], impact), iro
        assert close(row["financial_score"], financial), iro
        assert (row["impact_material"], row["financial_material"]) == (impact_material, financial_material), (
            iro
        )
        assert (row["n_assessors"], row["spread"]) == (n, spread), iro

    # the range and the calibration flag
    assert close(iros["N1"]["impact_low"], 8 / 3) and close(iros["N1"]["impact_high"], 4.0)
    assert close(iros["N2"]["impact_low"], 44 / 15) and close(iros["N2"]["impact_high"], 44 / 15)
    assert close(iros["N3"]["impact_low"], 10 / 3) and close(iros["N3"]["impact_high"], 4.0)
    assert close(iros["P1"]["impact_low"], 2.5) and close(iros["P1"]["impact_high"], 3.5)
    assert close(iros["O1"]["financial_low"], 2.4) and close(iros["O1"]["financial_high"], 3.2)
    assert close(iros["R1"]["financial_low"], 0.8) and close(iros["R1"]["financial_high"], 1.2)
    flagged = {iro: row["disputed_criteria"] for iro, row in iros.items() if row["calibrate"]}
    assert flagged == {"N1": "scale;irremediability", "P1": "scope"}
    assert iros["N2"]["consensus_criteria"] == "likelihood"
    assert iros["N2"]["likelihood"] == 4.0 and iros["N3"]["likelihood"] == 1.5

    # topic: impact, financial, impact_material, financial_material, material, basis, flips
    expected_topics = {
        "pollution": (10 / 3, 1.0, True, False, True, "impact", True),
        "water": (None, 0.4, False, False, False, "none", False),
        "biodiversity": (None, None, False, False, False, "none", False),
        "own_workforce": (11 / 3, None, True, False, True, "impact", False),
        "communities": (3.0, 2.8, True, True, True, "both", True),
        "business_conduct": (None, 3.0, False, True, True, "financial", False),
    }
    assert list(result.topics["topic"]) == CATALOG
    topics = by_key(result.topics, "topic")
    for topic, (
        impact,
        financial,
        impact_material,
        financial_material,
        material,
        basis,
        flips,
    ) in expected_topics.items():
        row = topics[topic]
        assert close(row["impact_score"], impact), topic
        assert close(row["financial_score"], financial), topic
        decision = (
            row["impact_material"],
            row["financial_material"],
            row["material"],
            row["basis"],
            row["flips"],
        )
        assert decision == (impact_material, financial_material, material, basis, flips), topic
    assert (topics["own_workforce"]["impact_iro"], topics["communities"]["financial_iro"]) == ("N3", "O1")
    assert [topics[t]["n_iros"] for t in CATALOG] == [2, 1, 0, 2, 2, 1]

    # averaging the two axes would have lost pollution: below both thresholds
    pollution = topics["pollution"]
    average = (pollution["impact_score"] + pollution["financial_score"]) / 2
    assert average < WORKED_THRESHOLDS.financial < WORKED_THRESHOLDS.impact
    assert pollution["material"]

    # sub-topics: R3 has none, so water has no sub-topic row
    assert list(zip(result.sub_topics["topic"], result.sub_topics["sub_topic"], strict=True)) == [
        ("pollution", "air"),
        ("own_workforce", "other_work_related_rights"),
        ("own_workforce", "working_conditions"),
        ("communities", "economic_social_cultural_rights"),
        ("business_conduct", "corruption_and_bribery"),
    ]
    sub_topics = by_key(result.sub_topics, "sub_topic")
    assert close(sub_topics["working_conditions"]["impact_score"], 44 / 15)
    assert sub_topics["working_conditions"]["basis"] == "none"
    assert sub_topics["other_work_related_rights"]["basis"] == "impact"

    assert result.method == method_record(DmaMethod(), WORKED_THRESHOLDS)
    assert result.method["thresholds"] == {"impact": 3.0, "financial": 2.5}
    assert result.notes == ()


def test_without_the_consensus_value_the_assessors_mean_counts_and_the_range_opens():
    """N2 without the consensus: likelihood (4+3+2)/3 = 3, impact 11/3 x 3/5 = 2.2; low
    11/3 x 2/5 = 1.467, high 11/3 x 4/5 = 2.933; likelihood now awaits calibration."""
    result = score_dma(WORKED_REGISTER, WORKED_RATINGS, thresholds=WORKED_THRESHOLDS)
    n2 = by_key(result.iros, "iro")["N2"]
    assert close(n2["impact_score"], 2.2)
    assert close(n2["impact_low"], 22 / 15) and close(n2["impact_high"], 44 / 15)
    assert (n2["calibrate"], n2["disputed_criteria"], n2["consensus_criteria"]) == (True, "likelihood", "")


def test_a_missing_threshold_makes_nothing_material_on_its_axis_and_says_so():
    result = score_dma(
        WORKED_REGISTER,
        WORKED_RATINGS,
        thresholds=DmaThresholds(financial=2.5),
        consensus=WORKED_CONSENSUS,
        topic_order=CATALOG,
    )
    assert not result.iros["impact_material"].any()
    assert not result.topics["impact_material"].any()
    topics = by_key(result.topics, "topic")
    assert [t for t in CATALOG if topics[t]["material"]] == ["communities", "business_conduct"]
    assert topics["pollution"]["basis"] == "none"
    assert result.notes == ("no impact threshold is set: impact materiality cannot make a topic material",)
    assert result.method["notes"] == list(result.notes)
    assert result.method["thresholds"] == {"impact": None, "financial": 2.5}


def test_topics_outside_the_catalog_follow_it_by_key_and_iros_are_ordered_by_topic_then_id():
    result = score_dma(
        WORKED_REGISTER, WORKED_RATINGS, thresholds=WORKED_THRESHOLDS, topic_order=["water", "pollution"]
    )
    assert list(result.topics["topic"]) == [
        "water",
        "pollution",
        "business_conduct",
        "communities",
        "own_workforce",
    ]
    assert list(result.iros["iro"]) == ["R3", "N1", "R1", "R2", "O1", "P1", "N2", "N3"]
    by_default = score_dma(WORKED_REGISTER, WORKED_RATINGS, thresholds=WORKED_THRESHOLDS)
    assert list(by_default.topics["topic"]) == sorted(set(WORKED_REGISTER["topic"]))


def test_an_iro_is_scored_once_every_applicable_criterion_has_a_value():
    """N9 lacks likelihood: no scores yet, and it says what is missing; the topic is decided
    on its scored IROs and tells how many that are."""
    register = register_frame(
        [
            ("N9", "climate", "", "negative_impact", "potential", "no"),
            ("R9", "climate", "", "risk", "potential", "no"),
            ("P9", "climate", "", "positive_impact", "actual", "no"),
        ]
    )
    ratings = ratings_frame(
        ("A", "N9", {"scale": 5, "scope": 5, "irremediability": 5}),
        ("A", "R9", {"magnitude": 4, "likelihood": 5}),
    )
    result = score_dma(register, ratings, thresholds=DmaThresholds(impact=2, financial=3))
    iros = by_key(result.iros, "iro")
    assert math.isnan(iros["N9"]["severity"]) and math.isnan(iros["N9"]["impact_score"])
    assert iros["N9"]["missing_criteria"] == "likelihood"
    assert (iros["P9"]["missing_criteria"], iros["P9"]["n_assessors"]) == ("scale;scope", 0)
    assert math.isnan(iros["P9"]["spread"])
    assert close(iros["R9"]["financial_score"], 4.0)
    topic = result.topics.iloc[0]
    assert (topic["n_iros"], topic["n_scored"], topic["basis"]) == (3, 1, "financial")
    assert math.isnan(topic["impact_score"])


# Presets ---------------------------------------------------------------------------------------

PRESET_REGISTER = register_frame(
    [
        ("X", "t", "", "negative_impact", "actual", "no"),
        ("V", "t", "", "negative_impact", "actual", "no"),
        ("W", "t", "", "negative_impact", "potential", "no"),
        ("Y", "t", "", "negative_impact", "potential", "yes"),
        ("Z", "t", "", "positive_impact", "potential", "no"),
    ]
)
PRESET_RATINGS = ratings_frame(
    ("A", "X", {"scale": 5, "scope": 2, "irremediability": 2}),
    ("A", "V", {"scale": 5, "scope": 3, "irremediability": 3}),
    ("B", "V", {"scale": 4, "scope": 3, "irremediability": 3}),
    ("A", "W", {"scale": 5, "scope": 3, "irremediability": 1, "likelihood": 4}),
    ("A", "Y", {"scale": 3, "scope": 2, "irremediability": 4, "likelihood": 2}),
    ("A", "Z", {"scale": 4, "scope": 2, "likelihood": 3}),
)


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        # X: criteria 5, 2, 2 (mean 3, max 5), actual
        # V: scale (5+4)/2 = 4.5, scope 3, irremediability 3 (mean 3.5, max 4.5), actual
        # W: 5, 3, 1 (mean 3, max 5), likelihood 4
        # Y: 3, 2, 4 (mean 3, max 4), likelihood 2, human rights
        # Z: positive 4, 2 (mean 3, max 4), likelihood 3
        # default: severity = mean; W 3 x 4/5 = 2.4; Y severity alone = 3; Z 3 x 3/5 = 1.8
        ("default", {"X": (3.0, 3.0), "V": (3.5, 3.5), "W": (3.0, 2.4), "Y": (3.0, 3.0), "Z": (3.0, 1.8)}),
        # max_override: a criterion at 5 gives 5 (X, W); V's 4.5 is a mean, not a 5
        (
            "max_override",
            {"X": (5.0, 5.0), "V": (3.5, 3.5), "W": (5.0, 4.0), "Y": (3.0, 3.0), "Z": (3.0, 1.8)},
        ),
        # mean_max: X (3+5)/2 = 4; V (3.5+4.5)/2 = 4; W (3+5)/2 = 4, x 4/5 = 3.2;
        # Y (3+4)/2 = 3.5 alone; Z (3+4)/2 = 3.5, x 3/5 = 2.1
        ("mean_max", {"X": (4.0, 4.0), "V": (4.0, 4.0), "W": (4.0, 3.2), "Y": (3.5, 3.5), "Z": (3.5, 2.1)}),
        # human_rights_weighted: as default, except Y = (3 x 3 + 1 x 2) / 4 = 2.75
        (
            "human_rights_weighted",
            {"X": (3.0, 3.0), "V": (3.5, 3.5), "W": (3.0, 2.4), "Y": (3.0, 2.75), "Z": (3.0, 1.8)},
        ),
    ],
)
def test_every_preset_by_hand(preset, expected):
    method = DmaMethod(preset=preset)
    result = score_dma(PRESET_REGISTER, PRESET_RATINGS, thresholds=DmaThresholds(impact=3.5), method=method)
    iros = by_key(result.iros, "iro")
    got = {iro: (iros[iro]["severity"], iros[iro]["impact_score"]) for iro in expected}
    assert got == {iro: (pytest.approx(s), pytest.approx(i)) for iro, (s, i) in expected.items()}
    assert result.method["preset"] == preset
    assert result.method["formulas"] == method.formulas()
    topic_score = max(i for _, i in expected.values())
    assert result.topics.iloc[0]["impact_score"] == pytest.approx(topic_score)
    assert result.topics.iloc[0]["material"] == (topic_score >= 3.5)


def test_the_preset_formulas_are_written_out_for_the_record():
    assert DmaMethod().formulas()["severity_negative_impact"] == "mean(scale, scope, irremediability)"
    assert DmaMethod(preset="max_override").formulas()["severity_positive_impact"] == (
        "5 if any of (scale, scope) is 5, else mean(scale, scope)"
    )
    assert DmaMethod(preset="mean_max").formulas()["severity_negative_impact"] == (
        "(mean(scale, scope, irremediability) + max(scale, scope, irremediability)) / 2"
    )
    assert DmaMethod(preset="human_rights_weighted").formulas()[
        "impact_score_potential_negative_human_rights"
    ] == ("(3 x severity + 1 x likelihood) / 4")


# Calibration and the flip analysis ----------------------------------------------------------


def test_calibration_flag_and_flip_on_a_small_example():
    """Thresholds impact 3, financial 3.

    I1 actual negative (topic a): scale A 2 / B 4 (gap 2, flagged), scope 3 / 3, irr 3 / 3.
        severity (3+3+3)/3 = 3 -> material. Low (2+3+3)/3 = 2.667, high (4+3+3)/3 = 3.333:
        topic a flips.
    I2 actual negative (topic b): scale A 1 / B 4 (gap 3) with consensus 4, scope 3 / 4
        (gap 1), irr 2 / 2. Not flagged: the gap of 3 is resolved, the other is 1.
        severity (4 + 3.5 + 2)/3 = 3.167 -> material. Low (4+3+2)/3 = 3, high (4+4+2)/3 = 3.333:
        material at both ends, no flip.
    R1 risk (topic c): magnitude A 1 / B 3 (gap 2, flagged), likelihood 5 / 5.
        financial 2 x 5/5 = 2 -> not material; low 1, high 3 -> material at the high end: flips.
    """
    register = register_frame(
        [
            ("I1", "a", "", "negative_impact", "actual", "no"),
            ("I2", "b", "", "negative_impact", "actual", "no"),
            ("R1", "c", "", "risk", "potential", "no"),
        ]
    )
    ratings = ratings_frame(
        ("A", "I1", {"scale": 2, "scope": 3, "irremediability": 3}),
        ("B", "I1", {"scale": 4, "scope": 3, "irremediability": 3}),
        ("A", "I2", {"scale": 1, "scope": 3, "irremediability": 2}),
        ("B", "I2", {"scale": 4, "scope": 4, "irremediability": 2}),
        ("A", "R1", {"magnitude": 1, "likelihood": 5}),
        ("B", "R1", {"magnitude": 3, "likelihood": 5}),
    )
    result = score_dma(
        register,
        ratings,
        thresholds=DmaThresholds(impact=3, financial=3),
        consensus=consensus_frame(("I2", "scale", 4)),
    )
    iros = by_key(result.iros, "iro")
    assert {iro: (r["spread"], r["calibrate"]) for iro, r in iros.items()} == {
        "I1": (2.0, True),
        "I2": (3.0, False),
        "R1": (2.0, True),
    }
    assert close(iros["I2"]["impact_score"], 19 / 6)
    topics = by_key(result.topics, "topic")
    summary = {
        t: (r["material"], r["material_low"], r["material_high"], r["flips"], r["n_calibrate"])
        for t, r in topics.items()
    }
    assert summary == {
        "a": (True, False, True, True, 1),
        "b": (True, True, True, False, 0),
        "c": (False, False, True, True, 1),
    }
    assert close(topics["a"]["impact_low"], 8 / 3) and close(topics["a"]["impact_high"], 10 / 3)
    assert close(topics["c"]["financial_low"], 1.0) and close(topics["c"]["financial_high"], 3.0)


def test_a_wider_calibration_gap_flags_fewer_iros():
    register = register_frame([("I1", "a", "", "positive_impact", "actual", "no")])
    ratings = ratings_frame(("A", "I1", {"scale": 2, "scope": 3}), ("B", "I1", {"scale": 4, "scope": 3}))
    thresholds = DmaThresholds(impact=3)
    assert score_dma(register, ratings, thresholds=thresholds).iros["calibrate"].tolist() == [True]
    wider = DmaMethod(calibration_gap=3)
    assert score_dma(register, ratings, thresholds=thresholds, method=wider).iros["calibrate"].tolist() == [
        False
    ]


def test_the_worked_example_writes_as_stable_csv_whatever_the_row_order():
    """The leading columns are what iros.csv and dma_topics.csv hold; the writer's stable CSV
    (6 decimals, empty for no score) gives the same bytes for the rows in any order."""
    result = score_dma(
        WORKED_REGISTER,
        WORKED_RATINGS,
        thresholds=WORKED_THRESHOLDS,
        consensus=WORKED_CONSENSUS,
        topic_order=CATALOG,
    )
    assert csv_text(result.topics[TOPIC_COLUMNS]) == (
        "topic,impact_score,financial_score,impact_material,financial_material,material,basis\n"
        "pollution,3.333333,1.000000,True,False,True,impact\n"
        "water,,0.400000,False,False,False,none\n"
        "biodiversity,,,False,False,False,none\n"
        "own_workforce,3.666667,,True,False,True,impact\n"
        "communities,3.000000,2.800000,True,True,True,both\n"
        "business_conduct,,3.000000,False,True,True,financial\n"
    )
    assert csv_text(result.iros[IRO_COLUMNS]).splitlines()[1:4] == [
        "N1,pollution,air,negative_impact,actual,3.333333,3.333333,,True,False,3,2.000000",
        "R1,pollution,air,risk,potential,,,1.000000,False,False,2,1.000000",
        "R3,water,,risk,actual,,,0.400000,False,False,1,0.000000",
    ]
    reversed_rows = score_dma(
        WORKED_REGISTER.iloc[::-1],
        WORKED_RATINGS.iloc[::-1],
        thresholds=WORKED_THRESHOLDS,
        consensus=WORKED_CONSENSUS,
        topic_order=CATALOG,
    )
    for frame in ("iros", "sub_topics", "topics"):
        assert csv_text(getattr(reversed_rows, frame)) == csv_text(getattr(result, frame)), frame
    assert json_text(result.method) == json_text(reversed_rows.method)


# The method page -------------------------------------------------------------------------------

METHOD_PAGE = Path(__file__).resolve().parents[1] / "docs" / "double-materiality.md"


def test_the_method_page_lists_the_criteria_that_apply_as_the_code_does():
    """The table "rated on" in docs/double-materiality.md against `applicable_criteria`."""
    lines = METHOD_PAGE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| type") and "rated on" in line)
    documented = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        kinds, status, criteria = (cell.strip() for cell in line.strip("|").split("|"))
        types = ["risk", "opportunity"] if kinds == "risk, opportunity" else [kinds.replace(" ", "_")]
        statuses = list(IRO_STATUSES) if status == "either" else [status]
        for iro_type in types:
            for iro_status in statuses:
                documented[(iro_type, iro_status)] = tuple(c.strip() for c in criteria.split(","))
    assert documented == {(t, s): applicable_criteria(t, s) for t in IRO_TYPES for s in IRO_STATUSES}


def test_the_method_page_names_every_preset_formula_and_output_column():
    page = METHOD_PAGE.read_text(encoding="utf-8")
    for preset in PRESETS:
        assert f"| `{preset}`" in page, preset
    assert "(3 x severity + 1 x likelihood) / 4" in page
    assert "severity x likelihood / 5" in page and "magnitude x likelihood / 5" in page
    flowing = " ".join(page.split())
    assert ", ".join(IRO_COLUMNS) in flowing
    assert ", ".join(TOPIC_COLUMNS) in flowing
    assert DmaThresholds(financial=3).notes()[0] in flowing
