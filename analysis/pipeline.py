"""From an assessment's aggregates to the materiality result, and the files of a run.

:func:`analyse` computes both axes with their intervals, the tiers with their stability, the
per-group view with privacy suppression and minority flags, agreement statistics and the
changes against the previous assessment, and records the method with a fingerprint of the
input. :func:`run_files` gives ``topics.csv``, ``groups.csv``, ``agreement.json``,
``changes.csv`` and ``method.json`` as bytes; the same data and method give byte-identical files
(fixed float format, sort orders and key order; no timestamps).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.agreement import (
    Agreement,
    kendall_w,
    krippendorff_alpha,
    pair_correlations,
    value_counts_from_histogram,
)
from analysis.changes import CHANGE_COLUMNS, year_over_year
from analysis.method import MethodConfig
from analysis.minority import MinorityTest, benjamini_hochberg, minority_tests
from analysis.record import (
    comparison_record,
    left_out_groups,
    material_threshold,
    method_record,
    threshold_record,
)
from analysis.scores import (
    BUSINESS_DIMENSION,
    STAKEHOLDER_DIMENSION,
    AxisScores,
    GroupStatistics,
    axis_scores,
    group_statistics,
    nominal_weights,
    reportable_statistics,
    welch_interval,
)
from analysis.tiers import NOT_MATERIAL, MaterialityTiers, break_test, tier_names
from core.aggregates import AssessmentData
from core.formats import csv_text, json_text

TOPIC_COLUMNS = [
    "topic",
    "name",
    "category",
    "stakeholder_importance",
    "stakeholder_low",
    "stakeholder_high",
    "business_significance",
    "business_low",
    "business_high",
    "top_box",
    "combined_score",
    "tier",
    "p_tier",
    "rank",
    "n_respondents",
    "n_business",
    "combined_low",
    "combined_high",
    "p_material",
    "p_high",
    "rank_low",
    "rank_high",
    "stakeholder_se",
    "stakeholder_df",
    "business_se",
    "business_df",
    "combined_se",
    "combined_df",
    "dont_know_rate",
    "business_dont_know_rate",
    "stakeholder_effective_n",
]
GROUP_COLUMNS = [
    "group",
    "group_name",
    "dimension",
    "topic",
    "mean",
    "n",
    "suppressed",
    "minority",
    "minority_gap",
    "weight",
    "n_dont_know",
    "others_score",
    "minority_p",
    "minority_q",
    "minority_direction",
    "dont_know_rate",
]
RUN_FILES = ("topics.csv", "groups.csv", "agreement.json", "changes.csv", "method.json")


@dataclass(frozen=True)
class AnalysisResult:
    data: AssessmentData
    topics: pd.DataFrame  # one row per topic, rank order
    groups: pd.DataFrame  # group x topic, long format
    agreement: Agreement
    changes: pd.DataFrame
    method: dict
    thresholds: list[float]
    previous: AnalysisResult | None = None
    tier_fit: TierFit | None = None  # the fitted tiering and the draws (not written to any file)

    @property
    def tier_order(self) -> list[str]:
        """The names of the result's tiers, the most material first ("not material" last, when a topic is)."""
        names = tier_names(int(self.method["tiering"]["n_tiers"]))
        if (self.topics["tier"] == NOT_MATERIAL).any():
            names.append(NOT_MATERIAL)
        return names

    @property
    def interval_level(self) -> float:
        """The level of the result's intervals (0.95 for 95%)."""
        return float(self.method["interval_level"])


