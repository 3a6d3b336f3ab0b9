"""Stakeholder importance and business significance per topic, with their uncertainty.

Both axes are weighted means of group means: stakeholder importance from the ``importance``
ratings of the stakeholder groups, business significance from the ``business_impact`` ratings
of the internal assessors. "Don't know" is not a rating: it counts neither in a mean nor in n.

Group weighting (recorded in the method):

- ``equal``: the mean of the group means, every group that rated the topic with equal weight;
- ``respondents``: the mean over all respondents (a group counts by how many rated the topic);
- ``explicit``: the method's percentages; a weight of 0 removes the group.

For every topic the weights are renormalised over the groups that rated it.

Uncertainty, computed from the store's sufficient statistics instead of the raw ratings (so its
cost does not grow with the number of responses). A group's respondents are a sample: the
covariance of its vector of topic means is estimated by

    C_ab = sum over respondents who rated a and b of (x_a - m_a)(x_b - m_b) / (n_ab - 1) * n_ab / (n_a n_b)

(the sample covariance with n - 1, carried to means under pairwise deletion: respondents who
skipped a topic or answered "don't know" are left out of that topic's mean only). Its diagonal
is s^2 / n with the n - 1 sample variance s^2; the off-diagonal terms carry the correlation
between a respondent's ratings of different topics, which is why the respondent, not the
rating, is the sampling unit. A topic rated by one respondent has no sample variance; it gets
the largest variance any rating on the scale can have, (max - min)^2 / 4 (Bhatia & Davis 2000),
so its interval spans the scale instead of having no width.

The stated interval of a weighted score sum_g w_g m_g is Welch's:

    estimate +- t(df, (1 + level) / 2) * sqrt(sum_g w_g^2 s_g^2 / n_g),
    df = (sum_g w_g^2 s_g^2 / n_g)^2 / sum_g (w_g^2 s_g^2 / n_g)^2 / (n_g - 1)

(Welch 1947, "The generalization of Student's problem when several different population
variances are involved", Biometrika 34:28-35; Satterthwaite 1946), clipped to the scale. With one
group it is Student's t interval. Student's t keeps its level for small groups where the normal
quantile and the population variance did not (the coverage table in ``benchmarks/bench_coverage.py``
and the README); a studentized bootstrap would need the raw ratings, which the store does not read.

Draws for the tier stability (``p_tier``) and for year-over-year tier changes: each group's
vector of topic means is drawn from a multivariate t distribution with the covariance above and
n - 1 degrees of freedom (a normal draw divided by the square root of one chi-square / df draw
per group), clipped to the scale and combined with the weights. These are normal-approximation
draws, not resamples of the respondents. Each group has its own random stream, derived from the
seed and the group's key, so adding, removing or reordering another group never changes a
group's draws.

References: Efron & Tibshirani (1993), *An Introduction to the Bootstrap*, ch. 6 and 13;
Davison & Hinkley (1997), *Bootstrap Methods*, sec. 3.2 (stratified resampling); Kotz &
Nadarajah (2004), *Multivariate t Distributions*, ch. 1.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import student_t
from analysis.method import MethodConfig, MethodError
from core.aggregates import Aggregates

STAKEHOLDER_DIMENSION = "importance"
BUSINESS_DIMENSION = "business_impact"


@dataclass(frozen=True)
class GroupStatistics:
    """One group's ratings on one dimension, summarised (topics sorted by key)."""

    group: str
    dimension: str
    topics: tuple[str, ...]
    n: np.ndarray  # respondents who rated each topic
    mean: np.ndarray
    covariance: np.ndarray  # of the mean vector under resampling of the group's respondents
    counts: np.ndarray  # (topics, scale points): how many gave each value
    n_dont_know: np.ndarray
    n_respondents: int

    def standard_error(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.covariance), 0.0, None))

    @property
    def df(self) -> np.ndarray:
        """Degrees of freedom of each topic's variance: n - 1 (1 for a single rating, whose
        variance is the scale's bound)."""
        return np.maximum(self.n - 1.0, 1.0)


