"""How far stakeholders agree: across groups (Kendall's W, Spearman) and respondents (alpha).

All functions are pure: they take frames of group means or rating counts and return numbers
(``None`` where the statistic is undefined, e.g. fewer than two groups or no variation).
:class:`Agreement` holds the statistics of one result.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

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


GroupPair = tuple[str, str]


def pair_correlations(means: pd.DataFrame, min_topics: int = 3) -> dict[GroupPair, float | None]:
    """Spearman's rank correlation between every pair of groups over the topics both rated.

    `means` has one row per group (in the order pairs are named) and one column per topic;
    NaN marks a topic the group did not rate or whose figure is withheld. Keys are
    ``(a, b)`` with `a` before `b`; a pair sharing fewer than `min_topics` topics, or with no
    variation, is None.
    """
    out: dict[GroupPair, float | None] = {}
    groups = [str(g) for g in means.index]
    values = means.to_numpy(dtype=float)
    for i, a in enumerate(groups):
        for j in range(i + 1, len(groups)):
            both = ~np.isnan(values[i]) & ~np.isnan(values[j])
            rho = None
            if both.sum() >= min_topics:
                rho = spearman(values[i, both], values[j, both])
            out[(a, groups[j])] = rho
    return out


def pair_key(pair: GroupPair) -> str:
    """A pair of groups as written in ``agreement.json``: ``"a|b"``."""
    return "|".join(pair)


def group_correlations(means: pd.DataFrame, min_topics: int = 3) -> dict[str, float | None]:
    """:func:`pair_correlations` keyed as in ``agreement.json`` (``"a|b"``)."""
    return {pair_key(pair): rho for pair, rho in pair_correlations(means, min_topics).items()}


@dataclass(frozen=True)
class Agreement(Mapping[str, Any]):
    """The agreement statistics of one result.

    Read as a mapping it is the record written to ``agreement.json``, where a pair of groups is
    the key ``"a|b"``; in code use the attributes and :meth:`correlation_matrix`.
    """

    kendall_w: float | None  # how alike the reportable stakeholder groups rank the topics
    kendall_w_groups: int  # groups in W
    kendall_w_topics: int  # topics every one of them has a reportable mean for
    krippendorff_alpha_ordinal: float | None  # how far individual respondents agree
    krippendorff_alpha_interval: float | None
    krippendorff_units: int  # topics with at least two ratings
    group_correlations: dict[GroupPair, float | None] = field(default_factory=dict)  # Spearman's rho
    groups_left_out: list[str] = field(default_factory=list)  # too few respondents to report

    def correlation_groups(self) -> list[str]:
        """The groups of :attr:`group_correlations`, in their order."""
        return list(dict.fromkeys(group for pair in self.group_correlations for group in pair))

    def correlation_matrix(self) -> pd.DataFrame:
        """Spearman's rho as a square table by group key: 1 on the diagonal, NaN where undefined."""
        groups = self.correlation_groups()
        matrix = pd.DataFrame(np.eye(len(groups)), index=groups, columns=groups)
        for (a, b), rho in self.group_correlations.items():
            matrix.loc[a, b] = matrix.loc[b, a] = np.nan if rho is None else rho
        return matrix

    def record(self) -> dict[str, Any]:
        """The statistics as written to ``agreement.json``."""
        return {
            "kendall_w": self.kendall_w,
            "kendall_w_groups": self.kendall_w_groups,
            "kendall_w_topics": self.kendall_w_topics,
            "krippendorff_alpha_ordinal": self.krippendorff_alpha_ordinal,
            "krippendorff_alpha_interval": self.krippendorff_alpha_interval,
            "krippendorff_units": self.krippendorff_units,
            "group_correlations": {pair_key(pair): rho for pair, rho in self.group_correlations.items()},
            "groups_left_out": list(self.groups_left_out),
        }

    def __getitem__(self, key: str) -> Any:
        return self.record()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.record())

    def __len__(self) -> int:
        return len(self.record())
