"""A new assessment from the default catalog or an earlier assessment: topics, groups,
channels and focus areas edited as tables, wording in English and Chinese."""

import datetime

import streamlit as st

from app_pages.common import assessment_keys, get_engine
from services.assessments import catalog_of, create_from_tables
from survey.campaign import TABLE_TITLES, catalog_tables
from survey.catalog import CatalogError
from survey.errors import StoreError

DEFAULT = "(the default catalog)"

st.title("New assessment")
if st.session_state.get("assessment_created"):
    st.success(f"Created assessment '{st.session_state.pop('assessment_created')}' as a draft.")
keys = assessment_keys()
source = st.selectbox(
    "Start from",
    [DEFAULT, *reversed(keys)],
    key="new_source",
    format_func=lambda k: k if k == DEFAULT else f"assessment {k} (its topics, groups and wording)",
)
base = catalog_of(engine=get_engine(), assessment_key=None if source == DEFAULT else source)
cols = st.columns(3)
year = cols[0].number_input("Year", 2000, 2100, datetime.date.today().year, key="new_year")
key = cols[1].text_input("Key", value=str(year), max_chars=64, key="new_key", help="Letters, digits, - or _")
name = cols[2].text_input("Name", value=f"Materiality assessment {year}", max_chars=200, key="new_name")

st.caption(
    "Edit the tables below (add rows at the bottom, delete with the row menu). Keys are lower-case; "
    "a focus area with an empty topic is a concern outside the topic list."
)
tables = catalog_tables(base)
edited = {}
for tab, (table, frame) in zip(st.tabs(list(TABLE_TITLES.values())), tables.items(), strict=True):
    with tab:
        edited[table] = st.data_editor(
            frame, num_rows="dynamic", hide_index=True, width="stretch", key=f"new_{table}_{source}"
        )
if st.button("Create the assessment", type="primary", key="new_create"):
    try:
        create_from_tables(
            engine=get_engine(),
            key=key.strip(),
            year=int(year),
            name=name.strip() or None,
            tables=edited,
            base=base,
        )
    except CatalogError as error:
        st.error(f"{len(error.problems)} problem(s) in the tables; nothing was created.")
        for problem in error.problems:
            st.text(problem)
    except StoreError as error:
        st.error(str(error))
    else:
        st.session_state.assessment_created = key.strip()
        st.session_state.chosen_assessment = key.strip()
        st.rerun()
