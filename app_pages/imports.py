"""Import a survey tool's export: format detected or chosen, the column mapping spelled out,
a preview with every problem listed, then the import (all of the file or nothing).

The file is read, checked and imported in a child process with a memory limit
(services/import_jobs.py), so that no upload can take the server down."""

import hashlib

import streamlit as st

from app_pages.common import pick_assessment
from core.textsafety import markdown_literal
from services.import_jobs import ImportPreview, ImportRequest, ImportStopped, import_upload, preview_upload
from survey.importers import FORMATS, ImportFailed
from survey.settings import get_settings

ENCODINGS = ["(detect)", "utf-8", "gb18030", "utf-16", "big5", "cp1252", "latin-1"]


def request_key(request: ImportRequest) -> str:
    fields = (
        request.assessment_key,
        request.filename,
        request.mapping_text,
        request.format,
        request.encoding,
    )
    return hashlib.sha256(request.data + repr(fields).encode()).hexdigest()


def cached_preview(request: ImportRequest) -> ImportPreview | None:
    """The preview of this upload with these choices, read once (a child process per read)."""
    key = request_key(request)
    kept = st.session_state.get("import_preview")
    if kept and kept[0] == key:
        return kept[1]
    preview = None
    try:
        with st.spinner(f"Reading {request.filename} ..."):
            preview = preview_upload(request)
    except ImportFailed as error:
        list_problems(error)
    except ImportStopped as stopped:
        st.error(str(stopped))
    else:
        st.session_state["import_preview"] = (key, preview)
    return preview


def show_preview(preview: ImportPreview) -> None:
    if preview.failed is not None:
        list_problems(preview.failed)
    how = "detected from its header" if preview.format_detected else "as chosen"
    st.write(
        f"Read **{markdown_literal(preview.filename)}** as {preview.format} ({how}), {preview.encoding_note}."
    )
    if preview.suggestion is not None:
        st.download_button(
            "A mapping to start from (YAML): the group question and the rating columns",
            preview.suggestion,
            file_name=f"{preview.filename.rsplit('.', 1)[0]}.mapping.yaml",
            mime="application/x-yaml",
            key="import_suggestion",
        )
    st.subheader("Columns")
    st.dataframe(preview.columns, hide_index=True, key="import_columns")
    st.subheader("Preview (personal data left out)")
    st.dataframe(preview.preview, hide_index=True, key="import_preview_rows")


def list_problems(error: ImportFailed) -> None:
    st.error(f"{error.total} problem(s) found; nothing can be imported until they are fixed.")
    st.text("\n".join(str(p) for p in error.problems))
    if error.total > len(error.problems):
        st.caption(f"... and {error.total - len(error.problems)} more.")


chosen = pick_assessment()
if chosen:
    key = chosen.assessment_key
    st.title(f"Import responses into {markdown_literal(key)}", anchor=False)
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
        placeholder="Leave empty when the file's header says it all. For example:\n"
        "# group: employees\n# topics:\n#   Q1_1: privacy_data_security",
    )
    if upload is not None:
        request = ImportRequest(
            database_url=get_settings().database_url,
            assessment_key=key,
            data=upload.getvalue(),
            filename=upload.name,
            mapping_text=mapping_text,
            format=None if format_choice.startswith("(") else format_choice,
            encoding=None if encoding.startswith("(") else encoding,
        )
        preview = cached_preview(request)
        if preview is not None:
            show_preview(preview)
        if preview is not None and preview.summary is not None:
            summary = preview.summary
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
                    done = import_upload(request, progress=progress)
                except ImportFailed as error:
                    list_problems(error)
                except ImportStopped as stopped:
                    st.error(str(stopped))
                else:
                    st.session_state.pop("import_preview", None)  # the next look counts them as duplicates
                    bar.progress(1.0, text="Done")
                    st.success(" ".join(done.lines()[1:3]))
