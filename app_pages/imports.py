"""Import a survey tool's export: format detected or chosen, the column mapping spelled out,
a preview with every problem listed, then the import (all of the file or nothing)."""

import pandas as pd
import streamlit as st

from app_pages.common import get_engine, pick_assessment
from services.data import import_responses, suggest_mapping
from survey.importers import FORMATS, ImportFailed, ParsedExport, parse_mapping, read_export

ENCODINGS = ["(detect)", "utf-8", "gb18030", "utf-16", "big5", "cp1252", "latin-1"]


def column_table(parsed: ParsedExport) -> pd.DataFrame:
    """How every column of the file is read: the mapping spelled out."""
    return pd.DataFrame(
        [
            (
                c.letter,
                c.id,
                c.label if c.label != c.id else "",
                c.role.value,
                c.topic or "",
                c.dimension or "",
                "mapping file" if c.mapped else "recognised",
            )
            for c in parsed.columns
        ],
        columns=["column", "id", "label", "read as", "topic", "dimension", "by"],
    )


def list_problems(error: ImportFailed) -> None:
    st.error(f"{error.total} problem(s) found; nothing can be imported until they are fixed.")
    st.text("\n".join(str(p) for p in error.problems))
    if error.total > len(error.problems):
        st.caption(f"... and {error.total - len(error.problems)} more.")


chosen = pick_assessment()
if chosen:
    key = chosen.assessment_key
    st.title(f"Import responses into {key}")
    st.caption(
        "Qualtrics, LimeSurvey, Google Forms, Microsoft Forms, SurveyMonkey, or a long/wide CSV or XLSX "
        "(see docs/importing.md)."
    )
    upload = st.file_uploader("Export file", type=["csv", "tsv", "txt", "xlsx"], key="import_file")
    cols = st.columns(2)
    format_choice = cols[0].selectbox("Format", ["(detect from the header)", *FORMATS], key="import_format")
    encoding = cols[1].selectbox("Text encoding", ENCODINGS, key="import_encoding")
    mapping_text = st.text_area(
        "Mapping (YAML, optional): what the export cannot say itself",
        height=140,
        key="import_mapping",
        placeholder="group: employees\ntopics:\n  Q1_1: privacy_data_security\nmissing: ['99']",
    )
    if upload is not None:
        engine = get_engine()
        parsed = summary = None
        try:
            mapping = parse_mapping(mapping_text, filename="mapping") if mapping_text.strip() else None
            parsed = read_export(
                upload.getvalue(),
                filename=upload.name,
                mapping=mapping,
                format=None if format_choice.startswith("(") else format_choice,
                encoding=None if encoding.startswith("(") else encoding,
            )
            summary = import_responses(engine=engine, assessment_key=key, parsed=parsed, dry_run=True)
        except ImportFailed as error:
            list_problems(error)
        if parsed is not None:
            how = "detected from its header" if parsed.format_detected else "as chosen"
            st.write(f"Read **{parsed.filename}** as {parsed.format} ({how}), {parsed.encoding_note}.")
            if summary is None and not mapping_text.strip():
                st.download_button(
                    "A mapping to start from (YAML): the group question and the rating columns",
                    suggest_mapping(engine=engine, assessment_key=key, parsed=parsed),
                    file_name=f"{parsed.filename.rsplit('.', 1)[0]}.mapping.yaml",
                    mime="application/x-yaml",
                    key="import_suggestion",
                )
            st.subheader("Columns")
            st.dataframe(column_table(parsed), hide_index=True, key="import_columns")
            st.subheader("Preview (personal data left out)")
            st.dataframe(parsed.preview(10), hide_index=True, key="import_preview")
        if parsed is not None and summary is not None:
            st.success("No problems found. " + " ".join(summary.lines()[1:3]))
            st.text("\n".join(summary.lines()[3:]))
            if st.button(
                f"Import {summary.added} responses",
                type="primary",
                disabled=not summary.added,
                key="import_run",
            ):
                bar = st.progress(0.0, text="Starting ...")

                def progress(stage: str, done: int, total: int) -> None:
                    bar.progress(
                        min(done / total, 1.0) if total else 1.0,
                        text=f"{stage.capitalize()} {done:,} / {total:,}",
                    )

                try:
                    done = import_responses(
                        engine=engine, assessment_key=key, parsed=parsed, progress=progress
                    )
                except ImportFailed as error:
                    list_problems(error)
                else:
                    bar.progress(1.0, text="Done")
                    st.success(" ".join(done.lines()[1:3]))