def group_statistics(
    aggregates: Aggregates, *, scale_min: int, scale_max: int
) -> dict[tuple[str, str], GroupStatistics]:
    """Means and the resampling covariance of every (group, dimension) with ratings."""
    values = np.arange(scale_min, scale_max + 1, dtype=float)
    histogram = aggregates.histogram
    if histogram.empty:
        return {}
    h_value = pd.to_numeric(histogram["value"]).to_numpy(dtype=np.int64)
    outside = (h_value < scale_min) | (h_value > scale_max)
    if outside.any():
        bad = histogram.loc[outside].iloc[0]
        raise ValueError(
            f"rating {bad['value']} of topic '{bad['topic']}' by group '{bad['group']}' lies outside "
            f"the scale {scale_min}-{scale_max}"
        )
    h_key = _keys(histogram)
    h_topic = histogram["topic"].astype(str).to_numpy()
    h_n = pd.to_numeric(histogram["n"]).to_numpy(dtype=float)
    moments = aggregates.moments
    m_key = _keys(moments)
    m_a = moments["topic_a"].astype(str).to_numpy()
    m_b = moments["topic_b"].astype(str).to_numpy()
    m_columns = {
        c: pd.to_numeric(moments[c]).to_numpy(dtype=float) for c in ("n", "sum_a", "sum_b", "sum_ab")
    }
    tally = aggregates.dont_know
    t_key = _keys(tally)
    t_topic = tally["topic"].astype(str).to_numpy()
    t_n = pd.to_numeric(tally["n_dont_know"]).to_numpy(dtype=float)
    respondents = {
        (str(g), str(d)): int(n)
        for g, d, n in aggregates.respondents[["group", "dimension", "n_respondents"]].itertuples(index=False)
    }
    out: dict[tuple[str, str], GroupStatistics] = {}
    for key in sorted(set(h_key)):
        rows = (h_key == key) & (h_n > 0)
        if not rows.any():
            continue
        topics_array, topic_index = np.unique(h_topic[rows], return_inverse=True)
        topics = tuple(str(t) for t in topics_array)
        counts = np.zeros((len(topics), len(values)))
        np.add.at(counts, (topic_index, h_value[rows] - scale_min), h_n[rows])
        n = counts.sum(axis=1)
        mean = counts @ values / n
        squares = np.clip(counts @ values**2 - n * mean**2, 0.0, None)
        bound = (scale_max - scale_min) ** 2 / 4.0
        with np.errstate(invalid="ignore", divide="ignore"):
            variance = np.where(n >= 2, squares / np.maximum(n - 1.0, 1.0), bound)
        covariance = np.diag(variance / n)
        pairs = m_key == key
        ia, found_a = _positions(topics_array, m_a[pairs])
        ib, found_b = _positions(topics_array, m_b[pairs])
        keep = found_a & found_b & (ia != ib)
        if keep.any():
            ia, ib = ia[keep], ib[keep]
            n_ab, sum_a, sum_b, sum_ab = (
                m_columns[c][pairs][keep] for c in ("n", "sum_a", "sum_b", "sum_ab")
            )
            co = (sum_ab - mean[ib] * sum_a - mean[ia] * sum_b + n_ab * mean[ia] * mean[ib]) / (n[ia] * n[ib])
            co = np.where(n_ab >= 2, co * n_ab / np.maximum(n_ab - 1.0, 1.0), 0.0)
            covariance[ia, ib] = co
            covariance[ib, ia] = co
        unknown = np.zeros(len(topics))
        marks = t_key == key
        it, found = _positions(topics_array, t_topic[marks])
        np.add.at(unknown, it[found], t_n[marks][found])
        group, dimension = key.split("\x1f")
        out[(group, dimension)] = GroupStatistics(
            group=group,
            dimension=dimension,
            topics=topics,
            n=n,
            mean=mean,
            covariance=covariance,
            counts=counts,
            n_dont_know=unknown,
            n_respondents=respondents.get((group, dimension), int(n.max())),
        )
    return out


def reportable_statistics(
    stats: Mapping[tuple[str, str], GroupStatistics], min_group_size: int
) -> dict[tuple[str, str], GroupStatistics]:
    """The statistics that may enter a published figure.

    A group with fewer than `min_group_size` respondents on a dimension is left out entirely,
    and within a group a topic rated by fewer than `min_group_size` respondents is left out of
    that topic. What is left out counts nowhere: not in a score, an interval, a tier, a top-box
    share or an agreement statistic. (Were it to count in a weighted overall score while the
    other groups' means and weights are published, (overall - sum of visible weight x mean) /
    hidden weight would give its mean back.)
    """
    out: dict[tuple[str, str], GroupStatistics] = {}
    for key, s in stats.items():
        if s.n_respondents < min_group_size:
            continue
        keep = s.n >= min_group_size
        if not keep.any():
            continue
        if keep.all():
            out[key] = s
            continue
        out[key] = GroupStatistics(
            group=s.group,
            dimension=s.dimension,
            topics=tuple(t for t, k in zip(s.topics, keep, strict=True) if k),
            n=s.n[keep],
            mean=s.mean[keep],
            covariance=s.covariance[np.ix_(keep, keep)],
            counts=s.counts[keep],
            n_dont_know=s.n_dont_know[keep],
            n_respondents=s.n_respondents,
        )
    return out


