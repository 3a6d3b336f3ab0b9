"""Who rates which IRO: assign IROs of the register to assessors (or take them back); the
assessors rate them on the web form at /rate. Every change goes into the audit trail."""

import streamlit as st

from app_pages.common import get_engine
from app_pages.dma_common import chosen_assessment, has_register, needs_actor, show_error
from services import rating

picked = chosen_assessment("IRO assignments")
if picked:
    key, inputs = picked
    engine = get_engine()
    locked = inputs.state == "signed_off"
    if has_register(inputs):
        name = needs_actor() if not locked else None
        if locked:
            st.info("Signed off: the assignments are locked with the ratings.")
        st.markdown(
            "Assessors sign in and rate the IROs assigned to them on the rating form "
            "at [/rate](/rate); the committee and admins may rate any IRO there."
        )
        register = inputs.register.set_index("iro")
        people = rating.raters(engine=engine)
        with st.form("assign_form"):
            assessor = st.selectbox(
                "Assessor", people, index=None, placeholder="An account that may rate", key="assign_who"
            )
            codes = st.multiselect(
                "IROs",
                list(register.index),
                key="assign_iros",
                format_func=lambda c: f"{c}: {register.loc[c, 'description'][:70]}",
            )
            left, right = st.columns(2)
            add = left.form_submit_button("Assign", type="primary", disabled=name is None)
            remove = right.form_submit_button("Take back", disabled=name is None)
        if (add or remove) and name is not None:
            if assessor is None or not codes:
                st.warning("Choose an assessor and at least one IRO.")
            else:
                try:
                    change = rating.assign if add else rating.unassign
                    n = change(engine=engine, assessment_key=key, iros=codes, assessor=assessor, actor=name)
                except ValueError as error:
                    show_error(error)
                else:
                    st.success(f"{n} IRO(s) {'assigned to' if add else 'taken back from'} {assessor}.")

        st.subheader("Assignments", anchor=False)
        table = rating.assignments(engine=engine, assessment_key=key)
        if table.empty:
            st.info("No IRO is assigned yet.")
        else:
            per_person = table.groupby("assessor")["iro"].agg(lambda s: ", ".join(s)).reset_index()
            st.dataframe(
                per_person,
                hide_index=True,
                key="assignments_summary",
                column_config={"assessor": "Assessor", "iro": "IROs assigned"},
            )
            unassigned = [c for c in register.index if c not in set(table["iro"])]
            if unassigned:
                st.caption(f"Not assigned to anyone: {', '.join(unassigned)}")
