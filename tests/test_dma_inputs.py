"""Double-materiality inputs: which criteria apply, and refusals with every row named."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.dma import score_dma
from analysis.dma_inputs import (
    DmaInputError,
    RowProblem,
    validate_consensus,
    validate_ratings,
    validate_register,
)
from analysis.dma_method import (
    DmaMethod,
    DmaThresholds,
    applicable_criteria,
    criterion_problem,
    dma_method_from_dict,
    thresholds_from_dict,
)
from analysis.method import MethodError

REGISTER = pd.DataFrame(
    [
        ("NEG", "pollution", "air", "negative_impact", "actual", "no"),
        ("POS", "communities", "", "positive_impact", "potential", "no"),
        ("RISK", "pollution", "air", "risk", "potential", "no"),
    ],
    columns=["iro", "topic", "sub_topic", "type", "status", "human_rights"],
)
RATING_COLUMNS = ["assessor", "iro", "criterion", "value", "rationale"]


def ratings(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=RATING_COLUMNS)


def problems_of(call) -> list[tuple]:
    with pytest.raises(DmaInputError) as caught:
        call()
    return [(p.row, p.column, p.message) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("iro_type", "status", "criteria"),
    [
        ("negative_impact", "actual", ("scale", "scope", "irremediability")),
        ("negative_impact", "potential", ("scale", "scope", "irremediability", "likelihood")),
        ("positive_impact", "actual", ("scale", "scope")),
        ("positive_impact", "potential", ("scale", "scope", "likelihood")),
        ("risk", "actual", ("magnitude", "likelihood")),
        ("risk", "potential", ("magnitude", "likelihood")),
        ("opportunity", "actual", ("magnitude", "likelihood")),
        ("opportunity", "potential", ("magnitude", "likelihood")),
    ],
)
def test_which_criteria_apply(iro_type, status, criteria):
    assert applicable_criteria(iro_type, status) == criteria
    for criterion in criteria:
        assert criterion_problem(iro_type, status, criterion) is None


def test_an_inapplicable_criterion_is_explained():
    assert criterion_problem("positive_impact", "actual", "irremediability") == (
        "irremediability applies to negative impacts only; this IRO is an actual positive impact"
    )
    assert criterion_problem("negative_impact", "actual", "likelihood") == (
        "likelihood applies to potential impacts, risks and opportunities only; "
        "this IRO is an actual negative impact"
    )
    assert criterion_problem("negative_impact", "potential", "magnitude") == (
        "magnitude applies to risks and opportunities only; this IRO is a potential negative impact"
    )
    assert criterion_problem("opportunity", "potential", "scope") == (
        "scope applies to impacts only; this IRO is a potential opportunity"
    )
    assert criterion_problem("risk", "actual", "urgency") == (
        "unknown criterion 'urgency' (known: scale, scope, irremediability, likelihood, magnitude)"
    )
    with pytest.raises(ValueError, match="unknown IRO type 'threat'"):
        applicable_criteria("threat", "actual")
    with pytest.raises(ValueError, match="unknown IRO status 'likely'"):
        criterion_problem("risk", "likely", "magnitude")


def test_bad_ratings_are_refused_with_every_row_and_nothing_is_returned():
    bad = ratings(
        ("A", "NEG", "scale", 4, "a plant emits NOx near a town"),  # row 1: fine
        ("A", "NEG", "scope", 3, "   "),  # row 2: blank rationale
        ("A", "POS", "irremediability", 2, "why"),  # row 3: not for a positive impact
        ("A", "NEG", "likelihood", 3, "why"),  # row 4: not for an actual impact
        ("A", "NEG", "magnitude", 3, "why"),  # row 5: not for an impact
        ("A", "RISK", "magnitude", 6, "why"),  # row 6: off the scale
        ("A", "RISK", "likelihood", 2.5, None),  # row 7: not whole, no rationale
        ("B", "GHOST", "scale", 3, "why"),  # row 8: unknown IRO
        ("A", "NEG", "Scale", 5, "again"),  # row 9: duplicate of row 1 (criterion case ignored)
        ("", "POS", "severity", "high", "why"),  # row 10: no assessor, unknown criterion, not a number
        ("B", "POS", "likelihood", None, "why"),  # row 11: no value
        ("B", "POS", "scale", 0, "why"),  # row 12: off the scale
    )
    assert problems_of(lambda: validate_ratings(bad, REGISTER)) == [
        (2, "rationale", "a rationale is required for every rating"),
        (
            3,
            "criterion",
            "irremediability cannot be rated for IRO 'POS': "
            "irremediability applies to negative impacts only; this IRO is a potential positive impact",
        ),
        (
            4,
            "criterion",
            "likelihood cannot be rated for IRO 'NEG': likelihood applies to potential impacts, risks and "
            "opportunities only; this IRO is an actual negative impact",
        ),
        (
            5,
            "criterion",
            "magnitude cannot be rated for IRO 'NEG': magnitude applies to risks and opportunities only; "
            "this IRO is an actual negative impact",
        ),
        (6, "value", "off the scale: 6 (the scale runs from 1 to 5)"),
        (7, "value", "expected a whole number from 1 to 5, got 2.5"),
        (7, "rationale", "a rationale is required for every rating"),
        (8, "iro", "unknown IRO 'GHOST' (not in the register)"),
        (9, "criterion", "duplicate of row 1 (assessor 'A', iro 'NEG', criterion 'scale')"),
        (10, "assessor", "an assessor is required"),
        (
            10,
            "criterion",
            "unknown criterion 'severity' (known: scale, scope, irremediability, likelihood, magnitude)",
        ),
        (10, "value", "expected a whole number from 1 to 5, got 'high'"),
        (11, "value", "a value is required"),
        (12, "value", "off the scale: 0 (the scale runs from 1 to 5)"),
    ]
    result = None
    with pytest.raises(DmaInputError) as caught:
        result = score_dma(REGISTER, bad, thresholds=DmaThresholds(impact=3, financial=3))
    assert result is None
    assert caught.value.what == "ratings"
    assert str(caught.value).splitlines()[0] == (
        "ratings: row 2, column 'rationale': a rationale is required for every rating"
    )


def test_good_ratings_come_back_cleaned_in_their_order():
    good = ratings(
        (" A ", "NEG", " Scale", "4", " emits NOx "),
        ("B", "RISK", "likelihood", 3.0, "permit review in 2026"),
    )
    cleaned = validate_ratings(good, REGISTER)
    assert cleaned.to_dict("records") == [
        {"assessor": "A", "iro": "NEG", "criterion": "scale", "value": 4, "rationale": "emits NOx"},
        {
            "assessor": "B",
            "iro": "RISK",
            "criterion": "likelihood",
            "value": 3,
            "rationale": "permit review in 2026",
        },
    ]
    assert cleaned["value"].dtype == "int64"


def test_missing_columns_are_named_before_any_row_is_read():
    frame = pd.DataFrame({"assessor": ["A"], "iro": ["NEG"], "criterion": ["scale"], "value": [3]})
    assert problems_of(lambda: validate_ratings(frame, REGISTER)) == [
        (None, "rationale", "missing column (required: assessor, iro, criterion, value, rationale)")
    ]
    assert (
        str(RowProblem(None, "rationale", "missing column")) == "header, column 'rationale': missing column"
    )


def test_bad_consensus_values_are_refused_like_ratings():
    consensus = pd.DataFrame(
        [
            ("NEG", "scale", 4, "agreed after the site visit"),
            ("NEG", "scale", 3, "second thoughts"),  # duplicate of row 1
            ("POS", "magnitude", 3, "agreed"),  # not for an impact
            ("RISK", "likelihood", 4, ""),  # no rationale
        ],
        columns=["iro", "criterion", "value", "rationale"],
    )
    assert problems_of(lambda: validate_consensus(consensus, REGISTER)) == [
        (2, "criterion", "duplicate of row 1 (iro 'NEG', criterion 'scale')"),
        (
            3,
            "criterion",
            "magnitude cannot be rated for IRO 'POS': magnitude applies to risks and opportunities only; "
            "this IRO is a potential positive impact",
        ),
        (4, "rationale", "a rationale is required for every rating"),
    ]
    with pytest.raises(DmaInputError) as caught:
        score_dma(REGISTER, ratings(), thresholds=DmaThresholds(), consensus=consensus)
    assert caught.value.what == "consensus"


def test_a_bad_register_is_refused_with_every_row():
    register = pd.DataFrame(
        [
            ("I1", "pollution", "negative_impact", "actual", "yes"),
            ("I1", "", "impact", "actual", "YES"),  # duplicate id, no topic, unknown type
            ("", "water", "risk", "maybe", "perhaps"),  # no id, unknown status, human_rights
            ("I3", "water", "opportunity", "potential", False),  # fine: booleans are accepted
        ],
        columns=["iro", "topic", "type", "status", "human_rights"],
    )
    assert problems_of(lambda: validate_register(register)) == [
        (2, "iro", "duplicate IRO 'I1' (first in row 1)"),
        (2, "topic", "a topic is required"),
        (2, "type", "unknown type 'impact' (known: negative_impact, positive_impact, risk, opportunity)"),
        (3, "iro", "an IRO id is required"),
        (3, "status", "unknown status 'maybe' (known: actual, potential)"),
        (3, "human_rights", "expected yes or no, got 'perhaps'"),
    ]
    with pytest.raises(DmaInputError) as caught:
        score_dma(register, ratings(), thresholds=DmaThresholds())
    assert caught.value.what == "register"
    fine = validate_register(register.iloc[[0, 3]])
    assert fine.to_dict("records") == [
        {"iro": "I1", "topic": "pollution", "sub_topic": "", "type": "negative_impact", "status": "actual",
         "human_rights": True},
        {"iro": "I3", "topic": "water", "sub_topic": "", "type": "opportunity", "status": "potential",
         "human_rights": False},
    ]  # fmt: skip


def test_method_and_thresholds_are_checked_with_their_fields_named():
    assert dma_method_from_dict(None) == DmaMethod()
    assert dma_method_from_dict({"preset": "mean_max"}).preset == "mean_max"
    with pytest.raises(MethodError) as caught:
        dma_method_from_dict({"preset": "average", "weights": [1, 2]}, source="method.yaml")
    assert caught.value.problems[0].startswith("method.yaml: field 'preset': Input should be 'default'")
    assert (
        caught.value.problems[1]
        == "method.yaml: field 'weights': unknown field (known: preset, calibration_gap)"
    )
    assert thresholds_from_dict({"impact": 3, "financial": None}) == DmaThresholds(impact=3)
    with pytest.raises(MethodError) as caught:
        thresholds_from_dict({"impact": 0.5, "financial": 6})
    assert [p.split(":")[1] for p in caught.value.problems] == [" field 'impact'", " field 'financial'"]
    with pytest.raises(ValueError):
        DmaThresholds(impact=float("nan"))
    method = DmaMethod()
    with pytest.raises(ValueError):
        method.preset = "mean_max"  # type: ignore[misc]
