"""Double-materiality scoring: from criterion ratings of IROs to material topics.

:func:`score_dma` takes the IRO register, the assessors' ratings and the consensus values set in
calibration, and returns the scores and decisions per IRO, sub-topic and topic with the record
of the method used (:class:`DmaResult`). Everything is pure: nothing is read or written.

The rule (ESRS 1 §28, §43-51 and AR 10, GRI 3; see ``docs/double-materiality.md``), default preset:

- a criterion's value for an IRO is the mean of the assessors' ratings; a consensus value set in
  calibration replaces it;
- severity = mean(scale, scope, irremediability) for a negative impact, mean(scale, scope) for a
  positive one;
- impact score = severity for an actual impact, severity x likelihood / 5 for a potential one,
  and severity alone for a potential negative human-rights impact (ESRS 1 §45: severity takes
  precedence over likelihood);
- financial score = magnitude x likelihood / 5 for a risk or an opportunity;
- a topic's (and a sub-topic's) impact and financial scores are the maxima over its IROs;
- material = impact score >= impact threshold OR financial score >= financial threshold.

Scores run from 0.2 (a potential IRO rated 1 on everything) to 5. An IRO gets scores once every
criterion that applies to it has a value; until then its scores are empty and its
``missing_criteria`` say what is left to rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.dma_inputs import validate_inputs
from analysis.dma_method import (
    CRITERIA,
    HUMAN_RIGHTS_LIKELIHOOD_WEIGHT,
    HUMAN_RIGHTS_SEVERITY_WEIGHT,
    IRO_STATUSES,
    IRO_TYPES,
    SCALE_MAX,
    SEVERITY_CRITERIA,
    DmaMethod,
    DmaThresholds,
    applicable_criteria,
    method_record,
)

IRO_COLUMNS = [
    "iro",
    "topic",
    "sub_topic",
    "type",
    "status",
    "severity",
    "impact_score",
    "financial_score",
    "impact_material",
    "financial_material",
    "n_assessors",
    "spread",
]
IRO_DETAIL_COLUMNS = [
    "human_rights",
    *CRITERIA,
    "impact_low",
    "impact_high",
    "financial_low",
    "financial_high",
    "calibrate",
    "disputed_criteria",
    "consensus_criteria",
    "missing_criteria",
]
TOPIC_COLUMNS = [
    "topic",
    "impact_score",
    "financial_score",
    "impact_material",
    "financial_material",
    "material",
    "basis",
]
GROUP_DETAIL_COLUMNS = [
    "n_iros",
    "n_scored",
    "impact_iro",
    "financial_iro",
    "impact_low",
    "impact_high",
    "financial_low",
    "financial_high",
    "material_low",
    "material_high",
    "flips",
    "n_calibrate",
]
SUB_TOPIC_COLUMNS = ["topic", "sub_topic", *TOPIC_COLUMNS[1:]]

_RANGE_COLUMNS = [
    "impact_score",
    "financial_score",
    "impact_low",
    "impact_high",
    "financial_low",
    "financial_high",
]

# A score this close below a threshold reaches it: means of whole numbers are not always exact
# in binary floating point (e.g. 10/3 x 3 / 5), and a decision must not hang on the last bit.
THRESHOLD_TOLERANCE = 1e-9


@dataclass(frozen=True)
class DmaResult:
    """Scores and decisions of a double-materiality assessment.

    ``iros``: one row per IRO in the register (:data:`IRO_COLUMNS`, then
    :data:`IRO_DETAIL_COLUMNS`), ordered by topic (catalog order) and IRO id.
    ``sub_topics``: one row per (topic, sub-topic) that has IROs (IROs without a sub-topic count
    for their topic only). ``topics``: one row per topic (:data:`TOPIC_COLUMNS`, then
    :data:`GROUP_DETAIL_COLUMNS`), in catalog order. Scores are unrounded floats, empty (NaN)
    where there is nothing to score. ``method``: the method record (preset, formulas in words,
    thresholds, notes). ``notes``: what the reader must know about the decisions, e.g. an axis
    without a threshold.
    """

    iros: pd.DataFrame
    sub_topics: pd.DataFrame
    topics: pd.DataFrame
    method: dict[str, Any]
    notes: tuple[str, ...] = field(default=())


_CRITERION_COLUMN = {criterion: i for i, criterion in enumerate(CRITERIA)}
_APPLIES = {
    (iro_type, status): np.array([c in applicable_criteria(iro_type, status) for c in CRITERIA])
    for iro_type in IRO_TYPES
    for status in IRO_STATUSES
}


def _severity(values: np.ndarray, negative: np.ndarray, method: DmaMethod) -> np.ndarray:
    """Severity from the scale, scope and (negative impacts only) irremediability values
    (columns of `values` in the order of :data:`CRITERIA`); NaN where one of them is missing."""
    criteria = values[:, [_CRITERION_COLUMN[c] for c in SEVERITY_CRITERIA]]
    applies = np.column_stack([np.ones_like(negative), np.ones_like(negative), negative])
    mean = np.where(applies, criteria, 0.0).sum(axis=1) / applies.sum(axis=1)
    highest = np.where(applies, criteria, -np.inf).max(axis=1, initial=-np.inf)
    if method.preset == "max_override":
        return np.where(highest >= SCALE_MAX, float(SCALE_MAX), mean)
    if method.preset == "mean_max":
        return (mean + highest) / 2
    return mean


def _scores(
    values: np.ndarray, register: pd.DataFrame, applies: np.ndarray, method: DmaMethod
) -> dict[str, np.ndarray]:
    """Severity, impact score and financial score of every IRO (rows of `register`) from its
    criterion values; NaN where a criterion that applies has no value."""
    kind = register["type"].to_numpy()
    negative = kind == "negative_impact"
    impact = negative | (kind == "positive_impact")
    potential = register["status"].to_numpy() == "potential"
    precedence = potential & negative & register["human_rights"].to_numpy(dtype=bool)
    complete = ~(applies & np.isnan(values)).any(axis=1)
    severity = _severity(values, negative, method)
    likelihood = values[:, _CRITERION_COLUMN["likelihood"]]
    impact_score = np.where(potential, severity * likelihood / SCALE_MAX, severity)
    if method.preset == "human_rights_weighted":
        weights = HUMAN_RIGHTS_SEVERITY_WEIGHT + HUMAN_RIGHTS_LIKELIHOOD_WEIGHT
        weighted = (
            HUMAN_RIGHTS_SEVERITY_WEIGHT * severity + HUMAN_RIGHTS_LIKELIHOOD_WEIGHT * likelihood
        ) / weights
        impact_score = np.where(precedence, weighted, impact_score)
    else:
        impact_score = np.where(precedence, severity, impact_score)
    financial_score = values[:, _CRITERION_COLUMN["magnitude"]] * likelihood / SCALE_MAX
    return {
        "severity": np.where(impact & complete, severity, np.nan),
        "impact_score": np.where(impact & complete, impact_score, np.nan),
        "financial_score": np.where(~impact & complete, financial_score, np.nan),
    }


def _reaches(score: np.ndarray, threshold: float | None) -> np.ndarray:
    """Whether each score reaches the threshold; never where there is no score or threshold."""
    if threshold is None:
        return np.zeros(len(score), dtype=bool)
    return np.asarray(score >= threshold - THRESHOLD_TOLERANCE, dtype=bool)


def _criterion_matrix(frame: pd.DataFrame, column: str, row_of: dict[str, int], n_iros: int) -> np.ndarray:
    """IROs x criteria (in the order of :data:`CRITERIA`) from a long frame; NaN where absent."""
    matrix = np.full((n_iros, len(CRITERIA)), np.nan)
    rows = [row_of[iro] for iro in frame["iro"]]
    columns = [_CRITERION_COLUMN[criterion] for criterion in frame["criterion"]]
    matrix[rows, columns] = frame[column].to_numpy(dtype=float)
    return matrix


def _criteria_named(flags: np.ndarray) -> list[str]:
    """Per row of an IROs x criteria mask, the flagged criteria as one ``;``-separated text."""
    return [";".join(c for c, flag in zip(CRITERIA, row, strict=True) if flag) for row in flags]


def _topic_rank(topics: pd.Series, topic_order: Sequence[str] | None) -> list[str]:
    """Topics in catalog order, then any topic the catalog does not list, by key."""
    listed = list(dict.fromkeys(topic_order or []))
    others = sorted(set(topics) - set(listed))
    return listed + others


def _score_iros(
    register: pd.DataFrame,
    ratings: pd.DataFrame,
    consensus: pd.DataFrame,
    method: DmaMethod,
    thresholds: DmaThresholds,
) -> pd.DataFrame:
    """One row per IRO of the (checked) register, in its order: criterion values, scores at the
    values and at both ends of the assessors' range, agreement and decisions."""
    n_iros = len(register)
    row_of = {iro: i for i, iro in enumerate(register["iro"])}
    applies = np.array(
        [_APPLIES[kind] for kind in zip(register["type"], register["status"], strict=True)], dtype=bool
    ).reshape(n_iros, len(CRITERIA))
    stats = ratings.groupby(["iro", "criterion"])["value"].agg(["mean", "min", "max"]).reset_index()
    mean, low, high = (_criterion_matrix(stats, column, row_of, n_iros) for column in ("mean", "min", "max"))
    agreed = _criterion_matrix(consensus, "value", row_of, n_iros)
    fixed = ~np.isnan(agreed)
    values, low_values, high_values = (np.where(fixed, agreed, matrix) for matrix in (mean, low, high))

    scores = _scores(values, register, applies, method)
    low_scores = _scores(low_values, register, applies, method)
    high_scores = _scores(high_values, register, applies, method)

    gap = high - low
    rated = ~np.isnan(gap)
    spread = np.where(rated.any(axis=1), np.where(rated, gap, -np.inf).max(axis=1, initial=-np.inf), np.nan)
    disputed = rated & (gap >= method.calibration_gap) & ~fixed
    assessors = ratings[["iro", "assessor"]].drop_duplicates()["iro"]
    n_assessors = np.bincount([row_of[iro] for iro in assessors], minlength=n_iros).astype("int64")

    iros = pd.DataFrame(
        {
            "iro": register["iro"],
            "topic": register["topic"],
            "sub_topic": register["sub_topic"],
            "type": register["type"],
            "status": register["status"],
            **scores,
            "n_assessors": n_assessors,
            "spread": spread,
            "human_rights": register["human_rights"],
            **{criterion: values[:, i] for i, criterion in enumerate(CRITERIA)},
            "impact_low": low_scores["impact_score"],
            "impact_high": high_scores["impact_score"],
            "financial_low": low_scores["financial_score"],
            "financial_high": high_scores["financial_score"],
            "calibrate": disputed.any(axis=1),
            "disputed_criteria": pd.Series(_criteria_named(disputed), index=register.index, dtype=str),
            "consensus_criteria": pd.Series(_criteria_named(fixed), index=register.index, dtype=str),
            "missing_criteria": pd.Series(
                _criteria_named(applies & np.isnan(values)), index=register.index, dtype=str
            ),
        },
        index=register.index,
    )
    iros["impact_material"] = _reaches(scores["impact_score"], thresholds.impact)
    iros["financial_material"] = _reaches(scores["financial_score"], thresholds.financial)
    return iros