def analyse(
    data: AssessmentData,
    method: MethodConfig | None = None,
    previous: AssessmentData | None = None,
    *,
    source: dict | None = None,
    strict: bool = True,
    threshold_provenance: dict | None = None,
) -> AnalysisResult:
    """The materiality result of `data` under `method` (defaults when None).

    `previous` is last year's assessment; it is analysed with the same method so that the
    changes compare like with like. `source` says where the method came from (recorded).
    `strict=False` tolerates explicit weights that do not fit the groups (used for `previous`).
    `threshold_provenance` says who set the method's thresholds on the scale and when, and when
    the assessment's results could first be computed (``set_by``, ``set_at``,
    ``results_first_computed``, ISO times); recorded, and a threshold set after the first
    results is flagged.
    """
    method = method or MethodConfig()
    all_stats = group_statistics(data.aggregates, scale_min=data.scale_min, scale_max=data.scale_max)
    stats = reportable_statistics(all_stats, method.min_group_size)
    topic_keys = sorted(data.topics["topic"])
    weights = {
        dimension: nominal_weights(data.groups, dimension, method, strict=strict)
        for dimension in (STAKEHOLDER_DIMENSION, BUSINESS_DIMENSION)
    }
    axes = {
        dimension: axis_scores(
            _members(data, stats, dimension),
            topic_keys,
            weights[dimension],
            resamples=method.resamples,
            seed=method.seed,
            level=method.interval_level,
            scale_min=data.scale_min,
            scale_max=data.scale_max,
            top_box_points=method.top_box_points,
        )
        for dimension in (STAKEHOLDER_DIMENSION, BUSINESS_DIMENSION)
    }
    stakeholder, business = axes[STAKEHOLDER_DIMENSION], axes[BUSINESS_DIMENSION]
    topics, tier_fit = _topic_table(data, topic_keys, stakeholder, business, method)
    thresholds = list(tier_fit.estimator.thresholds_) if tier_fit.estimator is not None else []
    groups = _group_table(data, all_stats, stats, axes, topics, method)
    agreement = _agreement(data, all_stats, stats, stakeholder, weights[STAKEHOLDER_DIMENSION])

    previous_result = None
    if previous is not None:
        previous_result = analyse(previous, method, None, strict=False)
    changes = year_over_year(topics, None)
    if previous_result is not None and previous_result.tier_fit is not None:
        changes = year_over_year(
            topics,
            previous_result.topics,
            previous_tiers=previous_result.tier_fit.tiers_under(tier_fit.estimator),
            p_tier_change=tier_change_probability(tier_fit, previous_result.tier_fit),
            level=method.interval_level,
        )
    record = method_record(
        data,
        method,
        stakeholder_weights=_percent(
            weights[STAKEHOLDER_DIMENSION], stakeholder, data, STAKEHOLDER_DIMENSION
        ),
        business_weights=_percent(weights[BUSINESS_DIMENSION], business, data, BUSINESS_DIMENSION),
        previous=previous_result,
        source=source,
        left_out=left_out_groups(all_stats, stats),
        threshold_record=threshold_record(method, data, thresholds, threshold_provenance),
        effective_n=effective_sample_sizes(stats, record_weights(stakeholder, business, weights, data)),
        comparison=comparison_record(
            method, record_weights(stakeholder, business, weights, data), previous_result
        ),
        natural_break=tier_fit.break_test,
        small_cells=sum(len(all_stats[k].topics) - len(stats[k].topics) for k in stats),
    )
    return AnalysisResult(
        data=data,
        topics=topics,
        groups=groups,
        agreement=agreement,
        changes=changes,
        method=record,
        thresholds=thresholds,
        previous=previous_result,
        tier_fit=tier_fit,
    )


def _members(data: AssessmentData, stats: dict, dimension: str) -> list[GroupStatistics]:
    """Statistics of the groups that rate on `dimension`, on that dimension."""
    groups = data.groups.loc[data.groups["dimension"] == dimension, "group"]
    return [stats[(g, dimension)] for g in groups if (g, dimension) in stats]


def _percent(
    nominal: dict | None, axis: AxisScores, data: AssessmentData, dimension: str
) -> dict[str, float]:
    """Group weights in effect, in percent: the nominal weights with the groups left out (too
    few respondents) at 0 and the rest rescaled; for "respondents" each included group's share
    of the included respondents."""
    members = list(data.groups.loc[data.groups["dimension"] == dimension, "group"])
    included = set(axis.groups)
    if nominal is not None:
        kept = {g: (w if g in included else 0.0) for g, w in nominal.items()}
        total = sum(kept.values())
        return {g: (100.0 * w / total if total else 0.0) for g, w in sorted(kept.items())}
    respondents = data.aggregates.respondents
    counts = {
        g: float(n)
        for g, d, n in respondents[["group", "dimension", "n_respondents"]].itertuples(index=False)
        if d == dimension and g in members and g in included
    }
    total = sum(counts.values())
    return {g: (100.0 * counts.get(g, 0.0) / total if total else 0.0) for g in sorted(members)}


