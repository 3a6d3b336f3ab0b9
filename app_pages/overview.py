"""Overview: the chosen assessment, its campaign, who answered against who was invited, and
the headline result (the top tier with its stability)."""

import streamlit as st

from analysis.rules import UNCERTAIN_P_TIER
from analysis.whatif import headline
from app_pages.common import (
    PERCENT,
    as_percent,
    channel_stats,
    has_ratings,
    in_words,
    load_data,
    pick_assessment,
    result_for,
)
from core.textsafety import markdown_literal
from render.numbers import percent

chosen = pick_assessment()
if chosen:
    data = load_data(chosen)
    st.title(markdown_literal(data.name), anchor=False)
    stats = channel_stats(chosen)
    responses = int(data.responses["n_responses"].sum()) if not data.responses.empty else 0
    issued = int(stats["links_issued"].fillna(0).sum())
    via_links = int(stats["responses_via_links"].fillna(0).sum())
    cols = st.columns(5)
    cols[0].metric("Topics", len(data.topics))
    cols[1].metric("Status", chosen.status)
    cols[2].metric("Responses", responses)
    cols[3].metric("Survey links issued", issued)
    cols[4].metric("Response rate (links)", percent(via_links / issued) if issued else "-")

    st.subheader("Responses by group")
    by_group = stats.groupby("group", as_index=False, sort=False)[["links_issued", "responses"]].sum(
        min_count=1
    )
    by_group = data.groups[["group", "name", "dimension"]].merge(by_group, on="group", how="left")
    by_group["responses"] = by_group["responses"].fillna(0).astype(int)
    by_group["response_rate"] = as_percent(by_group["responses"] / by_group["links_issued"])
    st.dataframe(
        by_group[["name", "dimension", "links_issued", "responses", "response_rate"]].assign(
            dimension=in_words(by_group["dimension"])
        ),
        hide_index=True,
        column_config={
            "name": "Group",
            "dimension": "Rates",
            "links_issued": st.column_config.NumberColumn("Links issued", format="%d"),
            "responses": st.column_config.NumberColumn("Responses", format="%d"),
            "response_rate": st.column_config.NumberColumn(
                "Responses per link",
                format=PERCENT,
                help="All responses (links, open links, imports) per link issued",
            ),
        },
        key="overview_groups",
    )

    if has_ratings(data):
        result = result_for(chosen)
        top = headline(result)
        st.subheader("Headline result")
        if top.empty:
            st.info("Too few topics have ratings on both axes to sort them into tiers yet.")
        else:
            tier = result.topics["tier"].dropna().iloc[0]
            uncertain = int((top["stability"] == "uncertain").sum())
            st.write(
                f"{len(top)} topics are in the top tier ({tier}); {uncertain} of them could fall out of it "
                f"with other respondents (a chance below {UNCERTAIN_P_TIER:.0%} of keeping their tier)."
            )
            st.dataframe(
                top.assign(p_tier=as_percent(top["p_tier"])),
                hide_index=True,
                column_config={
                    "rank": "Rank",
                    "name": "Topic",
                    "combined_score": st.column_config.NumberColumn("Combined score", format="%.2f"),
                    "p_tier": st.column_config.NumberColumn("Chance of the same tier", format=PERCENT),
                    "stability": "Stability",
                },
                key="overview_headline",
            )
        business = data.groups.loc[data.groups["dimension"] == "business_impact", "group"]
        rated = data.aggregates.respondents
        if not rated["group"].isin(business).any():
            st.warning("No management ratings yet: significance to the business is missing, so no tiers.")
