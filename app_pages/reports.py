"""The report pack for the chosen assessment and method: the HTML report, the workbook, the
result CSVs, the charts as SVG and PNG, the methodology disclosure."""

import io
import json
import zipfile

import pandas as pd
import streamlit as st

from analysis.method import MethodConfig, method_from_dict
from analysis.pipeline import AnalysisResult, run_files
from app_pages.common import channel_stats, get_engine, load_data, pick_assessment, result_for
from core.textsafety import markdown_literal
from render.pack import report_pack
from services.audit import audit_files
from services.methods import method_history

FILES = {
    "report.html": ("The report (HTML, opens offline)", "text/html"),
    "report.xlsx": (
        "The workbook (Excel)",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "topics.csv": ("Topics (CSV)", "text/csv"),
    "groups.csv": ("Groups by topic (CSV)", "text/csv"),
    "changes.csv": ("Changes since last year (CSV)", "text/csv"),
    "matrix.svg": ("Matrix (SVG)", "image/svg+xml"),
    "matrix.png": ("Matrix (PNG)", "image/png"),
    "channel_map.svg": ("Channel map (SVG)", "image/svg+xml"),
    "heatmap.svg": ("Group heatmap (SVG)", "image/svg+xml"),
    "disclosure.md": ("Methodology disclosure (Markdown)", "text/markdown"),
    "method.json": ("Method record (JSON)", "application/json"),
    "audit.csv": ("Audit trail (CSV)", "text/csv"),
}


@st.cache_data(max_entries=8, show_spinner="Writing the report pack ...")
def pack_files(
    assessment_key: str, version: str, method_json: str, _result: AnalysisResult, stats: pd.DataFrame
) -> dict[str, bytes]:
    """Every file of `materiality run` for this result, by name (cached on data, method and links)."""
    return dict(sorted({**run_files(_result), **report_pack(_result, stats)}.items()))


chosen = pick_assessment()
if chosen:
    key = chosen.assessment_key
    data = load_data(chosen)
    st.title(f"Reports: {markdown_literal(data.name)}", anchor=False)
    history = method_history(engine=get_engine(), assessment_key=key)
    choices = {"in force": "The method in force"}
    for i, (when, author) in enumerate(history[["created_at", "author"]].itertuples(index=False)):
        if i:
            choices[str(i)] = f"Earlier method of {when:%Y-%m-%d %H:%M}, by {author}"
    choices["defaults"] = "The defaults"
    choice = st.selectbox("Method", list(choices), format_func=lambda c: choices[c], key="report_method")
    method = (
        None
        if choice == "in force"
        else (
            MethodConfig()
            if choice == "defaults"
            else method_from_dict(history["config"].iloc[int(choice)], record=True)
        )
    )
    result = result_for(chosen, method)
    stats = channel_stats(chosen)
    if data.aggregates.histogram.empty:
        st.info("No responses yet: the pack would hold empty tables and charts.")
    files = pack_files(
        key, chosen.key(), json.dumps(result.method, sort_keys=True, default=str), result, stats
    )
    files = {**files, **audit_files(engine=get_engine(), assessment=key)}  # read fresh each run
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, content in files.items():
            bundle.writestr(f"{key}/{name}", content)
    st.download_button(
        "The whole pack (ZIP)",
        archive.getvalue(),
        file_name=f"materiality-{key}.zip",
        mime="application/zip",
        type="primary",
        key="download_zip",
    )
    cols = st.columns(3)
    for i, (name, (label, mime)) in enumerate(FILES.items()):
        if name in files:
            cols[i % 3].download_button(
                label, files[name], file_name=f"{key}-{name}", mime=mime, key=f"download_{name}"
            )
