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

import altair as alt
import pandas as pd

from analysis.charts import BUSINESS_AXIS, STAKEHOLDER_AXIS, tier_colours, tier_names
from analysis.method import MethodConfig, method_from_dict
from analysis.pipeline import AnalysisResult

# Resamples for an interactive what-if, by tiering method. The clustering methods refit on
# every resample, about 10 ms (k-means) to 30 ms or more (mixtures) each, so their preview
# p_tier rests on few resamples: below the 100 a saved method may use, hence set without
# validation. The page says how many were used.
INTERACTIVE_RESAMPLES = {"jenks": 200, "thresholds": 200, "quantiles": 200, "kmeans": 20, "gmm": 10}
STABLE_P_TIER = 0.8


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


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value}


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else "-"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return "-" if value is None else str(value)


def method_changes(before: dict | None, after: dict) -> list[str]:
    """What differs between two method configurations, one line per field ("tiering.method:
    jenks -> kmeans"); `before` None stands for the defaults."""
    old = _flatten(
        MethodConfig().as_dict() if before is None else method_from_dict(before, record=True).as_dict()
    )
    new = _flatten(method_from_dict(after, record=True).as_dict())
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
        stability=["stable" if p >= STABLE_P_TIER else "uncertain" for p in chosen["p_tier"]]
    ).reset_index(drop=True)


def moves_chart(
    moves: pd.DataFrame, after: AnalysisResult, *, width: int = 460, height: int = 460
) -> alt.LayerChart | alt.FacetChart:
    """A light matrix of a variant: topics coloured by their new tier, those that changed tier
    ringed and labelled, the variant's tier boundaries dashed. Light enough to redraw on every
    change of a what-if control."""
    plotted = moves.dropna(subset=["business_significance", "stakeholder_importance"])
    values = [*plotted["business_significance"], *plotted["stakeholder_importance"]]
    lo = min(values) - 0.1 if values else float(after.data.scale_min)
    hi = max(values) + 0.1 if values else float(after.data.scale_max)
    tiers = tier_names(int(after.method["tiering"]["n_tiers"]))
    scale = alt.Scale(domain=[lo, hi], nice=False, zero=False)
    x = alt.X("business_significance:Q", title=BUSINESS_AXIS, scale=scale)
    y = alt.Y("stakeholder_importance:Q", title=STAKEHOLDER_AXIS, scale=scale)
    base = alt.Chart(plotted)
    points = base.mark_point(filled=True, size=80).encode(
        x=x,
        y=y,
        color=alt.Color(
            "tier_after:N", title="Tier", scale=alt.Scale(domain=tiers, range=tier_colours(tiers))
        ),
        tooltip=[
            alt.Tooltip("name:N", title="Topic"),
            alt.Tooltip("tier_before:N", title="Tier before"),
            alt.Tooltip("tier_after:N", title="Tier now"),
            alt.Tooltip("combined_score:Q", title="Combined score", format=".2f"),
        ],
    )
    moved = base.transform_filter("datum.moved").mark_point(size=320, strokeWidth=2, color="#222222")
    labels = base.transform_filter("datum.moved").mark_text(align="left", dx=10, fontSize=11)
    layers = [points, moved.encode(x=x, y=y), labels.encode(x=x, y=y, text="name:N")]
    cuts = pd.DataFrame(
        [
            {
                "x": max(lo, 2 * t - hi),
                "y": 2 * t - max(lo, 2 * t - hi),
                "x2": min(hi, 2 * t - lo),
                "y2": 2 * t - min(hi, 2 * t - lo),
            }
            for t in after.thresholds
            if max(lo, 2 * t - hi) < min(hi, 2 * t - lo)
        ],
        columns=["x", "y", "x2", "y2"],
    )
    if not cuts.empty:
        layers.insert(
            0,
            alt.Chart(cuts)
            .mark_rule(strokeDash=[6, 4], color="#555555")
            .encode(
                x=alt.X("x:Q", scale=scale, title=BUSINESS_AXIS),
                y=alt.Y("y:Q", scale=scale, title=STAKEHOLDER_AXIS),
                x2="x2:Q",
                y2="y2:Q",
            ),
        )
    return alt.layer(
        *layers, width=width, height=height, title="Topics under the variant (ringed: tier changed)"
    )
