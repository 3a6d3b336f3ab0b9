"""Rating the IROs: each assessor's progress, the rating form (1-5 with labelled anchors and a
rationale per criterion, the stakeholder survey beside each impact as evidence) and ratings
from a file."""

import pandas as pd
import streamlit as st

from analysis.dma_method import CRITERION_ANCHORS, CRITERION_QUESTIONS, applicable_criteria, describe_iro
from app_pages.access import allowed, current_account
from app_pages.common import get_engine
from app_pages.dma_common import chosen_assessment, has_register, needs_actor, refresh, show_error
from core.textsafety import markdown_literal
from render.dma_disclosure import VALUE_CHAIN_WORDS
from services import dma, rating
from services.access import RATE

picked = chosen_assessment("Rating")
if picked:
    key, inputs = picked
    engine = get_engine()
    locked = inputs.state == "signed_off"
    if has_register(inputs):
        name = needs_actor(RATE) if not locked else None
        st.subheader("Progress per assessor", anchor=False)
        progress = dma.rating_progress(inputs)
        if progress.empty:
            st.info("No ratings yet.")
        else:
            st.dataframe(
                progress,
                hide_index=True,
                key="rating_progress",
                column_config={
                    "assessor": "Assessor",
                    "rated": "Criteria rated",
                    "of": "Of",
                    "share": st.column_config.ProgressColumn(
                        "Done", min_value=0.0, max_value=1.0, format="percent"
                    ),
                    "last_rating": st.column_config.DatetimeColumn("Last rating", format="YYYY-MM-DD HH:mm"),
                },
            )

        st.subheader("Rate an IRO", anchor=False)
        register = inputs.register.set_index("iro")
        account = current_account()
        mine = (
            rating.rateable_iros(engine=engine, assessment_key=key, assessor=account.email, role=account.role)
            if account is not None and allowed(RATE)
            else []
        )
        codes = list(register.index) if mine is None else [c for c in register.index if c in set(mine)]
        st.caption("Assessors can also rate on the web form at /rate, on a phone as on a laptop.")
        if not codes:
            st.info("No IROs are assigned to you in this assessment.")
            st.stop()
        code = st.selectbox(
            "IRO",
            codes,
            key="rate_iro",
            format_func=lambda c: f"{c}: {register.loc[c, 'description'][:80]}",
        )
        row = register.loc[code]
        st.markdown(
            f"**{markdown_literal(inputs.topic_names.get(row['topic'], row['topic']))}**"
            f" · {describe_iro(row['type'], row['status'])}"
            f" · {', '.join(VALUE_CHAIN_WORDS.get(p, p) for p in row['value_chain'].split(';'))}"
            f" · {row['horizon']} term" + (" · human rights" if row["human_rights"] else "")
        )
        st.text(row["description"])
        survey = inputs.survey[(inputs.survey["topic"] == row["topic"]) & (inputs.survey["respondents"] > 0)]
        if row["type"].endswith("impact") and len(survey):
            with st.expander("Stakeholder survey on this topic (evidence)"):
                st.dataframe(
                    survey[["group_name", "respondents", "mean"]],
                    hide_index=True,
                    key="rate_survey",
                    column_config={
                        "group_name": "Group",
                        "respondents": "Respondents",
                        "mean": "Mean rating (1-5)",
                    },
                )
        mine = inputs.ratings[(inputs.ratings["iro"] == code) & (inputs.ratings["assessor"] == (name or ""))]
        earlier = {r["criterion"]: r for r in mine.to_dict("records")}
        rows = []
        with st.form("rate_form"):
            for criterion in applicable_criteria(row["type"], row["status"]):
                anchors = CRITERION_ANCHORS[criterion]
                before = earlier.get(criterion)
                value = st.radio(
                    f"{criterion.capitalize()}: {CRITERION_QUESTIONS[criterion]}",
                    [1, 2, 3, 4, 5],
                    index=None if before is None else int(before["value"]) - 1,
                    format_func=lambda v, a=anchors: f"{v} {a[v - 1]}",
                    horizontal=True,
                    key=f"rate_{criterion}",
                )
                rationale = st.text_area(
                    f"Why {criterion}?",
                    value="" if before is None else before["rationale"],
                    key=f"why_{criterion}",
                    height=68,
                    max_chars=4000,
                )
                rows.append({"iro": code, "criterion": criterion, "value": value, "rationale": rationale})
            submitted = st.form_submit_button(
                "Save my ratings", disabled=locked or name is None, type="primary"
            )
        if submitted and name is not None:
            try:
                counts = dma.save_assessor_ratings(
                    engine=engine, assessment_key=key, assessor=name, table=pd.DataFrame(rows), actor=name
                )
            except ValueError as error:
                show_error(error)
            else:
                st.toast(f"Saved: {counts['added']} added, {counts['replaced']} changed")
                refresh()

        st.subheader("Ratings from a file", anchor=False)
        upload = st.file_uploader(
            "Columns: assessor, iro, criterion, value, rationale", type=["csv", "xlsx"], key="ratings_upload"
        )
        if upload is not None and st.button(
            "Import the ratings", key="ratings_import", disabled=locked or name is None
        ):
            try:
                counts = dma.import_ratings(
                    engine=engine,
                    assessment_key=key,
                    path=upload.name,
                    content=upload.getvalue(),
                    actor=str(name),
                )
            except ValueError as error:
                show_error(error)
            else:
                st.toast(f"Imported: {counts['added']} added, {counts['replaced']} replaced")
                refresh()
