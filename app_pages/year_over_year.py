"""Year over year: how topics moved against the previous assessment (GRI 3-2)."""

from typing import Any

import streamlit as st

from app_pages.common import has_ratings, load_data, pick_assessment, result_for
from core.textsafety import markdown_literal
from render.matrix import matrix_chart

chosen = pick_assessment()
if chosen:
    data = load_data(chosen)
    st.title("Year over year", anchor=False)
    st.caption(markdown_literal(data.name))
    if has_ratings(data):
        result = result_for(chosen)
        if result.previous is None:
            st.info("There is no earlier assessment to compare with.")
        else:
            changes = result.changes
            earlier = result.previous.data
            earlier_name = markdown_literal(f"{earlier.name} ({earlier.key})")
            st.write(f"Compared with {earlier_name}, analysed with the same method.")
            cols = st.columns(4)
            moves = changes["tier_changed"] & changes["significant"]
            cols[0].metric("Topics that changed tier (beyond the uncertainty)", int(moves.sum()))
            cols[1].metric("New topics", int((changes["status"] == "added").sum()))
            cols[2].metric("Topics dropped", int((changes["status"] == "removed").sum()))
            moved = changes.loc[changes["significant"], "rank_change"].dropna().abs()
            cols[3].metric("Largest significant rank move", int(moved.max()) if len(moved) else 0)
            labels: dict[str, Any] = {
                "name": "Topic",
                "status": "Status",
                "tier_previous": f"Tier {earlier.year}",
                "tier": f"Tier {data.year}",
                "tier_changed": "Tier changed",
                "rank_previous": f"Rank {earlier.year}",
                "rank": f"Rank {data.year}",
                "rank_change": st.column_config.NumberColumn("Rank change", format="%+d"),
                "stakeholder_delta": st.column_config.NumberColumn(
                    "Importance to stakeholders, change", format="%+.2f"
                ),
                "business_delta": st.column_config.NumberColumn(
                    "Significance to the business, change", format="%+.2f"
                ),
                "significant": "Beyond the uncertainty",
                "p_tier_change": st.column_config.NumberColumn("Chance the tier changed", format="%.2f"),
            }
            st.dataframe(
                changes,
                hide_index=True,
                column_config=labels,
                column_order=[column for column in labels if column in changes.columns],
                key="year_changes",
            )
            if result.topics[["stakeholder_importance", "business_significance"]].notna().all(axis=1).any():
                st.altair_chart(
                    matrix_chart(result, width=820, height=600),
                    theme=None,
                    width="content",
                    key="year_matrix",
                )
                st.caption("Grey arrows run from last year's position to this year's.")