def combined_uncertainty(stakeholder: AxisScores, business: AxisScores) -> tuple[np.ndarray, np.ndarray]:
    """Standard error and Welch-Satterthwaite degrees of freedom of the combined score, the mean
    of two independent axes (different respondents rate them)."""
    a, b = stakeholder.se**2 / 4.0, business.se**2 / 4.0
    se2 = a + b
    with np.errstate(invalid="ignore", divide="ignore"):
        df = np.where(se2 > 0, se2**2 / (a**2 / stakeholder.df + b**2 / business.df), np.inf)
    return np.sqrt(se2), df


@dataclass(frozen=True)
class TierFit:
    """What the tiering of a result needs besides the topic table: the fitted estimator, the
    combined-score draws (resamples, scored topics) and the natural-break test."""

    estimator: MaterialityTiers | None
    scored: np.ndarray
    draws: np.ndarray
    break_test: dict | None
    topics: list[str] = field(default_factory=list)  # the scored topics, in the order of the draws
    coordinates: np.ndarray | None = None  # (scored topics, 2): business, stakeholder
    upper: np.ndarray | None = None  # upper ends of their combined-score intervals
    coordinate_draws: np.ndarray | None = None  # (resamples, scored topics, 2)

    def tiers_under(self, rule: MaterialityTiers | None) -> dict[str, str | None]:
        """Each scored topic's tier under another result's fitted rule (its cut points or clusters
        and its material threshold, applied to this result's scores and intervals)."""
        if rule is None or self.coordinates is None or not self.topics:
            return dict.fromkeys(self.topics)
        labels = rule.predict(self.coordinates)
        if rule.material_threshold is not None and self.upper is not None:
            below = self.upper < rule.material_threshold
            labels = np.where(below, rule.n_tiers, np.where(labels == rule.n_tiers, rule.n_tiers - 1, labels))
        names = np.array(rule.tier_names_, dtype=object)
        return dict(zip(self.topics, names[labels], strict=True))

    def tier_shares(self, rule: MaterialityTiers | None) -> dict[str, np.ndarray]:
        """Per scored topic, the share of draws in each tier of `rule` (fixed, not refitted)."""
        if rule is None or self.coordinate_draws is None or not self.topics:
            return {}
        resamples, topics, _ = self.coordinate_draws.shape
        labels = rule.predict(self.coordinate_draws.reshape(-1, 2)).reshape(resamples, topics)
        size = len(rule.tier_names_)
        shares = np.stack([(labels == k).mean(axis=0) for k in range(size)], axis=1)
        return dict(zip(self.topics, shares, strict=True))


def tier_change_probability(current: TierFit, previous: TierFit) -> dict[str, float]:
    """P(the topic's tiers differ between the years) under this year's rule, the two years'
    draws independent: 1 - sum over tiers of P(now in it) x P(then in it)."""
    rule = current.estimator
    now, then = current.tier_shares(rule), previous.tier_shares(rule)
    return {t: float(1.0 - (now[t] * then[t]).sum()) for t in now if t in then}


