"""Overview: the chosen assessment, who answered, through which channels."""

import streamlit as st

from app_pages.common import load_data, pick_assessment

key = pick_assessment()
if key:
    data = load_data(key)
    st.title(data.name)
    respondents = data.aggregates.respondents
    total = int(data.responses["n_responses"].sum()) if not data.responses.empty else 0
    cols = st.columns(4)
    cols[0].metric("Topics", len(data.topics))
    cols[1].metric("Stakeholder groups", int((data.groups["dimension"] == "importance").sum()))
    cols[2].metric("Responses", total)
    cols[3].metric("Scale", f"{data.scale_min}-{data.scale_max}")
    if total == 0:
        st.info("No responses yet.")
    else:
        by_group = (
            data.responses.groupby("group", sort=False)["n_responses"].sum().rename("responses").reset_index()
            .merge(data.groups[["group", "name", "kind", "dimension"]], on="group")
        )
        st.subheader("Responses by group")
        st.dataframe(by_group[["name", "kind", "dimension", "responses"]], hide_index=True)
        st.subheader("Responses by channel")
        st.dataframe(
            data.responses.merge(data.groups[["group", "name"]], on="group")[["name", "channel", "source", "n_responses"]],
            hide_index=True,
        )
    st.subheader("Topics")
    st.dataframe(data.topics[["topic", "name", "category", "description"]], hide_index=True)
