"""Reading the register and rating files: CSV (UTF-8) or XLSX, every cell as text.

The checks of what the cells say are the analysis's (:mod:`analysis.dma_inputs`); here a file
becomes a frame of stripped text with lower-case column names, or a clear error naming the file.
Rows are numbered as data rows: the first row under the header is row 1.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

MAX_ROWS = 100_000


class IroFileError(ValueError):
    """A register or rating file that cannot be read or is refused; `problems` lists each one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _frame(name: str, rows: list[list[Any]]) -> pd.DataFrame:
    rows = [row for row in rows if any(_cell(v) for v in row)]
    if not rows:
        raise IroFileError([f"{name}: empty file; expected a header row"])
    header = [_cell(v).lower().lstrip("\ufeff") for v in rows[0]]
    while header and not header[-1]:
        header.pop()
    if len(set(header)) != len(header) or "" in header:
        raise IroFileError([f"{name}, header: every column needs a name, once ({', '.join(header)})"])
    body = rows[1:]
    if len(body) > MAX_ROWS:
        raise IroFileError([f"{name}: {len(body)} rows; at most {MAX_ROWS} are read"])
    problems = [
        f"{name}, row {i}: {len(row)} fields but the header has {len(header)}"
        for i, row in enumerate(body, start=1)
        if len(row) > len(header) and any(_cell(v) for v in row[len(header) :])
    ]
    if problems:
        raise IroFileError(problems)
    cells = [[_cell(row[j]) if j < len(row) else "" for j in range(len(header))] for row in body]
    return pd.DataFrame(cells, columns=header, dtype=object)


def read_table(path: str | Path, content: bytes | None = None) -> pd.DataFrame:
    """A CSV or XLSX file (by its suffix) as text cells; `content` instead of reading `path`
    (an upload)."""
    path = Path(path)
    name = path.name
    try:
        data = content if content is not None else path.read_bytes()
    except FileNotFoundError:
        raise IroFileError([f"{path}: file not found"]) from None
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise IroFileError([f"{name}: not a readable XLSX workbook ({exc})"]) from None
        sheet = book.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)]
        book.close()
        return _frame(name, rows)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IroFileError([f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None
    try:
        rows = [list(row) for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise IroFileError([f"{name}: not a readable CSV file ({exc})"]) from None
    return _frame(name, rows)