def _topic_table(
    data: AssessmentData,
    topic_keys: list[str],
    stakeholder: AxisScores,
    business: AxisScores,
    method: MethodConfig,
) -> tuple[pd.DataFrame, TierFit]:
    combined = (stakeholder.estimate + business.estimate) / 2.0
    combined_se, combined_df = combined_uncertainty(stakeholder, business)
    combined_low, combined_high = welch_interval(combined, combined_se, combined_df, method.interval_level)
    combined_low = np.clip(combined_low, data.scale_min, data.scale_max)
    combined_high = np.clip(combined_high, data.scale_min, data.scale_max)
    scored = ~np.isnan(combined)
    n_topics = len(topic_keys)
    tier = np.full(n_topics, None, dtype=object)
    p_tier = np.full(n_topics, np.nan)
    p_material = np.full(n_topics, np.nan)
    p_high = np.full(n_topics, np.nan)
    rank_low = np.full(n_topics, np.nan)
    rank_high = np.full(n_topics, np.nan)
    config = method.tiering
    floor = material_threshold(method, data)
    draws = (business.draws[:, scored] + stakeholder.draws[:, scored]) / 2.0
    estimator = None
    test = None
    if scored.sum() >= config.n_tiers:
        estimator = MaterialityTiers(
            method=config.method,
            n_tiers=config.n_tiers,
            thresholds=config.thresholds,
            quantiles=config.quantiles,
            n_init=config.n_init,
            covariance_type=config.covariance_type,
            material_threshold=floor,
            random_state=method.seed,
        )
        coordinates = np.column_stack([business.estimate[scored], stakeholder.estimate[scored]])
        estimator.fit(coordinates, upper=combined_high[scored])
        pairs = np.stack([business.draws[:, scored], stakeholder.draws[:, scored]], axis=2)
        refitted = estimator.refit_labels(pairs)
        tier[scored] = estimator.tiers_
        p_tier[scored] = (refitted == estimator.labels_[None, :]).mean(axis=0)
        if floor is not None:
            p_material[scored] = (draws >= floor).mean(axis=0)
        if config.method == "thresholds" and estimator.thresholds_:
            p_high[scored] = (draws >= estimator.thresholds_[-1]).mean(axis=0)
        # rank 1 = highest combined score, in every draw
        ranks = (-draws).argsort(axis=1).argsort(axis=1) + 1
        tail = 100.0 * (1.0 - method.interval_level) / 2.0
        rank_low[scored] = np.floor(np.percentile(ranks, tail, axis=0))
        rank_high[scored] = np.ceil(np.percentile(ranks, 100.0 - tail, axis=0))
        if config.method != "thresholds":
            rest = combined[scored][~estimator.not_material_]
            test = break_test(rest, config.n_tiers, random_state=method.seed)
    catalog = data.topics.set_index("topic")
    frame = pd.DataFrame(
        {
            "topic": topic_keys,
            "name": [catalog.at[t, "name"] for t in topic_keys],
            "category": [catalog.at[t, "category"] for t in topic_keys],
            "stakeholder_importance": stakeholder.estimate,
            "stakeholder_low": stakeholder.low,
            "stakeholder_high": stakeholder.high,
            "business_significance": business.estimate,
            "business_low": business.low,
            "business_high": business.high,
            "top_box": stakeholder.top_box,
            "combined_score": combined,
            "tier": pd.Series(tier, dtype=object),
            "p_tier": p_tier,
            "n_respondents": stakeholder.n.astype(np.int64),
            "n_business": business.n.astype(np.int64),
            "combined_low": combined_low,
            "combined_high": combined_high,
            "p_material": p_material,
            "p_high": p_high,
            "rank_low": pd.array(np.where(np.isnan(rank_low), 0, rank_low).astype(np.int64), dtype="Int64"),
            "rank_high": pd.array(
                np.where(np.isnan(rank_high), 0, rank_high).astype(np.int64), dtype="Int64"
            ),
            "stakeholder_se": stakeholder.se,
            "stakeholder_df": stakeholder.df,
            "business_se": business.se,
            "business_df": business.df,
            "combined_se": combined_se,
            "combined_df": combined_df,
            "dont_know_rate": stakeholder.dont_know_rate,
            "business_dont_know_rate": business.dont_know_rate,
            "stakeholder_effective_n": stakeholder.effective_n,
        }
    )
    frame.loc[np.isnan(rank_low), ["rank_low", "rank_high"]] = pd.NA
    frame = frame.assign(
        _unscored=~scored,
        _combined=-np.nan_to_num(combined, nan=0.0),
        _stakeholder=-np.nan_to_num(stakeholder.estimate, nan=-np.inf),
    ).sort_values(["_unscored", "_combined", "_stakeholder", "topic"], kind="stable")
    frame = frame.drop(columns=["_unscored", "_combined", "_stakeholder"]).reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1, dtype=np.int64)
    scored_keys = [t for t, k in zip(topic_keys, scored, strict=True) if k]
    return frame[TOPIC_COLUMNS], TierFit(
        estimator,
        scored,
        draws,
        test,
        topics=scored_keys,
        coordinates=np.column_stack([business.estimate[scored], stakeholder.estimate[scored]]),
        upper=combined_high[scored],
        coordinate_draws=np.stack([business.draws[:, scored], stakeholder.draws[:, scored]], axis=2),
    )


