"""The audit trail (admins and auditors): every change, who made it and what it was before;
the check of its hash chain; downloads as CSV and JSON."""

import datetime as dt

import pandas as pd
import streamlit as st

from app_pages.access import require
from app_pages.common import assessment_keys, get_engine
from services import audit
from services.access import AUDIT

require(AUDIT)
st.title("Audit trail")
engine = get_engine()
count, problems = audit.verify(engine=engine)
if problems:
    st.error("The audit trail was tampered with:\n\n" + "\n".join(f"- {p}" for p in problems))
else:
    st.success(f"{count} entries, each following the one before it (hash chain intact).")

left, right = st.columns(2)
only = left.selectbox("Assessment", ["(all)", *assessment_keys()], key="audit_assessment")
since = right.date_input("From", value=None, key="audit_since")
rows = audit.audit_rows(
    engine=engine,
    assessment=None if only == "(all)" else only,
    since=audit.parse_since(since.isoformat()) if isinstance(since, dt.date) else None,
)
table = pd.DataFrame(rows, columns=audit.COLUMNS)
table["at"] = [str(at)[:19].replace("T", " ") for at in table["at"]]
for column in ("before", "after"):
    table[column] = [audit.formatted_value(v) for v in table[column]]
st.dataframe(
    table.drop(columns=["hash"]).iloc[::-1],
    hide_index=True,
    width="stretch",
    key="audit_table",
    column_config={
        "id": st.column_config.NumberColumn("#", format="%d"),
        "at": "When (UTC)",
        "actor": "Who",
        "action": "Action",
        "object": "What",
        "assessment": "Assessment",
        "before": "Before",
        "after": "After",
    },
)
one, two = st.columns(2)
one.download_button(
    "Download CSV", audit.formatted(rows, "csv"), "audit.csv", "text/csv", key="audit_csv", width="stretch"
)
two.download_button(
    "Download JSON",
    audit.formatted(rows, "json"),
    "audit.json",
    "application/json",
    key="audit_json",
    width="stretch",
)
