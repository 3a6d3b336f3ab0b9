"""From bytes to a grid of text cells: encodings, CSV dialects and Excel workbooks.

Text encodings: a byte-order mark decides (UTF-8, UTF-16); otherwise UTF-8 if the bytes are
valid UTF-8, then GB18030 when the text reads as Chinese, else Windows-1252, where the five
bytes it leaves undefined stand for the control characters of the same number (as browsers read
it) so that one stray byte does not turn every dash and curly quote of the file into a control
character. A given `encoding` overrides the guess. Which encoding was used, and why, is kept
with the grid and said to the user.
Rows are numbered as a spreadsheet shows them: a quoted field with line breaks is one row.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time

import pandas as pd

from survey.importers.problems import Problems

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the legacy .xls workbook
DELIMITERS = (",", ";", "\t")


@dataclass
class Grid:
    """The cells of an export as text ("" when empty), before any header is interpreted.

    `cells` has integer columns 0..n-1 and is indexed by the spreadsheet row number.
    """

    filename: str
    cells: pd.DataFrame
    encoding: str | None  # None for a workbook
    delimiter: str | None  # None for a workbook
    encoding_reason: str = ""  # why this encoding: "given", "byte-order mark", ...

    @property
    def encoding_note(self) -> str:
        """The encoding used and why, as it is said to the user."""
        if self.encoding is None:
            return "an Excel workbook (no text encoding)"
        return f"text encoding {self.encoding} ({self.encoding_reason})"

    @property
    def n_columns(self) -> int:
        return self.cells.shape[1]

    def row(self, position: int) -> list[str]:
        """The cells of the `position`-th row (0-based) as a list, stripped."""
        if position >= len(self.cells):
            return [""] * self.n_columns
        return [str(v).strip() for v in self.cells.iloc[position].tolist()]


def read_grid(data: bytes, *, filename: str, encoding: str | None, problems: Problems) -> Grid | None:
    """Read a CSV/TSV/"Unicode text" or XLSX export; None (with problems added) when unreadable."""
    if not data.strip():
        problems.add("the file is empty")
        return None
    if data.startswith(XLSX_MAGIC):
        return _read_workbook(data, filename=filename, problems=problems)
    if data.startswith(OLE_MAGIC):
        problems.add("this is an old Excel .xls workbook: save it as .xlsx or CSV first")
        return None
    text, used = decode(data, encoding=encoding, problems=problems)
    if text is None or used is None:
        return None
    delimiter = sniff_delimiter(text)
    cells = _parse_csv(text, delimiter, problems)
    if cells is None:
        return None
    return Grid(filename, cells, used, delimiter, _reason(data, used, given=encoding is not None))


def _reason(data: bytes, used: str, *, given: bool) -> str:
    if given:
        return "given"
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "byte-order mark"
    if used.startswith("utf-16"):
        return "guessed: every other byte is zero"
    if used == "utf-8":
        return "guessed: the file is valid UTF-8"
    if used == "gb18030":
        return "guessed: not UTF-8, reads as Chinese; give --encoding if the text looks wrong"
    return "guessed: not UTF-8 nor Chinese; give --encoding if the text looks wrong"


# --- encodings ---------------------------------------------------------------------------------


def decode(data: bytes, *, encoding: str | None, problems: Problems) -> tuple[str | None, str | None]:
    """The text of `data` and the name of the encoding used."""
    if encoding:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            problems.add(f"unknown text encoding '{encoding}'")
            return None, None
        if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError as exc:
            problems.add(
                f"the file is not valid {encoding}: byte {exc.start} ({data[exc.start : exc.start + 1]!r}) "
                "cannot be decoded; give the right --encoding"
            )
            return None, None
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data, "utf-8-sig", problems)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", problems)
    utf16 = _bomless_utf16(data)
    if utf16:
        return _strict(data, utf16, problems)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        if _reads_as_chinese(text):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    return data.decode("cp1252", errors=_C1_FOR_UNDEFINED), "cp1252"


def _undefined_as_control(error: UnicodeError) -> tuple[str, int]:
    """Windows-1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined: read them as U+0081 ... ."""
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("latin-1"), error.end


_C1_FOR_UNDEFINED = "materiality-cp1252-undefined"
codecs.register_error(_C1_FOR_UNDEFINED, _undefined_as_control)


def _strict(data: bytes, codec: str, problems: Problems) -> tuple[str | None, str | None]:
    try:
        return data.decode(codec), codec
    except UnicodeDecodeError as exc:
        problems.add(
            f"the file looks like {codec} but byte {exc.start} cannot be decoded: "
            "it may be damaged; give --encoding to read it otherwise"
        )
        return None, None


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: ASCII text has a NUL in every other byte."""
    sample = data[:4000]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) // 2
    if odd > 0.4 * half and even == 0:
        return "utf-16-le"
    if even > 0.4 * half and odd == 0:
        return "utf-16-be"
    return None