def _group_table(
    data: AssessmentData,
    all_stats: dict,
    stats: dict,
    axes: dict[str, AxisScores],
    topics: pd.DataFrame,
    method: MethodConfig,
) -> pd.DataFrame:
    """Every group's mean per topic; figures from fewer than min_group_size are withheld.

    `all_stats` give the counts (respondents and "don't know" per topic, shown for every group),
    `stats` the reportable means (:func:`analysis.scores.reportable_statistics`); a cell that is
    not reportable is suppressed and has weight 0, as it counts in no overall figure.

    A group holds a minority view of a topic when its mean differs from the score of the other
    groups by at least `minority_gap`, above or below, and Welch's two-sided test of the
    difference (:func:`minority_tests`) is significant with the false discovery rate over all
    tests of the result held at `minority_fdr` (Benjamini-Hochberg).
    """
    tests: dict[tuple[str, str, str], MinorityTest] = {}
    for dimension, axis in axes.items():
        for (group, topic), test in minority_tests(axis, stats, dimension).items():
            tests[(group, dimension, topic)] = test
    keys = list(tests)
    q_values = dict(zip(keys, benjamini_hochberg(np.array([tests[k].p_value for k in keys])), strict=True))
    topic_order = list(topics["topic"])
    rows = []
    for group, name, dimension in data.groups[["group", "name", "dimension"]].itertuples(index=False):
        counted: GroupStatistics | None = all_stats.get((group, dimension))
        s: GroupStatistics | None = stats.get((group, dimension))
        group_axis = axes.get(dimension)
        counts = {t: i for i, t in enumerate(counted.topics)} if counted is not None else {}
        position = {t: i for i, t in enumerate(s.topics)} if s is not None else {}
        weights: dict[str, float] = {}
        if group_axis is not None and group in group_axis.groups:
            g = group_axis.groups.index(group)
            weights = {t: 100.0 * float(group_axis.weights[g, j]) for j, t in enumerate(group_axis.topics)}
        for topic in topic_order:
            c = counts.get(topic)
            n = int(counted.n[c]) if counted is not None and c is not None else 0
            dont_know = int(counted.n_dont_know[c]) if counted is not None and c is not None else 0
            i = position.get(topic)
            suppressed = s is None or i is None
            mean = math.nan if s is None or i is None else float(s.mean[i])
            found = tests.get((group, dimension, topic))
            q = q_values.get((group, dimension, topic), math.nan)
            gap = found.gap if found is not None else math.nan
            minority = bool(
                found is not None and abs(gap) >= method.minority_gap and q <= method.minority_fdr
            )
            rows.append(
                (
                    group,
                    name,
                    dimension,
                    topic,
                    mean,
                    n,
                    suppressed,
                    minority,
                    gap,
                    weights.get(topic, 0.0),
                    dont_know,
                    found.others if found is not None else math.nan,
                    found.p_value if found is not None else math.nan,
                    q,
                    ("above" if gap > 0 else "below") if minority else "",
                    dont_know / (n + dont_know) if n + dont_know else math.nan,
                )
            )
    frame = pd.DataFrame(rows, columns=GROUP_COLUMNS)
    return frame.astype({"n": np.int64, "n_dont_know": np.int64, "suppressed": bool, "minority": bool})


