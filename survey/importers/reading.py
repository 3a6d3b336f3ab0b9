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

from core.limits import LimitExceeded, Limits, check_workbook
from survey.importers.problems import Problems, shown
from survey.settings import import_limits

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


def read_grid(
    data: bytes, *, filename: str, encoding: str | None, problems: Problems, limits: Limits | None = None
) -> Grid | None:
    """Read a CSV/TSV/"Unicode text" or XLSX export; None (with problems added) when unreadable.

    The file's extent is checked against `limits` (default: the settings) before its cells are
    read: a table over them is refused with :class:`LimitExceeded` naming the file and the limit."""
    limits = limits or import_limits()
    limits.check_size(filename, len(data))
    if not data.strip():
        problems.add("the file is empty")
        return None
    if data.startswith(XLSX_MAGIC):
        return _read_workbook(data, filename=filename, problems=problems, limits=limits)
    if data.startswith(OLE_MAGIC):
        problems.add("this is an old Excel .xls workbook: save it as .xlsx or CSV first")
        return None
    if filename.lower().endswith((".xlsx", ".xlsm")):
        problems.add(
            "the file is named like an Excel workbook but is not one (it does not begin as an .xlsx "
            "file does): export it again from the survey tool or from Excel"
        )
        return None
    text, used = decode(data, encoding=encoding, problems=problems)
    if text is None or used is None:
        return None
    delimiter = sniff_delimiter(text)
    lines = text.count("\n") + 1
    limits.check_grid(filename, min(lines, limits.max_rows + 1), _first_record_fields(text, delimiter))
    if used in ("utf-8", "utf-8-sig"):
        del text  # the parser reads the bytes: no copy of the whole text is held beside them
        cells = _parse_csv(data, used, delimiter, problems, limits=limits, filename=filename)
    else:
        cells = _parse_csv(text, None, delimiter, problems, limits=limits, filename=filename)
    if cells is None:
        return None
    return Grid(filename, cells, used, delimiter, _reason(data, used, given=encoding is not None))


def _first_record_fields(text: str, delimiter: str) -> int:
    """How many fields the first record has (outside quotes)."""
    fields = 1
    quoted = False
    for ch in text[: 1 << 22]:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            if ch in "\r\n":
                break
            if ch == delimiter:
                fields += 1
    return fields


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
        return "guessed: not UTF-8, reads as Chinese; choose the encoding if text looks wrong"
    return "guessed: not UTF-8 nor Chinese; choose the encoding if text looks wrong"


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
                "cannot be decoded; choose the right text encoding (--encoding)"
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
            "it may be damaged; choose a text encoding (--encoding) to read it otherwise"
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


def _parse_csv(
    source: str | bytes,
    encoding: str | None,
    delimiter: str,
    problems: Problems,
    *,
    limits: Limits,
    filename: str,
) -> pd.DataFrame | None:
    """The cells of CSV text, or of UTF-8 bytes (`encoding` given), read without a second copy."""
    if isinstance(source, bytes):
        if b"\x00" in source:
            source = source.replace(b"\x00", b"")
        stream: io.BytesIO | io.StringIO = io.BytesIO(source)
    else:
        stream = io.StringIO(source.replace("\x00", "") if "\x00" in source else source)
    try:
        cells = pd.read_csv(
            stream,
            sep=delimiter,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            quotechar='"',
            doublequote=True,
            encoding=encoding,
            nrows=limits.max_rows + 1,
        )
    except pd.errors.EmptyDataError:
        problems.add("the file has no rows")
        return None
    except (pd.errors.ParserError, ValueError, OverflowError) as exc:
        text = source.decode(encoding or "utf-8", errors="replace") if isinstance(source, bytes) else source
        _diagnose_csv(text, delimiter, problems, str(exc))
        return None
    finally:
        stream.close()
    limits.check_grid(filename, len(cells), cells.shape[1])
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


def _read_workbook(data: bytes, *, filename: str, problems: Problems, limits: Limits) -> Grid | None:
    import openpyxl

    try:
        size = check_workbook(data, name=filename, limits=limits)
    except LimitExceeded:
        raise
    except ValueError as exc:
        problems.add(str(exc).removeprefix(f"{filename}: "))
        return None
    if size.cells == 0:
        problems.add("the workbook's first sheet is empty")
        return None
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        # the extent the sheet claims is ignored: rows are padded to the cells actually there,
        # whose extent was checked above
        sheet.reset_dimensions()
        rows = [
            [_cell_text(value) for value in row]
            for row in sheet.iter_rows(values_only=True, max_row=size.rows, max_col=size.columns)
        ]
        workbook.close()
    except Exception as exc:  # a damaged or foreign file; openpyxl raises many kinds
        problems.add(f"not a readable Excel workbook ({type(exc).__name__}: {shown(str(exc), 200)})")
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
