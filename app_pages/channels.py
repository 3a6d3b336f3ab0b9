"""The stakeholder channel map and the group heatmap, with the agreement statistics and the
minority views (groups that rate a topic far above or below the other groups)."""

import streamlit as st

from analysis.findings import focus_mismatches
from app_pages.common import channel_stats, has_ratings, load_data, pick_assessment, result_for
from core.textsafety import markdown_literal
from render.channel_map import channel_map_chart, focus_table
from render.heatmap import heatmap_chart
from render.tables import agreement_facts, group_correlations, minority_views

chosen = pick_assessment()
if chosen:
    data = load_data(chosen)
    st.title("Stakeholder channel map", anchor=False)
    st.caption(markdown_literal(data.name))
    result = result_for(chosen)
    st.altair_chart(
        channel_map_chart(result, channel_stats(chosen)), theme=None, width="content", key="channel_map"
    )
    st.caption(
        "Rows: stakeholder groups; columns: topics in rank order. Management rates significance to "
        "the business and declares no focus areas, so its row stays empty."
    )
    mismatches = focus_mismatches(result)
    if not mismatches.empty:
        st.subheader("Declared focus against ratings")
        st.dataframe(focus_table(mismatches), hide_index=True, key="channel_mismatches")
    if has_ratings(data):
        st.subheader("Group heatmap")
        st.altair_chart(heatmap_chart(result), theme=None, width="content", key="heatmap")
        st.subheader("Agreement")
        st.dataframe(
            agreement_facts(result),
            hide_index=True,
            column_config={
                "measure": "Measure",
                "value": st.column_config.NumberColumn("Value", format="%.2f"),
                "based_on": "Based on",
            },
            key="agreement_facts",
        )
        correlations = group_correlations(result)
        if correlations.empty:
            st.caption("Too few groups with enough respondents to compare their rankings.")
        else:
            st.caption("Spearman's rho between the groups' rankings of the topics")
            st.dataframe(correlations.style.format("{:.2f}", na_rep="-"), key="group_correlations")
        left_out = result.agreement.groups_left_out
        if left_out:
            names = data.groups.set_index("group")["name"]
            st.caption("Left out (too few respondents): " + ", ".join(str(names.get(g, g)) for g in left_out))
        st.subheader("Minority views")
        minority = minority_views(result)
        if minority.empty:
            st.caption("No group rates a topic far above or below the other groups.")
        else:
            st.dataframe(
                minority,
                hide_index=True,
                column_config={
                    "group": "Group",
                    "topic": "Topic",
                    "group_mean": st.column_config.NumberColumn("Group mean", format="%.2f"),
                    "above_overall_by": st.column_config.NumberColumn("Above the overall by", format="%+.2f"),
                    "respondents": "Respondents",
                },
                key="minority_views",
            )
