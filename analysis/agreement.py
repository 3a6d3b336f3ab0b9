"""How far stakeholders agree: across groups (Kendall's W, Spearman) and respondents (alpha).

All functions are pure: they take frames of group means or rating counts and return numbers
(``None`` where the statistic is undefined, e.g. fewer than two groups or no variation).
"""

from __future__ import annotations

import math
from typing import Literal

import krippendorff
import numpy as np
import pandas as pd


def _number(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of a 1-d array, tied values sharing the average of their ranks."""
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    first = np.concatenate([[True], ordered[1:] != ordered[:-1]])
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], len(values))
    ranks = np.empty(len(values))
    ranks[order] = ((starts + 1 + ends) / 2.0)[np.cumsum(first) - 1]
    return ranks


def kendall_w(scores: pd.DataFrame) -> float | None:
    """Kendall's coefficient of concordance W, corrected for ties.

    `scores` has one row per rater (here: stakeholder group) and one column per object (topic);
    each rater ranks the objects by its scores, tied scores sharing the average rank. Objects
    not scored by every rater are left out. With m raters, n objects, rank sums R_i and, for
    each rater, T_j = sum of (t^3 - t) over its groups of t tied objects:

        W = 12 sum_i (R_i - m(n + 1)/2)^2 / (m^2 (n^3 - n) - m sum_j T_j)

    Reference: Kendall & Babington Smith (1939), "The problem of m rankings", Ann. Math.
    Statist. 10:275-287; Siegel & Castellan (1988), *Nonparametric Statistics for the
    Behavioral Sciences*, 2nd ed., sec. 9.4 (the tie correction); Legendre (2005), "Species
    associations: the Kendall coefficient of concordance revisited", JABES 10:226-245.
    """
    complete = scores.dropna(axis=1, how="any")
    m, n = complete.shape
    if m < 2 or n < 2:
        return None
    values = complete.to_numpy(dtype=float)
    ranks = np.vstack([average_ranks(row) for row in values])
    rank_sums = ranks.sum(axis=0)
    s = float(((rank_sums - m * (n + 1) / 2.0) ** 2).sum())
    ties = 0.0
    for row in values:
        _, counts = np.unique(row, return_counts=True)
        ties += float((counts**3 - counts).sum())
    denominator = m**2 * (n**3 - n) - m * ties
    if denominator <= 0:
        return None
    return _number(12.0 * s / denominator)


def krippendorff_alpha(
    value_counts: pd.DataFrame, level_of_measurement: Literal["nominal", "ordinal", "interval", "ratio"]
) -> float | None:
    """Krippendorff's alpha from a units x values table of counts.

    Rows are units (topics), columns the scale points in order (their labels are the values,
    which the interval metric uses), cells how many coders (respondents) gave that value to
    that unit. "Don't know" is simply not counted: alpha treats it as missing. Computed by the
    ``krippendorff`` package (Castro 2017), following Krippendorff (2011), "Computing
    Krippendorff's Alpha-Reliability", Annenberg School for Communication, Departmental Papers.
    """
    counts = value_counts.to_numpy(dtype=float)
    if counts.size == 0 or (counts.sum(axis=1) <= 1).all():
        return None
    domain = np.asarray(value_counts.columns, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        try:
            value = krippendorff.alpha(
                value_counts=counts, value_domain=domain, level_of_measurement=level_of_measurement
            )
        except ValueError:
            return None
    return _number(float(value))


def value_counts_from_histogram(histogram: pd.DataFrame, scale_min: int, scale_max: int) -> pd.DataFrame:
    """Topic x scale point counts from histogram rows (topic, value, n), summed over groups."""
    domain = list(range(scale_min, scale_max + 1))
    if histogram.empty:
        return pd.DataFrame(columns=domain, dtype=float)
    table = histogram.groupby(["topic", "value"], sort=True)["n"].sum().unstack("value", fill_value=0)
    table.columns = [int(c) for c in table.columns]
    return table.reindex(columns=domain, fill_value=0).sort_index()


def spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    """Spearman's rho: Pearson's correlation of the average ranks (None without variation)."""
    rx, ry = average_ranks(x), average_ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denominator = math.sqrt(float((rx * rx).sum() * (ry * ry).sum()))
    if denominator == 0:
        return None
    return _number(float((rx * ry).sum()) / denominator)


def group_correlations(means: pd.DataFrame, min_topics: int = 3) -> dict[str, float | None]:
    """Spearman's rank correlation between every pair of groups over the topics both rated.

    `means` has one row per group (in the order pairs are named) and one column per topic;
    NaN marks a topic the group did not rate or whose figure is withheld. Keys are
    ``"a|b"``; a pair sharing fewer than `min_topics` topics, or with no variation, is None.
    """
    out: dict[str, float | None] = {}
    groups = list(means.index)
    values = means.to_numpy(dtype=float)
    for i, a in enumerate(groups):
        for j in range(i + 1, len(groups)):
            both = ~np.isnan(values[i]) & ~np.isnan(values[j])
            rho = None
            if both.sum() >= min_topics:
                rho = spearman(values[i, both], values[j, both])
            out[f"{a}|{groups[j]}"] = rho
    return out
