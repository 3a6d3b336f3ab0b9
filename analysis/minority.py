"""Minority views: a group that rates a topic far from the other groups, beyond chance.

Each group's mean is compared with the weighted score of the other groups (Welch's two-sided t
test), and the flags are held to a false discovery rate over all groups and topics
(Benjamini & Hochberg 1995).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from analysis import student_t
from analysis.scores import AxisScores, GroupStatistics

_NORMAL = NormalDist()


@dataclass(frozen=True)
class MinorityTest:
    """One group's mean of one topic against the weighted score of the other groups."""

    others: float  # the overall score without the group
    gap: float  # group mean - others
    p_value: float


def minority_tests(axis: AxisScores, stats: dict, dimension: str) -> dict[tuple[str, str], MinorityTest]:
    """Welch's two-sided test of every included group's mean of every topic against the score of
    the other groups (their weights renormalised without it): the group is not compared with
    an average that contains itself. Needs at least two groups on the topic."""
    tests: dict[tuple[str, str], MinorityTest] = {}
    pending: list[tuple[tuple[str, str], float, float]] = []
    groups = list(axis.groups)
    if len(groups) < 2:
        return tests
    n_topics = len(axis.topics)
    means = np.full((len(groups), n_topics), np.nan)
    variance = np.zeros((len(groups), n_topics))
    df = np.ones((len(groups), n_topics))
    raters = np.zeros((len(groups), n_topics))
    for g, group in enumerate(groups):
        s: GroupStatistics = stats[(group, dimension)]
        position = {t: i for i, t in enumerate(s.topics)}
        for j, topic in enumerate(axis.topics):
            i = position.get(topic)
            if i is not None:
                means[g, j], variance[g, j], df[g, j] = s.mean[i], s.covariance[i, i], s.df[i]
                raters[g, j] = s.n[i]
    # A small group whose ratings happen to agree has a sample variance far below the truth, and
    # its test would be far too confident (with 8 respondents and 16 topics this tripled the
    # false alarms). Each group's variance is therefore at least the topic's pooled
    # within-group variance: exact when the groups do not differ, cautious when they do.
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = variance * raters
        pooled = (spread * (raters - 1)).sum(axis=0) / np.maximum((raters - 1).sum(axis=0), 1)
        variance = np.where(raters > 0, np.maximum(spread, pooled[None, :]) / np.maximum(raters, 1), 0.0)
    for g, group in enumerate(groups):
        for j, topic in enumerate(axis.topics):
            w = axis.weights[:, j].copy()
            if np.isnan(means[g, j]) or w[g] <= 0:
                continue
            w[g] = 0.0
            if w.sum() <= 0:
                continue
            w = w / w.sum()
            rated = w > 0
            others = float((w[rated] * means[rated, j]).sum())
            parts = w[rated] ** 2 * variance[rated, j]
            v_others = float(parts.sum())
            v_group = float(variance[g, j])
            se2 = v_group + v_others
            gap = float(means[g, j]) - others
            if se2 <= 0:
                p_value = 1.0 if gap == 0 else 0.0
            else:
                denominator = v_group**2 / df[g, j] + float((parts**2 / df[rated, j]).sum())
                welch_df = se2**2 / denominator if denominator > 0 else np.inf
                p_value = math.nan
                pending.append(((group, topic), abs(gap) / math.sqrt(se2), welch_df))
            tests[(group, topic)] = MinorityTest(others, gap, p_value)
    if pending:
        keys, statistics, dfs = zip(*pending, strict=True)
        p_values = [
            2.0 * (1.0 - student_t.cdf(t, d)) if np.isfinite(d) else 2.0 * (1.0 - _NORMAL.cdf(t))
            for t, d in zip(statistics, dfs, strict=True)
        ]
        for key, p_value in zip(keys, p_values, strict=True):
            tests[key] = MinorityTest(tests[key].others, tests[key].gap, float(min(p_value, 1.0)))
    return tests


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values): rejecting q <= alpha keeps the expected
    share of false discoveries at most alpha (Benjamini & Hochberg 1995, JRSS B 57:289-300)."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p)
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(adjusted, 1.0)
    return q