def _reads_as_chinese(text: str) -> bool:
    """Text decoded as GB18030 is taken as Chinese when nearly all of its non-ASCII characters
    are from GB2312 (both bytes >= 0xA1), which Latin-1 text mis-read as GB18030 is not."""
    counts = Counter(ch for ch in text[:200_000] if ord(ch) > 127)
    if not counts:
        return True
    common = 0
    for ch, n in counts.items():
        encoded = ch.encode("gb18030")
        if len(encoded) == 2 and encoded[0] >= 0xA1 and encoded[1] >= 0xA1:
            common += n
    return common >= 0.9 * sum(counts.values())


# --- CSV ---------------------------------------------------------------------------------------


def sniff_delimiter(text: str) -> str:
    """The separator of the first record: the most frequent of , ; and tab outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in text[:100_000]:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            if ch in "\r\n":
                break
            if ch in counts:
                counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _parse_csv(text: str, delimiter: str, problems: Problems) -> pd.DataFrame | None:
    text = text.replace("\x00", "")
    try:
        cells = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            quotechar='"',
            doublequote=True,
        )
    except pd.errors.EmptyDataError:
        problems.add("the file has no rows")
        return None
    except (pd.errors.ParserError, ValueError, OverflowError) as exc:
        _diagnose_csv(text, delimiter, problems, str(exc))
        return None
    cells.index = pd.RangeIndex(1, len(cells) + 1)
    return cells


def _diagnose_csv(text: str, delimiter: str, problems: Problems, parser_message: str) -> None:
    """Find every malformed row (the fast parser stops at the first)."""
    found = problems.total
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    expected = None
    row = 0
    try:
        for row, record in enumerate(reader, start=1):
            if expected is None:
                expected = len(record)
            elif len(record) > expected:
                problems.add(
                    f"this row has {len(record)} fields but the first row has {expected} "
                    f"(separator {delimiter!r}): a field with a {delimiter!r} in it must be quoted",
                    row=row,
                )
    except csv.Error as exc:
        problems.add(f"malformed CSV after this row: {exc} (check the quotes)", row=row)
    if problems.total == found:
        problems.add(f"malformed CSV: {parser_message.removeprefix('Error tokenizing data. ')}")


# --- XLSX --------------------------------------------------------------------------------------


def _read_workbook(data: bytes, *, filename: str, problems: Problems) -> Grid | None:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
        workbook.close()
    except Exception as exc:  # a damaged or foreign file; openpyxl raises many kinds
        problems.add(f"not a readable Excel workbook ({type(exc).__name__}: {exc})")
        return None
    width = max((len(r) for r in rows), default=0)
    if not rows or width == 0:
        problems.add("the workbook's first sheet is empty")
        return None
    cells = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    cells.index = pd.RangeIndex(1, len(cells) + 1)
    return Grid(filename=filename, cells=cells.astype(str), encoding=None, delimiter=None)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)
