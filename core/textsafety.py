"""Untrusted text on its way out: spreadsheet cells and CSV fields.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel, LibreOffice and Google Sheets (OWASP, "CSV Injection"). Such text is written
with a leading apostrophe, which spreadsheets show as plain text. Numbers are left alone.
"""

from __future__ import annotations

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: object) -> object:
    """Return `value` unchanged unless it is text a spreadsheet would treat as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells (and column names) cannot act as formulas."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_formula)
    out.columns = [neutralise_formula(c) for c in out.columns]
    return out


# Characters that Markdown (and Streamlit's extensions: `:color[...]`, `$math$`) give meaning.
MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()<>#+-.!|~$:&")


def markdown_literal(value: object) -> str:
    """`value` as Markdown that shows exactly its characters: every character Markdown could
    read as syntax is backslash-escaped, so no text becomes a link, emphasis, math or HTML."""
    return "".join("\\" + c if c in MARKDOWN_SPECIAL else c for c in str(value)).replace("\n", " ")
