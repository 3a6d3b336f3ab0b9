"""What-if on the analysis method: a variant of a method, how the topics move, what changed.

The committee tries other group weights, tiering methods, numbers of tiers or thresholds and
sees the topics move at once. The scores come from the assessment's aggregates, so a variant
costs one :func:`analysis.pipeline.analyse`; to keep that interactive, :func:`interactive`
lowers the number of bootstrap resamples behind the intervals and p_tier (the tiers and the
scores themselves do not depend on it). A variant saved as the assessment's method is saved
with the full number of resamples of the method it started from.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from analysis.method import MethodConfig, flat_settings, method_from_dict
from analysis.pipeline import AnalysisResult
from analysis.rules import UNCERTAIN_P_TIER

# Resamples for an interactive what-if, by tiering method. The clustering methods refit on
# every resample, about 10 ms (k-means) to 30 ms or more (mixtures) each, so their preview
# p_tier rests on few resamples: below the 100 a saved method may use, hence set without
# validation. The page says how many were used.
INTERACTIVE_RESAMPLES = {"jenks": 200, "thresholds": 200, "quantiles": 200, "kmeans": 20, "gmm": 10}


def interactive(method: MethodConfig) -> MethodConfig:
    """`method` with fewer resamples, for a quick what-if (never more than the method's own).

    Only for previews: a method saved from a what-if keeps its own number of resamples."""
    resamples = min(method.resamples, INTERACTIVE_RESAMPLES[method.tiering.method])
    return method.model_copy(update={"resamples": resamples})


def explicit_weights(points: dict[str, float]) -> dict[str, float]:
    """Relative weights (any non-negative numbers) as percentages summing to 100."""
    total = sum(points.values())
    if total <= 0:
        return {group: 0.0 for group in points}
    return {group: 100.0 * value / total for group, value in points.items()}


def variant(
    base: MethodConfig,
    *,
    group_weighting: str,
    group_points: dict[str, float] | None = None,
    tiering: str,
    n_tiers: int,
    thresholds: list[float] | None = None,
) -> MethodConfig:
    """`base` with other weights and tiering; raises :class:`analysis.method.MethodError`.

    `group_points` are the relative weights of the stakeholder groups for ``explicit``
    weighting; they are turned into percentages. Other choices of `base` are kept.
    """
    config: dict[str, Any] = base.as_dict()
    config["group_weighting"] = group_weighting
    config["group_weights"] = explicit_weights(group_points or {}) if group_weighting == "explicit" else {}
    if group_weighting == "explicit" and not any(config["group_weights"].values()):
        config["group_weights"] = {}  # reported by the validation as weights missing
    tiering_config: dict[str, Any] = {"method": tiering, "n_tiers": n_tiers}
    if tiering == "thresholds":
        tiering_config["thresholds"] = list(thresholds or [])
    if tiering in ("kmeans", "gmm"):
        tiering_config["n_init"] = base.tiering.n_init
    if tiering == "gmm":
        tiering_config["covariance_type"] = base.tiering.covariance_type
    config["tiering"] = tiering_config
    return method_from_dict(config, source="what-if")


def suggested_thresholds(result: AnalysisResult, n_tiers: int) -> list[float]:
    """Cut points to start a thresholds variant from: the result's own when it has as many,
    else equal shares of the scored topics' combined scores."""
    if len(result.thresholds) == n_tiers - 1:
        return [round(t, 2) for t in result.thresholds]
    combined = result.topics["combined_score"].dropna()
    if combined.empty:
        span = result.data.scale_max - result.data.scale_min
        return [round(result.data.scale_min + span * i / n_tiers, 2) for i in range(1, n_tiers)]
    return [round(float(combined.quantile(i / n_tiers)), 2) for i in range(1, n_tiers)]


def tier_moves(before: AnalysisResult, after: AnalysisResult) -> pd.DataFrame:
    """Per topic: tier and rank under both methods, and whether the tier changed."""
    old = before.topics.set_index("topic")
    new = after.topics.set_index("topic")
    frame = pd.DataFrame(
        {
            "topic": new.index,
            "name": new["name"].to_numpy(),
            "tier_before": old["tier"].reindex(new.index).to_numpy(),
            "tier_after": new["tier"].to_numpy(),
            "rank_before": old["rank"].reindex(new.index).to_numpy(),
            "rank_after": new["rank"].to_numpy(),
            "business_significance": new["business_significance"].to_numpy(),
            "stakeholder_importance": new["stakeholder_importance"].to_numpy(),
            "combined_score": new["combined_score"].to_numpy(),
            "p_tier": new["p_tier"].to_numpy(),
        }
    )
    frame["moved"] = frame["tier_before"].fillna("") != frame["tier_after"].fillna("")
    return frame.reset_index(drop=True)


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else "-"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return "-" if value is None else str(value)


def _set_fields(config: dict[str, Any]) -> dict[str, Any]:
    """The method's settings by dotted name; an empty mapping (no explicit weights) sets nothing."""
    return {name: value for name, value in flat_settings(config).items() if value != {}}


def method_changes(before: dict | None, after: dict) -> list[str]:
    """What differs between two method configurations, one line per field ("tiering.method:
    jenks -> kmeans"); `before` None stands for the defaults."""
    old = _set_fields(
        MethodConfig().as_dict() if before is None else method_from_dict(before, record=True).as_dict()
    )
    new = _set_fields(method_from_dict(after, record=True).as_dict())
    lines = []
    for field in sorted(set(old) | set(new)):
        if old.get(field) != new.get(field):
            lines.append(f"{field}: {_shown(old.get(field))} -> {_shown(new.get(field))}")
    return lines


def headline(result: AnalysisResult) -> pd.DataFrame:
    """The topics of the top tier with their stability (p_tier), for the overview."""
    topics = result.topics
    if topics["tier"].isna().all():
        return topics.iloc[0:0][["rank", "name", "combined_score", "p_tier"]].assign(stability=[])
    top = topics["tier"].dropna().iloc[0] if "high" not in set(topics["tier"]) else "high"
    chosen = topics[topics["tier"] == top][["rank", "name", "combined_score", "p_tier"]]
    return chosen.assign(
        stability=["stable" if p >= UNCERTAIN_P_TIER else "uncertain" for p in chosen["p_tier"]]
    ).reset_index(drop=True)
