"""How each stakeholder group was reached: links issued and responses by group and channel."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from analysis.pipeline import AnalysisResult
    from core.aggregates import AssessmentData

CHANNEL_STATS_COLUMNS = ["group", "channel", "links_issued", "responses"]
NO_CHANNEL = "(no channel recorded)"


def channel_stats_from(data: AssessmentData, tracking: pd.DataFrame | None = None) -> pd.DataFrame:
    """Links issued and responses per group and channel.

    Responses are every submitted response of the assessment (survey links, open links and
    imports). `tracking` is the invitation tracking (group, channel, issued, submitted, ...);
    without it, or for a channel where no personal links were issued, ``links_issued`` is NaN
    (not tracked). ``responses_via_links`` counts the responses that came through the issued
    links, for the response rate.
    """
    responses = data.responses
    if responses.empty:
        stats = pd.DataFrame(columns=["group", "channel", "responses"])
    else:
        stats = (
            responses.assign(channel=responses["channel"].astype(object))
            .groupby(["group", "channel"], as_index=False, dropna=False, sort=False)["n_responses"]
            .sum()
            .rename(columns={"n_responses": "responses"})
        )
    stats["links_issued"] = np.nan
    stats["responses_via_links"] = np.nan
    if tracking is not None and not tracking.empty:
        issued = tracking[tracking["issued"] > 0][["group", "channel", "issued", "submitted"]]
        issued = issued.groupby(["group", "channel"], as_index=False, dropna=False).sum()
        stats = stats.drop(columns=["links_issued", "responses_via_links"]).merge(
            issued, on=["group", "channel"], how="outer"
        )
        stats = stats.rename(columns={"issued": "links_issued", "submitted": "responses_via_links"})
        stats["responses"] = stats["responses"].fillna(0).astype(int)
    stats["links_issued"] = pd.to_numeric(stats["links_issued"], errors="coerce").astype(float)
    stats["responses_via_links"] = pd.to_numeric(stats["responses_via_links"], errors="coerce").astype(float)
    return stats[[*CHANNEL_STATS_COLUMNS, "responses_via_links"]].reset_index(drop=True)


def channel_table(result: AnalysisResult, channel_stats: pd.DataFrame) -> pd.DataFrame:
    """Every declared channel of every group with its links issued, responses and response rate.

    Channels in `channel_stats` that the catalog does not declare (e.g. responses without a
    channel) are kept at the end of their group. `links_issued` NaN means not tracked.
    """
    missing = [c for c in CHANNEL_STATS_COLUMNS if c not in channel_stats.columns]
    if missing:
        raise ValueError(f"channel_stats lacks column(s) {', '.join(missing)}")
    data = result.data
    stats = channel_stats[CHANNEL_STATS_COLUMNS].copy()
    # the rate counts the responses that came through the links when that is known
    stats["answered"] = (
        channel_stats["responses_via_links"] if "responses_via_links" in channel_stats else stats["responses"]
    )
    stats["channel"] = stats["channel"].astype(object).where(stats["channel"].notna(), NO_CHANNEL)
    stats["channel"] = stats["channel"].astype(str)
    stats = stats.groupby(["group", "channel"], as_index=False, sort=False).agg(
        links_issued=("links_issued", lambda s: s.sum(min_count=1)),
        responses=("responses", "sum"),
        answered=("answered", lambda s: s.sum(min_count=1)),
    )
    declared = data.channels[["group", "channel"]].astype(str).assign(declared=True)
    table = declared.merge(stats, on=["group", "channel"], how="left")
    extra = stats.merge(declared, on=["group", "channel"], how="left", indicator=True)
    extra = extra[extra["_merge"] == "left_only"].drop(columns="_merge")
    table = pd.concat([table, extra.assign(declared=False)], ignore_index=True)
    table["declared"] = table["declared"].astype("boolean").fillna(False).astype(bool)
    table["responses"] = table["responses"].fillna(0).astype(int)
    table["links_issued"] = pd.to_numeric(table["links_issued"], errors="coerce")
    table["answered"] = pd.to_numeric(table["answered"], errors="coerce").astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["response_rate"] = np.where(
            table["links_issued"] > 0, table["answered"].fillna(0) / table["links_issued"], np.nan
        )
    group_order = {g: i for i, g in enumerate(data.groups["group"])}
    table = table[table["group"].isin(group_order)].copy()
    table["_group"] = table["group"].map(group_order)
    table["_declared"] = ~table["declared"]
    table = table.sort_values(["_group", "_declared"], kind="stable").drop(columns=["_group", "_declared"])
    table.insert(1, "group_name", table["group"].map(data.groups.set_index("group")["name"]))
    return table.reset_index(drop=True)


def group_response_table(result: AnalysisResult, channel_stats: pd.DataFrame) -> pd.DataFrame:
    """Per group: channels, links issued (NaN when not tracked), responses, responses through the
    issued links (`answered`) and the response rate (answered / links issued)."""
    table = channel_table(result, channel_stats)
    rows = []
    for group, name, dimension in result.data.groups[["group", "name", "dimension"]].itertuples(index=False):
        part = table[table["group"] == group]
        links = part["links_issued"].sum(min_count=1)
        answered = part.loc[part["links_issued"] > 0, "answered"].fillna(0).sum()
        rows.append(
            {
                "group": group,
                "group_name": name,
                "dimension": dimension,
                "channels": int(part["declared"].sum()),
                "links_issued": links,
                "responses": int(part["responses"].sum()),
                "answered": answered if pd.notna(links) else np.nan,
                "response_rate": answered / links if pd.notna(links) and links > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows)
