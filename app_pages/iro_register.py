"""The IRO register: edit it in a table, import or export it, carry last year's forward and
attach evidence (links, or files kept with their SHA-256)."""

import pandas as pd
import streamlit as st

from analysis.dma_inputs import HORIZONS
from analysis.dma_method import IRO_STATUSES, IRO_TYPES
from app_pages.common import get_engine
from app_pages.dma_common import chosen_assessment, needs_actor, refresh, show_error
from services import dma

picked = chosen_assessment("IRO register")
if picked:
    key, inputs = picked
    engine = get_engine()
    locked = inputs.state == "signed_off"
    name = needs_actor() if not locked else None
    if locked:
        st.info(
            "Signed off: the register is locked. Reopen the assessment on the Sign-off page to change it."
        )

    st.subheader("Register", anchor=False)
    table = dma.register(engine=engine, assessment_key=key)
    table["human_rights"] = table["human_rights"] == "yes"
    edited = st.data_editor(
        table,
        key="iro_table",
        num_rows="dynamic",
        hide_index=True,
        disabled=locked,
        width="stretch",
        column_config={
            "iro": st.column_config.TextColumn("IRO", required=True, max_chars=64),
            "topic": st.column_config.SelectboxColumn(
                "Topic",
                options=list(dict.fromkeys([*inputs.topic_order, *table["topic"]])),
                format_func=lambda t: inputs.topic_names.get(str(t), str(t)),
                required=True,
            ),
            "sub_topic": st.column_config.TextColumn("Sub-topic", max_chars=200),
            "type": st.column_config.SelectboxColumn(
                "Type", options=list(IRO_TYPES), format_func=lambda t: str(t).replace("_", " "), required=True
            ),
            "status": st.column_config.SelectboxColumn("Status", options=list(IRO_STATUSES), required=True),
            "value_chain": st.column_config.TextColumn(
                "Value chain", help="upstream, own_operations, downstream; several separated by ;"
            ),
            "horizon": st.column_config.SelectboxColumn("Horizon", options=list(HORIZONS), required=True),
            "human_rights": st.column_config.CheckboxColumn("Human rights"),
            "description": st.column_config.TextColumn("Description", max_chars=4000, width="large"),
            "owner": st.column_config.TextColumn("Owner", max_chars=200),
        },
    )
    st.caption(
        f"{len(table)} IROs. Rows removed here are deleted with their ratings when saved; an IRO with "
        "ratings keeps its type and status."
    )
    if st.button("Save the register", key="iro_save", disabled=locked or name is None, type="primary"):
        rows = pd.DataFrame(edited).assign(
            human_rights=lambda f: f["human_rights"].map({True: "yes", False: "no"})
        )
        try:
            counts = dma.save_register(engine=engine, assessment_key=key, table=rows, actor=str(name))
        except ValueError as error:
            show_error(error)
        else:
            st.toast(
                f"Saved: {counts['added']} added, {counts['updated']} updated, {counts['deleted']} deleted"
            )
            refresh()

    left, right = st.columns(2)
    with left:
        st.subheader("Import", anchor=False)
        upload = st.file_uploader(
            "Register file (CSV or XLSX)",
            type=["csv", "xlsx"],
            key="iro_upload",
            disabled=locked,
            help="Columns: iro, topic, sub_topic, type, status, value_chain, horizon, human_rights, "
            "description",
        )
        if upload is not None and st.button("Import the file", key="iro_import", disabled=name is None):
            try:
                counts = dma.import_register(
                    engine=engine,
                    assessment_key=key,
                    path=upload.name,
                    content=upload.getvalue(),
                    actor=str(name),
                )
            except ValueError as error:
                show_error(error)
            else:
                st.toast(f"Imported: {counts['added']} added, {counts['updated']} updated")
                refresh()
        if st.button("Carry last year's register forward", key="iro_carry", disabled=locked or name is None):
            try:
                counts = dma.carry_forward(engine=engine, assessment_key=key, actor=str(name))
            except ValueError as error:
                show_error(error)
            else:
                st.toast(f"Carried {counts['added']} IROs forward (without ratings)")
                refresh()
    with right:
        st.subheader("Export", anchor=False)
        if len(table):
            st.download_button(
                "Register as CSV",
                dma.export_register(engine=engine, assessment_key=key),
                file_name=f"iro_register_{key}.csv",
                key="iro_csv",
            )
            st.download_button(
                "Register as XLSX",
                dma.export_register(engine=engine, assessment_key=key, xlsx=True),
                file_name=f"iro_register_{key}.xlsx",
                key="iro_xlsx",
            )

    if len(table):
        st.subheader("Evidence", anchor=False)
        shown = inputs.evidence.drop(columns=["id"]).assign(
            size=inputs.evidence["size"].where(inputs.evidence["kind"] == "file")
        )
        st.dataframe(
            shown,
            hide_index=True,
            key="iro_evidence",
            width="stretch",
            column_config={
                "iro": "IRO",
                "kind": "Kind",
                "label": "What it shows",
                "url": st.column_config.LinkColumn("Link"),
                "filename": "File",
                "sha256": "SHA-256",
                "size": "Bytes",
                "added_by": "Added by",
                "added_at": st.column_config.DatetimeColumn("Added", format="YYYY-MM-DD HH:mm"),
            },
        )
        target = st.selectbox("IRO", list(table["iro"]), key="evidence_iro")
        link, label = st.columns(2)
        url = link.text_input("Link (https://...)", key="evidence_url")
        note = label.text_input("What it shows", key="evidence_label")
        evidence_file = st.file_uploader("Or a file", key="evidence_file", disabled=locked)
        if st.button("Attach the evidence", key="evidence_add", disabled=locked or name is None):
            try:
                digest = dma.add_evidence(
                    engine=engine,
                    assessment_key=key,
                    iro_id=target,
                    actor=str(name),
                    url=url,
                    label=note,
                    filename=evidence_file.name if evidence_file else "",
                    content=evidence_file.getvalue() if evidence_file else None,
                )
            except ValueError as error:
                show_error(error)
            else:
                st.toast(f"Evidence attached{f' (SHA-256 {digest[:12]}...)' if digest else ''}")
                refresh()
