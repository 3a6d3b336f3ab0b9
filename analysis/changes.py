"""Year over year: how the material topics moved against the previous assessment (GRI 3-2).

A move is real only when it is larger than the two years' uncertainty. Each score delta comes
with Welch's interval (the two years' respondents are independent samples; the degrees of
freedom by Welch-Satterthwaite). As a year's small groups can agree by chance and so understate
its standard error, each year's variance is taken as at least the other year's: the delta's
variance is twice the larger of the two (cautious when the years differ much in size).

``significant`` is true only when the interval of the combined-score delta excludes zero, with
the level held simultaneously over all topics compared (Bonferroni: each interval at level
1 - (1 - level) / m for m topics), so that among topics with no real change the chance of
calling any of them a move stays at most 1 - level.

The tier of the previous year is recomputed with this year's tier rule (the same cut points,
clusters and material threshold), so a tier change is a change of the topic, not of the rule;
``p_tier_change`` is the probability that the topic's tiers in the two years differ under that
rule, from the normal-approximation draws of both years taken as independent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import student_t

CHANGE_COLUMNS = [
    "topic",
    "name",
    "status",
    "tier_previous",
    "tier",
    "tier_changed",
    "rank_previous",
    "rank",
    "rank_change",
    "stakeholder_delta",
    "business_delta",
    "stakeholder_delta_low",
    "stakeholder_delta_high",
    "business_delta_low",
    "business_delta_high",
    "combined_delta",
    "combined_delta_low",
    "combined_delta_high",
    "significant",
    "p_tier_change",
    "tier_previous_reported",
]
INTERVAL_COLUMNS = CHANGE_COLUMNS[CHANGE_COLUMNS.index("stakeholder_delta_low") :]


def empty_changes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "topic": pd.Series(dtype=object),
            "name": pd.Series(dtype=object),
            "status": pd.Series(dtype=object),
            "tier_previous": pd.Series(dtype=object),
            "tier": pd.Series(dtype=object),
            "tier_changed": pd.Series(dtype=bool),
            "rank_previous": pd.Series(dtype="Int64"),
            "rank": pd.Series(dtype="Int64"),
            "rank_change": pd.Series(dtype="Int64"),
            "stakeholder_delta": pd.Series(dtype=float),
            "business_delta": pd.Series(dtype=float),
            **{c: pd.Series(dtype=float) for c in INTERVAL_COLUMNS},
        }
    ).astype({"significant": bool, "tier_previous_reported": object})


def year_over_year(
    current: pd.DataFrame,
    previous: pd.DataFrame | None,
    *,
    previous_tiers: dict[str, str | None] | None = None,
    p_tier_change: dict[str, float] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Tier and rank changes and score deltas per topic.

    Both frames are topic results (topic, name, tier, rank, stakeholder_importance,
    business_significance). A topic only in `current` is "added", only in `previous` "removed",
    in both "kept". ``tier_changed`` is true only for a kept topic with a tier in both years
    that differ. ``rank_change`` is previous minus current rank (positive: moved up);
    deltas are current minus previous. Rows: current topics by rank, then removed topics by
    their previous rank. Without a previous assessment the frame is empty.

    `previous_tiers` are last year's topics placed by this year's tier rule (the comparison's
    ``tier_previous``; last year's own tiers stay in ``tier_previous_reported``). With the
    standard errors and degrees of freedom of both years (``*_se``, ``*_df`` columns) each
    delta gets its simultaneous interval at `level` and ``significant`` is set (see the module).
    """
    if previous is None:
        return empty_changes()
    previous = previous.assign(tier_reported=previous["tier"])
    if previous_tiers is not None:
        previous = previous.assign(tier=previous["topic"].map(previous_tiers))
    columns = ["topic", "name", "tier", "rank", "stakeholder_importance", "business_significance"]
    columns += [c for c in UNCERTAINTY if c in current.columns and c in previous.columns]
    merged = current[columns].merge(
        previous[[*columns, "tier_reported"]],
        on="topic",
        how="outer",
        suffixes=("", "_previous"),
        indicator=True,
    )
    status = merged["_merge"].map({"both": "kept", "left_only": "added", "right_only": "removed"})
    name = merged["name"].where(merged["name"].notna(), merged["name_previous"])
    tier = merged["tier"].astype(object).where(merged["tier"].notna(), None)
    tier_previous = merged["tier_previous"].astype(object).where(merged["tier_previous"].notna(), None)
    kept = (status == "kept").to_numpy()
    rank = merged["rank"].astype("Int64")
    rank_previous = merged["rank_previous"].astype("Int64")
    out = pd.DataFrame(
        {
            "topic": merged["topic"].astype(object),
            "name": name.astype(object),
            "status": status.astype(object),
            "tier_previous": tier_previous,
            "tier": tier,
            "tier_changed": kept
            & tier.notna().to_numpy()
            & tier_previous.notna().to_numpy()
            & (tier.fillna("").to_numpy() != tier_previous.fillna("").to_numpy()),
            "rank_previous": rank_previous,
            "rank": rank,
            "rank_change": (rank_previous - rank).astype("Int64"),
            "stakeholder_delta": merged["stakeholder_importance"] - merged["stakeholder_importance_previous"],
            "business_delta": merged["business_significance"] - merged["business_significance_previous"],
        }
    )
    kept_both = kept & merged["stakeholder_importance"].notna().to_numpy()
    m = max(int(kept_both.sum()), 1)
    simultaneous = 1.0 - (1.0 - level) / m
    for axis, score in (
        ("stakeholder", "stakeholder_importance"),
        ("business", "business_significance"),
        ("combined", "combined_score"),
    ):
        delta = merged[score] - merged[f"{score}_previous"] if score in merged else np.nan
        if axis == "combined":
            out["combined_delta"] = delta
        low, high = _delta_interval(merged, axis, delta, simultaneous)
        out[f"{axis}_delta_low"], out[f"{axis}_delta_high"] = low, high
    out["significant"] = (
        kept & ((out["combined_delta_low"] > 0) | (out["combined_delta_high"] < 0)).fillna(False).to_numpy()
    )
    out["p_tier_change"] = merged["topic"].map(p_tier_change or {}).astype(float).where(kept, np.nan)
    out["tier_previous_reported"] = (
        merged["tier_reported"].astype(object).where(merged["tier_reported"].notna(), None)
    )
    order_rank = np.where(out["rank"].isna(), np.inf, out["rank"].astype("Float64").fillna(np.inf))
    order_previous = out["rank_previous"].astype("Float64").fillna(np.inf).to_numpy()
    out = (
        out.assign(_removed=~out["rank"].notna(), _rank=order_rank, _previous=order_previous)
        .sort_values(["_removed", "_rank", "_previous", "topic"], kind="stable")
        .drop(columns=["_removed", "_rank", "_previous"])
        .reset_index(drop=True)
    )
    return out[CHANGE_COLUMNS]


