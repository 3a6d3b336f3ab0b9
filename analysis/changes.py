"""Year over year: how the material topics moved against the previous assessment (GRI 3-2)."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
]


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
        }
    )


def year_over_year(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Tier and rank changes and score deltas per topic.

    Both frames are topic results (topic, name, tier, rank, stakeholder_importance,
    business_significance). A topic only in `current` is "added", only in `previous` "removed",
    in both "kept". ``tier_changed`` is true only for a kept topic with a tier in both years
    that differ. ``rank_change`` is previous minus current rank (positive: moved up);
    deltas are current minus previous. Rows: current topics by rank, then removed topics by
    their previous rank. Without a previous assessment the frame is empty.
    """
    if previous is None:
        return empty_changes()
    columns = ["topic", "name", "tier", "rank", "stakeholder_importance", "business_significance"]
    merged = current[columns].merge(
        previous[columns], on="topic", how="outer", suffixes=("", "_previous"), indicator=True
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
    order_rank = np.where(out["rank"].isna(), np.inf, out["rank"].astype("Float64").fillna(np.inf))
    order_previous = out["rank_previous"].astype("Float64").fillna(np.inf).to_numpy()
    out = (
        out.assign(_removed=~out["rank"].notna(), _rank=order_rank, _previous=order_previous)
        .sort_values(["_removed", "_rank", "_previous", "topic"], kind="stable")
        .drop(columns=["_removed", "_rank", "_previous"])
        .reset_index(drop=True)
    )
    return out[CHANGE_COLUMNS]
