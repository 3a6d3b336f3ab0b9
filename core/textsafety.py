"""Untrusted text on its way in (the database) and out (spreadsheet cells, CSV fields, pages).

In: NUL and the other control characters but tab, line feed and carriage return are removed
before text is stored (PostgreSQL refuses NUL; the others only hide or garble text), and so are
the bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069), which make text read
in another order than it is stored ("Trojan Source"). Out: the same characters are removed again,
for text stored before.

A cell that starts with ``=``, ``+``, ``-``, ``@``, their full-width forms, a tab or a carriage
return, also after leading spaces, is read as a formula by Excel, LibreOffice or Google Sheets
(OWASP, "CSV Injection"). Such text is written with a leading apostrophe, which spreadsheets show
as plain text. Numbers are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import chain
from typing import Any

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
CONTROL_CHARACTERS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{CONTROL_CHARACTERS}{BIDI_CONTROLS}]")
# what spreadsheets skip before a formula: spaces (also no-break and ideographic), line breaks
_LEADING_BLANKS = " \t\r\n\u00a0\u3000"


def plain_text(value: str) -> str:
    """`value` without control characters (but tab and line breaks) and bidirectional controls."""
    return _UNSAFE.sub("", value) if _UNSAFE.search(value) else value


def storable(value: Any) -> Any:
    """A value on its way to the database: text as :func:`plain_text`, anything else unchanged."""
    return plain_text(value) if type(value) is str else value


def storable_column(values: Sequence[Any]) -> Sequence[Any]:
    """A column of values for the database; the same object when no text in it needs cleaning."""
    texts = [v for v in values if type(v) is str]
    if not texts or not _UNSAFE.search("".join(texts)):
        return values
    return [storable(v) for v in values]


def storable_rows(rows: Sequence[Any]) -> Sequence[Any]:
    """Rows (tuples or dicts of values) for the database; the same object when all is clean."""
    if not rows:
        return rows
    cells = chain.from_iterable(r.values() if isinstance(r, dict) else r for r in rows)
    texts = [v for v in cells if type(v) is str]
    if not texts or not _UNSAFE.search("".join(texts)):
        return rows
    return [
        {k: storable(v) for k, v in r.items()} if isinstance(r, dict) else type(r)(storable(v) for v in r)
        for r in rows
    ]


def neutralise_formula(value: object) -> object:
    """Return `value` unchanged unless it is text a spreadsheet would treat as a formula (or text
    with control characters, which are removed)."""
    if not isinstance(value, str):
        return value
    text = plain_text(value)
    if text.startswith(FORMULA_PREFIXES) or text.lstrip(_LEADING_BLANKS).startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


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
    text = plain_text(str(value))
    return "".join("\\" + c if c in MARKDOWN_SPECIAL else c for c in text).replace("\n", " ")