def _keys(frame: pd.DataFrame) -> np.ndarray:
    """One string per row naming its (group, dimension)."""
    if frame.empty:
        return np.array([], dtype=object)
    return (frame["group"].astype(str) + "\x1f" + frame["dimension"].astype(str)).to_numpy(dtype=object)


def _positions(sorted_topics: np.ndarray, topics: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each of `topics` in `sorted_topics`, and whether it is there at all."""
    if len(topics) == 0:
        return np.array([], dtype=np.int64), np.array([], dtype=bool)
    index = np.searchsorted(sorted_topics, topics)
    clipped = np.minimum(index, len(sorted_topics) - 1)
    return clipped, sorted_topics[clipped] == topics


def nominal_weights(
    groups: pd.DataFrame, dimension: str, method: MethodConfig, *, strict: bool = True
) -> dict[str, float] | None:
    """Percent weight of each group of `dimension`; None means "weight by respondents".

    With ``strict`` (the assessment being analysed) explicit weights must name every group of a
    dimension they cover, only known groups, and sum to 100 per dimension. Without it (last
    year's assessment, re-analysed with this year's method) unknown groups are ignored, groups
    without a weight get 0 and the rest is rescaled to 100.
    """
    members = [g for g, d in groups[["group", "dimension"]].itertuples(index=False) if d == dimension]
    if method.group_weighting == "respondents":
        return None
    if method.group_weighting == "equal" or not members:
        return {g: 100.0 / len(members) for g in members} if members else {}
    known = set(groups["group"])
    unknown = sorted(set(method.group_weights) - known)
    if unknown and strict:
        raise MethodError(
            [
                f"field 'group_weights': unknown group(s) {', '.join(unknown)} "
                f"(groups: {', '.join(groups['group'])})"
            ]
        )
    listed = {g: float(method.group_weights[g]) for g in members if g in method.group_weights}
    if not listed:
        return {g: 100.0 / len(members) for g in members}
    missing = [g for g in members if g not in listed]
    if missing and strict:
        raise MethodError(
            [f"field 'group_weights': no weight for group(s) {', '.join(missing)} of dimension '{dimension}'"]
        )
    total = sum(listed.values())
    if strict and abs(total - 100.0) > 0.01:
        raise MethodError(
            [f"field 'group_weights': the weights of dimension '{dimension}' sum to {total:g}, expected 100"]
        )
    if total <= 0:
        raise MethodError([f"field 'group_weights': every group of dimension '{dimension}' has weight 0"])
    return {g: 100.0 * listed.get(g, 0.0) / total for g in members}


def _stream(seed: int, group: str) -> np.random.Generator:
    """A random stream of its own for each group, stable across runs and platforms."""
    digest = int.from_bytes(hashlib.sha256(group.encode("utf-8")).digest()[:8], "little")
    return np.random.default_rng([seed, digest])


def resample_group_means(
    stats: GroupStatistics, *, resamples: int, seed: int, scale_min: int, scale_max: int
) -> np.ndarray:
    """(resamples, topics) draws of the group's topic means from a multivariate t distribution
    (the covariance of :func:`group_statistics`, n - 1 degrees of freedom with n the group's
    median number of raters per topic), clipped to the scale."""
    values, vectors = np.linalg.eigh(stats.covariance)
    root = vectors * np.sqrt(np.clip(values, 0.0, None))
    stream = _stream(seed, stats.group)
    noise = stream.standard_normal((resamples, len(stats.topics)))
    df = max(float(np.median(stats.n)) - 1.0, 1.0)
    scale = np.sqrt(df / stream.chisquare(df, size=(resamples, 1)))
    return np.clip(stats.mean + (noise @ root.T) * scale, scale_min, scale_max)


@dataclass(frozen=True)
class AxisScores:
    """One axis of the matrix for every topic (in the order of `topics`)."""

    topics: tuple[str, ...]
    groups: tuple[str, ...]
    estimate: np.ndarray  # NaN where no included group rated the topic
    draws: np.ndarray  # (resamples, topics)
    low: np.ndarray
    high: np.ndarray
    top_box: np.ndarray
    n: np.ndarray  # respondents of included groups who rated the topic
    weights: np.ndarray  # (groups, topics): effective weight of each group, summing to 1 per topic
    se: np.ndarray  # standard error of the estimate
    df: np.ndarray  # its Welch-Satterthwaite degrees of freedom
    effective_n: np.ndarray  # Kish's effective sample size of the weighted mean
    dont_know_rate: np.ndarray  # share of "don't know" among the included groups' answers


def welch_interval(
    estimate: np.ndarray, se: np.ndarray, df: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """estimate +- t(df, (1 + level) / 2) * se, elementwise (NaN stays NaN)."""
    with np.errstate(invalid="ignore"):
        half = student_t.quantiles((1.0 + level) / 2.0, df) * se
    return estimate - half, estimate + half


def percentile_interval(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed percentile interval of each column of `draws` (NaN columns stay NaN)."""
    tail = 100.0 * (1.0 - level) / 2.0
    if draws.shape[1] == 0:
        return np.array([]), np.array([])
    low, high = np.percentile(draws, [tail, 100.0 - tail], axis=0)
    return low, high


def axis_scores(
    stats: Sequence[GroupStatistics],
    topics: Sequence[str],
    weights: Mapping[str, float] | None,
    *,
    resamples: int,
    seed: int,
    level: float,
    scale_min: int,
    scale_max: int,
    top_box_points: int,
) -> AxisScores:
    """Weighted scores, top-box shares and resampled draws of one axis.

    `weights` maps group -> percent (None: weight every group by the respondents who rated
    the topic). Groups with weight 0 are left out entirely.
    """
    topics = tuple(topics)
    included = [s for s in stats if weights is None or weights.get(s.group, 0.0) > 0]
    included.sort(key=lambda s: s.group)
    n_topics = len(topics)
    n_groups = len(included)
    n = np.zeros((n_groups, n_topics))
    unknown = np.zeros((n_groups, n_topics))
    variance = np.zeros((n_groups, n_topics))  # of each group's mean
    df = np.ones((n_groups, n_topics))
    means = np.zeros((n_groups, n_topics))
    tops = np.zeros((n_groups, n_topics))
    draws = np.zeros((n_groups, resamples, n_topics))
    top_from = max(scale_max - top_box_points + 1, scale_min) - scale_min
    position = {t: i for i, t in enumerate(topics)}
    for g, s in enumerate(included):
        columns = np.array([position.get(t, -1) for t in s.topics])
        present = columns >= 0
        cols = columns[present]
        n[g, cols] = s.n[present]
        unknown[g, cols] = s.n_dont_know[present]
        variance[g, cols] = np.diag(s.covariance)[present]
        df[g, cols] = s.df[present]
        means[g, cols] = s.mean[present]
        tops[g, cols] = s.counts[present, top_from:].sum(axis=1) / s.n[present]
        group_draws = resample_group_means(
            s, resamples=resamples, seed=seed, scale_min=scale_min, scale_max=scale_max
        )
        draws[g][:, cols] = group_draws[:, present]
    if weights is None:
        base = n.copy()
    else:
        base = np.array([weights[s.group] for s in included], dtype=float)[:, None] * (n > 0)
    total = base.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        effective = np.where(total > 0, base / np.where(total > 0, total, 1.0), 0.0)
    rated = total > 0
    estimate = np.where(rated, (effective * means).sum(axis=0), np.nan)
    top_box = np.where(rated, (effective * tops).sum(axis=0), np.nan)
    combined_draws = (
        np.einsum("gt,grt->rt", effective, draws) if n_groups else np.zeros((resamples, n_topics))
    )
    combined_draws = np.clip(combined_draws, scale_min, scale_max)
    combined_draws[:, ~rated] = np.nan
    parts = effective**2 * variance
    se2 = parts.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        welch_df = np.where(se2 > 0, se2**2 / (parts**2 / df).sum(axis=0), np.inf)
        # Kish (1965): (sum of respondent weights)^2 / sum of their squares, a group's weight
        # shared among its n raters of the topic
        effective_n = np.where(
            rated, 1.0 / np.where(n > 0, effective**2 / np.where(n > 0, n, 1), 0).sum(axis=0), 0
        )
    se = np.where(rated, np.sqrt(se2), np.nan)
    welch_df = np.where(rated, welch_df, np.nan)
    low, high = welch_interval(estimate, se, welch_df, level)
    low, high = np.clip(low, scale_min, scale_max), np.clip(high, scale_min, scale_max)
    return AxisScores(
        topics=topics,
        groups=tuple(s.group for s in included),
        estimate=estimate,
        draws=combined_draws,
        low=low,
        high=high,
        top_box=top_box,
        n=n.sum(axis=0),
        weights=effective,
        se=se,
        df=welch_df,
        effective_n=np.where(rated, effective_n, 0.0),
        dont_know_rate=_share(unknown.sum(axis=0), (n + unknown).sum(axis=0)),
    )


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(whole > 0, part / np.where(whole > 0, whole, 1.0), np.nan)