def _deciding_iros(codes: np.ndarray, iros: pd.DataFrame, score: str, n_groups: int) -> list[str | None]:
    """Per group, the IRO that sets the group's score (the first by id among equals)."""
    best: list[tuple[float, str] | None] = [None] * n_groups
    for code, value, iro in zip(codes, iros[score], iros["iro"], strict=True):
        current = best[code]
        if not np.isnan(value) and (current is None or (-value, iro) < (-current[0], current[1])):
            best[code] = (value, iro)
    return [None if b is None else b[1] for b in best]


def _aggregate(
    iros: pd.DataFrame, keys: list[str], groups: Sequence[tuple[str, ...]], thresholds: DmaThresholds
) -> pd.DataFrame:
    """Scores of topics or sub-topics (`groups`, values of `keys`): the maxima over their IROs,
    then the decisions."""
    position = {group: i for i, group in enumerate(groups)}
    codes = np.array([position[g] for g in zip(*(iros[k] for k in keys), strict=True)], dtype=np.int64)
    n = len(groups)
    table: dict[str, Any] = {key: [group[i] for group in groups] for i, key in enumerate(keys)}
    for column in _RANGE_COLUMNS:
        maxima = np.full(n, np.nan)
        np.fmax.at(maxima, codes, iros[column].to_numpy(dtype=float))
        table[column] = maxima
    scored = (iros["impact_score"].notna() | iros["financial_score"].notna()).to_numpy(dtype=float)
    table["n_iros"] = np.bincount(codes, minlength=n).astype(np.int64)
    table["n_scored"] = np.bincount(codes, weights=scored, minlength=n).astype(np.int64)
    table["n_calibrate"] = np.bincount(codes, weights=iros["calibrate"].to_numpy(dtype=float), minlength=n)
    table["n_calibrate"] = table["n_calibrate"].astype(np.int64)
    table["impact_iro"] = pd.Series(_deciding_iros(codes, iros, "impact_score", n), dtype=str)
    table["financial_iro"] = pd.Series(_deciding_iros(codes, iros, "financial_score", n), dtype=str)

    impact = _reaches(table["impact_score"], thresholds.impact)
    financial = _reaches(table["financial_score"], thresholds.financial)
    table["impact_material"] = impact
    table["financial_material"] = financial
    table["material"] = impact | financial
    table["basis"] = pd.Series(
        np.select([impact & financial, impact, financial], ["both", "impact", "financial"], default="none"),
        dtype=str,
    )
    table["material_low"] = _reaches(table["impact_low"], thresholds.impact) | _reaches(
        table["financial_low"], thresholds.financial
    )
    table["material_high"] = _reaches(table["impact_high"], thresholds.impact) | _reaches(
        table["financial_high"], thresholds.financial
    )
    table["flips"] = table["material_high"] & ~table["material_low"]
    columns = [*keys, *TOPIC_COLUMNS[1:], *GROUP_DETAIL_COLUMNS]
    return pd.DataFrame({column: table[column] for column in columns}, columns=columns)