UNCERTAINTY = [
    "combined_score",
    "stakeholder_se",
    "stakeholder_df",
    "business_se",
    "business_df",
    "combined_se",
    "combined_df",
]


def _delta_interval(
    merged: pd.DataFrame, axis: str, delta: pd.Series | float, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Welch's interval of a difference between two independent years' scores."""
    n = len(merged)
    if f"{axis}_se" not in merged or f"{axis}_se_previous" not in merged:
        return np.full(n, np.nan), np.full(n, np.nan)
    a = merged[f"{axis}_se"].to_numpy(dtype=float) ** 2
    b = merged[f"{axis}_se_previous"].to_numpy(dtype=float) ** 2
    da = merged[f"{axis}_df"].to_numpy(dtype=float)
    db = merged[f"{axis}_df_previous"].to_numpy(dtype=float)
    # A year whose small groups happen to agree has a standard error far below the truth; as the
    # two years estimate the same kind of score from groups of similar size, each year's
    # variance is taken as at least the other's (the larger of the two counts twice).
    larger = np.fmax(a, b)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = np.where(a + b > 0, (a + b) ** 2 / (a**2 / da + b**2 / db), np.inf)
    se2 = 2.0 * larger
    with np.errstate(invalid="ignore", divide="ignore"):
        half = student_t.quantiles((1.0 + level) / 2.0, df) * np.sqrt(se2)
    centre = np.asarray(delta, dtype=float)
    return centre - half, centre + half