def _agreement(
    data: AssessmentData, all_stats: dict, stats: dict, stakeholder: AxisScores, weights: dict | None
) -> Agreement:
    """Kendall's W and Spearman's rho over the stakeholder groups in the score; alpha over their
    respondents. Only reportable figures take part (:func:`analysis.scores.reportable_statistics`):
    a group, or a group's topic, with fewer than min_group_size respondents is left out of every
    statistic, alpha included."""
    members = data.groups.loc[data.groups["dimension"] == STAKEHOLDER_DIMENSION, "group"]
    reportable = [g for g in members if g in stakeholder.groups]  # in catalog order
    means = {
        group: pd.Series(
            stats[(group, STAKEHOLDER_DIMENSION)].mean,
            index=list(stats[(group, STAKEHOLDER_DIMENSION)].topics),
        )
        for group in reportable
    }
    table = pd.DataFrame(means).T.reindex(index=reportable, columns=list(stakeholder.topics))
    histogram = data.aggregates.histogram
    cells = {(g, t) for g in reportable for t in stats[(g, STAKEHOLDER_DIMENSION)].topics}
    in_score = (
        [(str(g), str(t)) in cells for g, t in histogram[["group", "topic"]].itertuples(index=False)]
        if len(histogram)
        else []
    )
    included = (
        histogram[
            (histogram["dimension"] == STAKEHOLDER_DIMENSION).to_numpy() & np.array(in_score, dtype=bool)
        ]
        if len(histogram)
        else histogram
    )
    counts = value_counts_from_histogram(included, data.scale_min, data.scale_max)
    excluded = sorted(
        g
        for g in members
        if (g, STAKEHOLDER_DIMENSION) in all_stats
        and (g, STAKEHOLDER_DIMENSION) not in stats
        and (weights is None or weights.get(g, 0.0) > 0)
    )
    complete = table.dropna(axis=1, how="any")
    return Agreement(
        kendall_w=kendall_w(table) if len(table) else None,
        kendall_w_groups=int(len(complete)) if complete.shape[1] >= 2 else 0,
        kendall_w_topics=int(complete.shape[1]),
        krippendorff_alpha_ordinal=krippendorff_alpha(counts, "ordinal"),
        krippendorff_alpha_interval=krippendorff_alpha(counts, "interval"),
        krippendorff_units=int((counts.sum(axis=1) >= 2).sum()) if len(counts) else 0,
        group_correlations=pair_correlations(table),
        groups_left_out=excluded,
    )


def effective_sample_sizes(stats: dict, weights: dict[str, float]) -> dict[str, Any]:
    """Per axis, the respondents counted and Kish's effective sample size under the group
    weighting: each respondent of group g carries weight W_g / n_g, so
    n_eff = (sum of weights)^2 / sum of squares = 1 / sum_g W_g^2 / n_g (W summing to 1).
    Kish (1965), *Survey Sampling*, sec. 11.7."""
    out: dict[str, Any] = {}
    for axis, dimension in (("stakeholder", STAKEHOLDER_DIMENSION), ("business", BUSINESS_DIMENSION)):
        sizes = {
            g: s.n_respondents for (g, d), s in stats.items() if d == dimension and weights.get(g, 0) > 0
        }
        total = sum(weights[g] for g in sizes)
        squares = sum((weights[g] / total) ** 2 / n for g, n in sizes.items()) if total else 0.0
        out[axis] = {
            "respondents": int(sum(sizes.values())),
            "effective": round(1.0 / squares, 1) if squares else 0.0,
        }
    return out


def record_weights(
    stakeholder: AxisScores, business: AxisScores, weights: dict, data: AssessmentData
) -> dict[str, float]:
    """Group weights in effect on both axes, in percent."""
    return {
        **_percent(weights[STAKEHOLDER_DIMENSION], stakeholder, data, STAKEHOLDER_DIMENSION),
        **_percent(weights[BUSINESS_DIMENSION], business, data, BUSINESS_DIMENSION),
    }


# --- the files of a run --------------------------------------------------------------------------


def run_files(result: AnalysisResult) -> dict[str, bytes]:
    """The five files of a run (:data:`RUN_FILES`) by name, in their stable text form."""
    contents = {
        "topics.csv": csv_text(result.topics),
        "groups.csv": csv_text(result.groups),
        "agreement.json": json_text(result.agreement.record()),
        "changes.csv": csv_text(result.changes[CHANGE_COLUMNS]),
        "method.json": json_text(result.method),
    }
    return {name: text.encode("utf-8") for name, text in contents.items()}