def score_dma(
    register: pd.DataFrame,
    ratings: pd.DataFrame,
    *,
    thresholds: DmaThresholds,
    method: DmaMethod | None = None,
    consensus: pd.DataFrame | None = None,
    topic_order: Sequence[str] | None = None,
) -> DmaResult:
    """Score an IRO register from its ratings and decide which topics are material.

    Parameters
    ----------
    register
        One row per IRO: ``iro, topic, sub_topic, type, status, human_rights``
        (see :func:`analysis.dma_inputs.validate_register`).
    ratings
        One row per rating: ``assessor, iro, criterion, value, rationale``
        (see :func:`analysis.dma_inputs.validate_ratings`).
    thresholds
        The company's impact and financial thresholds; an axis without one makes nothing material.
    method
        The scoring preset (default: :class:`DmaMethod()`).
    consensus
        Values agreed in calibration, ``iro, criterion, value, rationale``; each replaces the
        assessors' mean of its criterion and fixes the criterion's range.
    topic_order
        The catalog's topics in their order. Every listed topic gets a row, with or without IROs;
        register topics the list lacks follow, ordered by key.

    Raises :class:`analysis.dma_inputs.DmaInputError` listing every problem of the first input
    that has any (register, then ratings, then consensus); nothing is scored then.
    """
    method = method or DmaMethod()
    inputs = validate_inputs(register, ratings, consensus)
    iros = _score_iros(inputs.register, inputs.ratings, inputs.consensus, method, thresholds)

    topics = _topic_rank(iros["topic"], topic_order)
    rank = {topic: i for i, topic in enumerate(topics)}
    sort_keys = list(zip(iros["topic"].map(rank), iros["iro"], strict=True))
    order = sorted(range(len(iros)), key=sort_keys.__getitem__)
    iros = iros.iloc[order].reset_index(drop=True)[IRO_COLUMNS + IRO_DETAIL_COLUMNS]

    topic_table = _aggregate(iros, ["topic"], [(topic,) for topic in topics], thresholds)
    with_sub_topic = iros[iros["sub_topic"] != ""]
    pairs = sorted(set(zip(with_sub_topic["topic"], with_sub_topic["sub_topic"], strict=True)))
    pairs.sort(key=lambda pair: rank[pair[0]])
    sub_topic_table = _aggregate(with_sub_topic, ["topic", "sub_topic"], pairs, thresholds)

    record = method_record(method, thresholds)
    return DmaResult(
        iros=iros,
        sub_topics=sub_topic_table,
        topics=topic_table,
        method=record,
        notes=tuple(record["notes"]),
    )
